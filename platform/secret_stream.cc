#include "platform/secret_stream.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "platform/files.h"

namespace holdfast::platform {
namespace {

using Key = std::array<unsigned char, crypto_secretstream_xchacha20poly1305_KEYBYTES>;

constexpr uint32_t kAlgorithm = 1;  // Argon2id13 + secretstream XChaCha20-Poly1305
constexpr size_t kParamsBytes = 16 + 4 + 8 + 8 + crypto_pwhash_SALTBYTES;
constexpr size_t kHeaderBytes = kParamsBytes + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
constexpr size_t kMaxCipherChunk = kSecretChunkBytes + crypto_secretstream_xchacha20poly1305_ABYTES;
// What a file may ask of the reader: a hostile header must not make
// import spend minutes or gigabytes deriving a key.
constexpr uint64_t kMaxOpsLimit = 10;
constexpr uint64_t kMaxMemLimit = uint64_t{1} << 30;

void PutLe(unsigned char* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<unsigned char>(value >> (8 * i));
}
uint64_t GetLe(const unsigned char* in, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | in[i];
  return value;
}

Status DeriveKey(std::string_view passphrase, const unsigned char* salt, uint64_t ops, uint64_t mem, Key* key) {
  if (crypto_pwhash(key->data(), key->size(), passphrase.data(), passphrase.size(), salt, ops,
                    static_cast<size_t>(mem), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Status(ErrorCode::kInternal, "Argon2id: not enough memory to derive the key");
  }
  return Status::Ok();
}

// Reads up to `size` bytes, fewer only at the end of the file.
Result<size_t> ReadFull(int fd, unsigned char* out, size_t size, const std::string& path) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, out + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path, errno);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Status Malformed(const std::string& path, const std::string& what) {
  return Status(ErrorCode::kMalformedInput, path + ": " + what);
}

}  // namespace

Status InitCryptoLibrary() {
  if (sodium_init() < 0) return Status(ErrorCode::kInternal, "libsodium cannot be initialised");
  return Status::Ok();
}

Result<bool> IsEncryptedFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(path, errno);
  unsigned char magic[kSecretMagic.size()];
  Result<size_t> n = ReadFull(fd, magic, sizeof magic, path);
  ::close(fd);
  if (!n) return n.error();
  return *n == sizeof magic && std::memcmp(magic, kSecretMagic.data(), sizeof magic) == 0;
}

Result<std::string> ReadPassphraseFile(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path, 64 * 1024);
  if (!text) return text.error();
  std::string passphrase = std::move(*text);
  if (!passphrase.empty() && passphrase.back() == '\n') passphrase.pop_back();
  if (!passphrase.empty() && passphrase.back() == '\r') passphrase.pop_back();
  if (passphrase.empty()) return Status(ErrorCode::kInvalidArgument, path + ": the passphrase file is empty");
  return passphrase;
}

// ---------------------------------------------------------------------------

struct EncryptingWriter::Impl {
  Sink sink;
  crypto_secretstream_xchacha20poly1305_state state;
  unsigned char header[kHeaderBytes];
  std::vector<unsigned char> plain;
  std::vector<unsigned char> cipher;
  bool finished = false;

