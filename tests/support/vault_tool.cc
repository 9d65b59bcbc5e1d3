// vault_tool: a small program the crash and integration tests run as a child
// process, so that they can kill it or limit its memory.
//
//   vault_tool write-revisions VAULT SEED [--lie]
//       Writes revisions forever (single puts, batches, blobs, tombstones) and
//       prints "committed <collection-id> <uid> <sha256>" for each revision
//       only after the write that holds it returned OK. With --lie it reports
//       batches it never commits: a negative control for the kill harness.
//   vault_tool put-blob VAULT FILE MAX_MEMORY_MIB
//       Limits its address space to MAX_MEMORY_MIB, streams FILE into the blob
//       store, reads it back, and prints "stored <sha256> <size>" and
//       "readback <sha256> <size>".
//   vault_tool alloc SIZE_MIB MAX_MEMORY_MIB
//       Tries to allocate SIZE_MIB under the limit (a negative control).
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "platform/sha256.h"
#include "storage/vault.h"

namespace {

using holdfast::Result;
using holdfast::Status;
using holdfast::storage::Vault;

int Fail(const Status& status) {
  std::fprintf(stderr, "vault_tool: %s\n", status.ToString().c_str());
  return 1;
}

std::string RandomBytes(std::mt19937_64& rng, size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
  return bytes;
}

void Report(int64_t collection_id, const std::string& uid, const std::string& content) {
  std::printf("committed %lld %s %s\n", static_cast<long long>(collection_id), uid.c_str(),
              holdfast::platform::ToHex(holdfast::platform::Sha256Of(content)).c_str());
  std::fflush(stdout);
}

int WriteRevisions(const char* vault_path, uint64_t seed, bool lie) {
  Result<std::unique_ptr<Vault>> vault = Vault::Open(vault_path, Vault::OpenMode::kCreate);
  if (!vault) return Fail(vault.error());
  using holdfast::storage::ItemKind;
  Result<int64_t> contacts = (*vault)->EnsureCollection(ItemKind::kContact, "personal", "kill-test");
  Result<int64_t> photos = (*vault)->EnsureCollection(ItemKind::kPhoto, "camera", "kill-test");
  if (!contacts) return Fail(contacts.error());
  if (!photos) return Fail(photos.error());
  std::mt19937_64 rng(seed);
  for (int64_t i = 0;; ++i) {
    const int op = static_cast<int>(rng() % 10);
    const int64_t now_ms = 1'700'000'000'000 + i;
    if (op < 5) {  // one put, durable on return
      std::string uid = "item-" + std::to_string(rng() % 200);
      std::string content = "BEGIN:VCARD\r\nNOTE:" + std::to_string(seed) + "-" +
                            std::to_string(i) + "\r\n" + RandomBytes(rng, rng() % 2000) + "END:VCARD\r\n";
      Result<holdfast::storage::PutOutcome> put = (*vault)->PutItem(*contacts, uid, content, uid, now_ms);
      if (!put) return Fail(put.error());
      Report(*contacts, uid, content);
    } else if (op < 8) {  // a batch, durable when Commit returns
      Result<holdfast::storage::WriteBatch> batch = (*vault)->BeginBatch();
      if (!batch) return Fail(batch.error());
      std::vector<std::pair<std::string, std::string>> written;
      for (int n = 0; n < 25; ++n) {
        std::string uid = "item-" + std::to_string(rng() % 200);
        std::string content = "batch " + std::to_string(i) + "/" + std::to_string(n) + RandomBytes(rng, 500);
        Result<holdfast::storage::PutOutcome> put = (*vault)->PutItem(*contacts, uid, content, uid, now_ms);
        if (!put) return Fail(put.error());
        written.emplace_back(uid, content);
      }
      if (lie) {
        // The negative control: report the batch, then drop it uncommitted.
        for (const auto& [uid, content] : written) Report(*contacts, uid, content);
        continue;
      }
      Status status = batch->Commit();
      if (!status.ok()) return Fail(status);
      for (const auto& [uid, content] : written) Report(*contacts, uid, content);
    } else if (op < 9) {  // a blob of several chunks, then the item that uses it
      std::string content = RandomBytes(rng, 300'000 + rng() % 500'000);
      size_t offset = 0;
      Result<holdfast::storage::BlobRef> blob =
          (*vault)->blobs().PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
            size_t n = std::min(capacity, content.size() - offset);
            std::copy_n(content.data() + offset, n, buffer);
            offset += n;
            return n;
          });
      if (!blob) return Fail(blob.error());
      std::string uid = "photo-" + std::to_string(rng() % 20);
      Result<holdfast::storage::PutOutcome> put = (*vault)->PutItemBlob(*photos, uid, *blob, uid, now_ms);
      if (!put) return Fail(put.error());
      Report(*photos, uid, content);
    } else {
      Result<bool> gone =
          (*vault)->TombstoneItem(*contacts, "item-" + std::to_string(rng() % 200), now_ms);
      if (!gone) return Fail(gone.error());
    }
  }
}

