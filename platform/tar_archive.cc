#include "platform/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "platform/files.h"

namespace holdfast::platform {
namespace {

struct WriteDeleter {
  void operator()(archive* a) const { archive_write_free(a); }
};
struct ReadDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};

std::string ErrorText(archive* a) {
  const char* text = archive_error_string(a);
  return text != nullptr ? text : "unknown archive error";
}

// A failed write: the OS's errno when libarchive kept one (ENOSPC becomes
// kNoSpace), else kIoError with libarchive's text.
Status WriteError(archive* a, const std::string& where) {
  const int err = archive_errno(a);
  if (err > 0) return ErrnoStatus(where + ": " + ErrorText(a), err);
  return Status(ErrorCode::kIoError, where + ": " + ErrorText(a));
}

}  // namespace

struct TarWriter::Impl {
  std::unique_ptr<archive, WriteDeleter> a;
  std::string name;
  uint64_t remaining = 0;
  Sink sink;
  Status sink_error;  // the sink's own error, kept over libarchive's text

  // An archive that was never closed (an error stopped the caller) is freed
  // without writing its end. libarchive flushes what it buffered when it is
  // freed, and by then the sink may refer to what the caller already
  // destroyed (an encrypting stream declared after the writer, say); the
  // partial output is the caller's to discard anyway.
  ~Impl() {
    sink = [](std::string_view) { return Status(ErrorCode::kIoError, "archive abandoned"); };
    a.reset();
  }

  static la_ssize_t OnWrite(archive*, void* user, const void* data, size_t size) {
    auto* impl = static_cast<Impl*>(user);
    Status written = impl->sink(std::string_view(static_cast<const char*>(data), size));
    if (!written.ok()) {
      impl->sink_error = written;
      return -1;
    }
    return static_cast<la_ssize_t>(size);
  }
  Status Failed(const std::string& where) {
    return sink_error.ok() ? WriteError(a.get(), where) : sink_error;
  }
};

TarWriter::TarWriter() : impl_(std::make_unique<Impl>()) {}
TarWriter::~TarWriter() = default;

Status TarWriter::Open(int fd, std::string_view name, bool zstd) {
  const std::string path(name);
  return Open([fd, path](std::string_view bytes) { return WriteFd(fd, bytes, path); }, name, zstd);
}

Status TarWriter::Open(Sink sink, std::string_view name, bool zstd) {
  impl_->name = std::string(name);
  impl_->sink = std::move(sink);
  impl_->a.reset(archive_write_new());
  if (!impl_->a) return Status(ErrorCode::kIoError, impl_->name + ": not enough memory for an archive");
  archive* a = impl_->a.get();
  // GNU tar format: long names without limit, and names written as the bytes
  // they are (pax would convert them through the process locale, which fails
  // for non-ASCII names in the C locale).
  if (archive_write_set_format_gnutar(a) != ARCHIVE_OK ||
      (zstd && archive_write_add_filter_zstd(a) != ARCHIVE_OK) ||
      archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
      archive_write_open(a, impl_.get(), nullptr, &Impl::OnWrite, nullptr) != ARCHIVE_OK) {
    return impl_->Failed(impl_->name);
  }
  return Status::Ok();
}

Status TarWriter::BeginFile(std::string_view member_path, uint64_t size_bytes, int64_t mtime_ms) {
  if (impl_->remaining != 0) {
    return Status(ErrorCode::kInternal, impl_->name + ": previous member is short of bytes");
  }
  std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
  const std::string path(member_path);
  archive_entry_copy_pathname(entry.get(), path.c_str());
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size_bytes));
  const int64_t clamped_ms = std::max<int64_t>(mtime_ms, 0);  // tar has no time before 1970
  archive_entry_set_mtime(entry.get(), clamped_ms / 1000, static_cast<long>((clamped_ms % 1000) * 1000000));
  if (archive_write_header(impl_->a.get(), entry.get()) != ARCHIVE_OK) {
    return impl_->Failed(impl_->name + ": member " + path);
  }
  impl_->remaining = size_bytes;
  return Status::Ok();
}