  Status Push(unsigned char tag) {
    cipher.resize(4 + plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long length = 0;
    crypto_secretstream_xchacha20poly1305_push(&state, cipher.data() + 4, &length, plain.data(), plain.size(), header,
                                               sizeof header, tag);
    PutLe(cipher.data(), length, 4);
    plain.clear();
    return sink(std::string_view(reinterpret_cast<const char*>(cipher.data()), 4 + length));
  }
};

EncryptingWriter::EncryptingWriter() : impl_(std::make_unique<Impl>()) {}
EncryptingWriter::~EncryptingWriter() {
  if (impl_) sodium_memzero(&impl_->state, sizeof impl_->state);
}

Result<std::unique_ptr<EncryptingWriter>> EncryptingWriter::Create(std::string_view passphrase, Sink sink) {
  HF_RETURN_IF_ERROR(InitCryptoLibrary());
  if (passphrase.empty()) return Status(ErrorCode::kInvalidArgument, "the passphrase is empty");
  std::unique_ptr<EncryptingWriter> writer(new EncryptingWriter());
  Impl& w = *writer->impl_;
  w.sink = std::move(sink);
  const uint64_t ops = crypto_pwhash_OPSLIMIT_MODERATE;
  const uint64_t mem = crypto_pwhash_MEMLIMIT_MODERATE;
  unsigned char* h = w.header;
  std::memcpy(h, kSecretMagic.data(), kSecretMagic.size());
  PutLe(h + 16, kAlgorithm, 4);
  PutLe(h + 20, ops, 8);
  PutLe(h + 28, mem, 8);
  randombytes_buf(h + 36, crypto_pwhash_SALTBYTES);
  Key key;
  HF_RETURN_IF_ERROR(DeriveKey(passphrase, h + 36, ops, mem, &key));
  crypto_secretstream_xchacha20poly1305_init_push(&w.state, h + kParamsBytes, key.data());
  sodium_memzero(key.data(), key.size());
  w.plain.reserve(kSecretChunkBytes);
  HF_RETURN_IF_ERROR(w.sink(std::string_view(reinterpret_cast<const char*>(h), kHeaderBytes)));
  return writer;
}

Status EncryptingWriter::Write(std::string_view bytes) {
  if (impl_->finished) return Status(ErrorCode::kInternal, "encrypted stream: write after Finish");
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kSecretChunkBytes - impl_->plain.size());
    impl_->plain.insert(impl_->plain.end(), bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
    bytes.remove_prefix(n);
    if (impl_->plain.size() == kSecretChunkBytes) {
      HF_RETURN_IF_ERROR(impl_->Push(crypto_secretstream_xchacha20poly1305_TAG_MESSAGE));
    }
  }
  return Status::Ok();
}

Status EncryptingWriter::Finish() {
  if (impl_->finished) return Status::Ok();
  impl_->finished = true;
  return impl_->Push(crypto_secretstream_xchacha20poly1305_TAG_FINAL);
}

// ---------------------------------------------------------------------------

struct DecryptingReader::Impl {
  std::string path;
  int fd = -1;
  Key key{};
  unsigned char header[kHeaderBytes];
  crypto_secretstream_xchacha20poly1305_state state;
  std::vector<unsigned char> cipher;
  std::vector<unsigned char> plain;
  size_t offset = 0;  // in plain
  bool first = true;
  bool finished = false;

  ~Impl() {
    if (fd >= 0) ::close(fd);
    sodium_memzero(key.data(), key.size());
    sodium_memzero(&state, sizeof state);
  }

  Status OpenFile() {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus(path, errno);
    struct stat st {};
    if (fstat(fd, &st) != 0) return ErrnoStatus(path, errno);
    if (!S_ISREG(st.st_mode)) return Status(ErrorCode::kInvalidArgument, path + ": not a regular file");
    Result<size_t> n = ReadFull(fd, header, sizeof header, path);
    if (!n) return n.error();
    if (*n < kSecretMagic.size() || std::memcmp(header, kSecretMagic.data(), kSecretMagic.size()) != 0) {
      return Malformed(path, "not an encrypted Holdfast file");
    }
    if (*n < sizeof header) return Malformed(path, "the encrypted file is cut short in its header");
    return Status::Ok();
  }