// Limits what this process may hold to max_memory_mib: an address-space
// limit (RLIMIT_AS). Under AddressSanitizer, which reserves terabytes of
// shadow address space at start, that limit would fail every allocation; the
// process then runs itself again with ASan's own bound on one allocation
// (max_allocation_size_mb), which still stops a process that holds a whole
// large file in one buffer. Under qemu-user (the arm64 tests), which accepts
// RLIMIT_AS but does not apply it to the emulated program (getrlimit then
// still shows the old limit), the process runs itself again with qemu's own
// bound on the emulated address space (QEMU_RESERVED_VA). blob_memory_test's
// negative control checks that whichever limit is in force stops a large
// allocation. Returns false (having printed why) on failure.
bool LimitMemory(long max_memory_mib, char** argv) {
#if defined(__SANITIZE_ADDRESS__)
  const char* options = std::getenv("ASAN_OPTIONS");
  const std::string current = options != nullptr ? options : "";
  if (current.find("max_allocation_size_mb=") != std::string::npos) return true;
  const std::string limited = current + (current.empty() ? "" : ":") + "max_allocation_size_mb=" +
                              std::to_string(max_memory_mib) + ":allocator_may_return_null=1";
  setenv("ASAN_OPTIONS", limited.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::perror("execv");
  return false;
#else
  (void)argv;
  rlimit limit{};
  limit.rlim_cur = limit.rlim_max = static_cast<rlim_t>(max_memory_mib) * 1024 * 1024;
  if (setrlimit(RLIMIT_AS, &limit) != 0) {
    std::perror("setrlimit");
    return false;
  }
  rlimit in_force{};
  if (getrlimit(RLIMIT_AS, &in_force) != 0) {
    std::perror("getrlimit");
    return false;
  }
  if (in_force.rlim_cur == limit.rlim_cur) return true;
  if (std::getenv("QEMU_RESERVED_VA") != nullptr) return true;  // run again under qemu's bound
  const std::string reserved = std::to_string(max_memory_mib) + "M";
  setenv("QEMU_RESERVED_VA", reserved.c_str(), 1);
  execv("/proc/self/exe", argv);
  std::perror("execv");
  return false;
#endif
}

int PutBlob(const char* vault_path, const char* file, long max_memory_mib, char** argv) {
  if (!LimitMemory(max_memory_mib, argv)) return 1;
  Result<std::unique_ptr<Vault>> vault = Vault::Open(vault_path, Vault::OpenMode::kCreate);
  if (!vault) return Fail(vault.error());
  Result<holdfast::storage::BlobRef> blob = (*vault)->blobs().PutBlobFromFile(file);
  if (!blob) return Fail(blob.error());
  std::printf("stored %s %llu\n", holdfast::platform::ToHex(blob->sha256).c_str(),
              static_cast<unsigned long long>(blob->size_bytes));
  holdfast::platform::Sha256 hasher;
  unsigned long long size = 0;
  Status status = (*vault)->blobs().ReadBlob(blob->sha256, [&](std::string_view bytes) {
    hasher.Update(bytes);
    size += bytes.size();
    return Status::Ok();
  });
  if (!status.ok()) return Fail(status);
  std::printf("readback %s %llu\n", holdfast::platform::ToHex(hasher.Finish()).c_str(), size);
  return 0;
}

// Tries to hold size_mib in memory under a max_memory_mib address-space limit.
int Alloc(long size_mib, long max_memory_mib, char** argv) {
  if (!LimitMemory(max_memory_mib, argv)) return 1;
  void* block = std::malloc(static_cast<size_t>(size_mib) * 1024 * 1024);
  if (block == nullptr) {
    std::fprintf(stderr, "vault_tool: cannot allocate %ld MiB\n", size_mib);
    return 1;
  }
  std::memset(block, 1, static_cast<size_t>(size_mib) * 1024 * 1024);
  std::free(block);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command = argc > 1 ? argv[1] : "";
  if (command == "write-revisions" && (argc == 4 || argc == 5)) {
    bool lie = argc == 5 && std::string(argv[4]) == "--lie";
    return WriteRevisions(argv[2], std::strtoull(argv[3], nullptr, 10), lie);
  }
  if (command == "alloc" && argc == 4) return Alloc(std::atol(argv[2]), std::atol(argv[3]), argv);
  if (command == "put-blob" && argc == 5) return PutBlob(argv[2], argv[3], std::atol(argv[4]), argv);
  std::fprintf(stderr, "usage: vault_tool write-revisions VAULT SEED | put-blob VAULT FILE MAX_MEMORY_MIB\n");
  return 2;
}