Status TarWriter::Write(std::string_view bytes) {
  if (bytes.size() > impl_->remaining) {
    return Status(ErrorCode::kInternal, impl_->name + ": more bytes than the member's size");
  }
  while (!bytes.empty()) {
    la_ssize_t n = archive_write_data(impl_->a.get(), bytes.data(), bytes.size());
    if (n <= 0) return impl_->Failed(impl_->name);
    bytes.remove_prefix(static_cast<size_t>(n));
    impl_->remaining -= static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status TarWriter::Close() {
  if (impl_->remaining != 0) {
    return Status(ErrorCode::kInternal, impl_->name + ": last member is short of bytes");
  }
  if (archive_write_close(impl_->a.get()) != ARCHIVE_OK) return impl_->Failed(impl_->name);
  return Status::Ok();
}

// ---------------------------------------------------------------------------

struct TarReader::Impl {
  std::unique_ptr<archive, ReadDeleter> a;
  std::string name;
  Source source;
  Status source_error;  // the source's own error, kept over libarchive's text
  std::vector<char> buffer;

  static la_ssize_t OnRead(archive*, void* user, const void** data) {
    auto* impl = static_cast<Impl*>(user);
    Result<size_t> n = impl->source(impl->buffer.data(), impl->buffer.size());
    if (!n) {
      impl->source_error = n.error();
      return -1;
    }
    *data = impl->buffer.data();
    return static_cast<la_ssize_t>(*n);
  }
};

TarReader::TarReader() : impl_(std::make_unique<Impl>()) {}
TarReader::~TarReader() = default;

Status TarReader::Open(const std::string& path) {
  impl_->name = path;
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return ErrnoStatus(path, errno);
  if (!S_ISREG(st.st_mode)) return Status(ErrorCode::kInvalidArgument, path + ": not a regular file");
  impl_->a.reset(archive_read_new());
  archive* a = impl_->a.get();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  if (archive_read_open_filename(a, path.c_str(), 256 * 1024) != ARCHIVE_OK) {
    return Status(ErrorCode::kMalformedInput, path + ": cannot be read as an archive: " + ErrorText(a));
  }
  return Status::Ok();
}

Status TarReader::Open(Source source, const std::string& name) {
  impl_->name = name;
  impl_->source = std::move(source);
  impl_->buffer.resize(256 * 1024);
  impl_->a.reset(archive_read_new());
  archive* a = impl_->a.get();
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  if (archive_read_open(a, impl_.get(), nullptr, &Impl::OnRead, nullptr) != ARCHIVE_OK) {
    if (!impl_->source_error.ok()) return impl_->source_error;
    return Status(ErrorCode::kMalformedInput, name + ": cannot be read as an archive: " + ErrorText(a));
  }
  return Status::Ok();
}

Result<bool> TarReader::Next(TarMember* member) {
  archive_entry* entry = nullptr;
  int rc = archive_read_next_header(impl_->a.get(), &entry);
  if (rc == ARCHIVE_EOF && impl_->source_error.ok()) return false;
  if (rc != ARCHIVE_OK) {
    if (!impl_->source_error.ok()) return impl_->source_error;
    return Status(ErrorCode::kMalformedInput,
                  impl_->name + ": damaged or not a tar archive: " + ErrorText(impl_->a.get()));
  }
  const char* path = archive_entry_pathname(entry);
  member->path = path != nullptr ? path : "";
  member->size_bytes = archive_entry_size_is_set(entry) ? static_cast<uint64_t>(archive_entry_size(entry)) : 0;
  member->regular_file = archive_entry_filetype(entry) == AE_IFREG;
  return true;
}

Result<size_t> TarReader::Read(char* buffer, size_t capacity) {
  la_ssize_t n = archive_read_data(impl_->a.get(), buffer, capacity);
  if (n < 0) {
    if (!impl_->source_error.ok()) return impl_->source_error;
    return Status(ErrorCode::kMalformedInput,
                  impl_->name + ": damaged or truncated member data: " + ErrorText(impl_->a.get()));
  }
  return static_cast<size_t>(n);
}

}  // namespace holdfast::platform