  // The next chunk into `plain`.
  Status NextChunk() {
    unsigned char length_bytes[4];
    Result<size_t> n = ReadFull(fd, length_bytes, 4, path);
    if (!n) return n.error();
    if (*n == 0) return Malformed(path, "the encrypted file is cut short (its final chunk is missing)");
    if (*n < 4) return Malformed(path, "the encrypted file is cut short");
    const uint64_t length = GetLe(length_bytes, 4);
    if (length < crypto_secretstream_xchacha20poly1305_ABYTES || length > kMaxCipherChunk) {
      return Malformed(path, first ? "wrong passphrase, or the file was changed" : "the encrypted file was changed or damaged");
    }
    cipher.resize(length);
    n = ReadFull(fd, cipher.data(), length, path);
    if (!n) return n.error();
    if (*n < length) return Malformed(path, "the encrypted file is cut short");
    plain.resize(length - crypto_secretstream_xchacha20poly1305_ABYTES);
    unsigned long long plain_length = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&state, plain.data(), &plain_length, &tag, cipher.data(), length,
                                                   header, sizeof header) != 0) {
      return Malformed(path, first ? "wrong passphrase, or the file was changed"
                                   : "the encrypted file was changed or damaged");
    }
    first = false;
    plain.resize(plain_length);
    offset = 0;
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      finished = true;
      unsigned char extra;
      Result<size_t> more = ReadFull(fd, &extra, 1, path);
      if (!more) return more.error();
      if (*more != 0) return Malformed(path, "the encrypted file has bytes after its final chunk");
    } else if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
      return Malformed(path, "the encrypted file was changed or damaged");
    }
    return Status::Ok();
  }
};

DecryptingReader::DecryptingReader() : impl_(std::make_unique<Impl>()) {}
DecryptingReader::~DecryptingReader() = default;

Result<std::unique_ptr<DecryptingReader>> DecryptingReader::Open(const std::string& path,
                                                                 std::string_view passphrase) {
  HF_RETURN_IF_ERROR(InitCryptoLibrary());
  std::unique_ptr<DecryptingReader> reader(new DecryptingReader());
  Impl& r = *reader->impl_;
  r.path = path;
  HF_RETURN_IF_ERROR(r.OpenFile());
  const uint64_t algorithm = GetLe(r.header + 16, 4);
  const uint64_t ops = GetLe(r.header + 20, 8);
  const uint64_t mem = GetLe(r.header + 28, 8);
  if (algorithm != kAlgorithm) return Malformed(path, "unknown encryption " + std::to_string(algorithm));
  if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > kMaxOpsLimit || mem < crypto_pwhash_MEMLIMIT_MIN || mem > kMaxMemLimit) {
    return Malformed(path, "key derivation parameters out of range");
  }
  HF_RETURN_IF_ERROR(DeriveKey(passphrase, r.header + 36, ops, mem, &r.key));
  if (crypto_secretstream_xchacha20poly1305_init_pull(&r.state, r.header + kParamsBytes, r.key.data()) != 0) {
    return Malformed(path, "the encrypted file's header is damaged");
  }
  return reader;
}

Result<std::unique_ptr<DecryptingReader>> DecryptingReader::Reopen() const {
  std::unique_ptr<DecryptingReader> reader(new DecryptingReader());
  Impl& r = *reader->impl_;
  r.path = impl_->path;
  HF_RETURN_IF_ERROR(r.OpenFile());
  // The same key only for the same header: a file swapped in between passes
  // has another salt or stream header and is refused.
  if (std::memcmp(r.header, impl_->header, kHeaderBytes) != 0) {
    return Malformed(r.path, "the encrypted file changed while it was read");
  }
  r.key = impl_->key;
  if (crypto_secretstream_xchacha20poly1305_init_pull(&r.state, r.header + kParamsBytes, r.key.data()) != 0) {
    return Malformed(r.path, "the encrypted file's header is damaged");
  }
  return reader;
}

Result<size_t> DecryptingReader::Read(char* buffer, size_t capacity) {
  Impl& r = *impl_;
  while (r.offset == r.plain.size()) {
    if (r.finished) return size_t{0};
    HF_RETURN_IF_ERROR(r.NextChunk());
  }
  const size_t n = std::min(capacity, r.plain.size() - r.offset);
  std::memcpy(buffer, r.plain.data() + r.offset, n);
  r.offset += n;
  return n;
}

}  // namespace holdfast::platform
