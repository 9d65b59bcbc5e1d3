#include "storage/blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "platform/files.h"
#include "storage/sqlite_handle.h"
#include "storage/vault_connection.h"

namespace holdfast::storage {
namespace {

using platform::Digest;

// Chunks written per transaction while streaming: bounds the WAL's growth
// and the work a crash can lose, at a cost of one sync per 16 MiB.
constexpr int kChunksPerTransaction = 64;

}  // namespace

Result<int64_t> BlobStore::BlobId(const Digest& sha256) {
  Result<Stmt> stmt = conn_.db().Cached("SELECT id FROM blobs WHERE sha256 = ?1");
  if (!stmt) return stmt.error();
  stmt->BindBlob(1, sha256.data(), sha256.size());
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, "blob " + platform::ToHex(sha256) + " is not in the vault");
  return stmt->Int(0);
}

Result<bool> BlobStore::HasBlob(const Digest& sha256) {
  Result<int64_t> id = BlobId(sha256);
  if (id) return true;
  if (id.error().code() == ErrorCode::kNotFound) return false;
  return id.error();
}

Status BlobStore::RemoveIncompleteBlobs() {
  // Only one process writes the vault (it holds the lock), so a blob still
  // without its SHA-256 belongs to a writer that died mid-stream.
  return conn_.InTransaction([&]() -> Status {
    HF_RETURN_IF_ERROR(conn_.db().Exec(
        "DELETE FROM blob_chunks WHERE blob_id IN (SELECT id FROM blobs WHERE sha256 IS NULL)"));
    return conn_.db().Exec("DELETE FROM blobs WHERE sha256 IS NULL");
  });
}

// Steps outside a batch, each safe to crash after (tests/crash kills a writer
// at random points):
//   1. a blobs row with sha256 NULL marks the blob as being written
//   2. chunks are appended and committed every kChunksPerTransaction chunks
//   3. one last transaction either gives the row its SHA-256 and size, or,
//      when that content is already stored, deletes the row and its chunks
// A crash before step 3 commits leaves an incomplete blob that the next Open
// removes (RemoveIncompleteBlobs); the caller was never told OK.
Result<BlobRef> BlobStore::PutBlob(const ByteSource& source) {
  // Inside a batch every step runs in the batch's one transaction: the blob
  // is committed, or rolled back, with the rest of the batch.
  int64_t blob_id = 0;
  HF_RETURN_IF_ERROR(conn_.InTransaction([&]() -> Status {  // step 1
    HF_RETURN_IF_ERROR(conn_.db().Exec(
        "INSERT INTO blobs(sha256, size_bytes, chunk_count, created_at_ms) VALUES(NULL, 0, 0, "
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))"));
    blob_id = sqlite3_last_insert_rowid(conn_.db().get());
    return Status::Ok();
  }));

  platform::Sha256 hasher;
  std::vector<char> buffer(kChunkSizeBytes);
  uint64_t size_bytes = 0;
  int64_t seq = 0;
  bool at_end = false;
  while (!at_end) {  // step 2
    Status status = conn_.InTransaction([&]() -> Status {
      for (int n = 0; n < kChunksPerTransaction && !at_end; ++n) {
        // Fill the whole chunk so chunk boundaries do not depend on how the
        // source happens to deliver bytes.
        size_t filled = 0;
        while (filled < buffer.size()) {
          Result<size_t> got = source(buffer.data() + filled, buffer.size() - filled);
          if (!got) return got.error();
          if (*got == 0) {
            at_end = true;
            break;
          }
          filled += *got;
        }
        if (filled == 0) break;
        hasher.Update(buffer.data(), filled);
        Result<Stmt> insert =
            conn_.db().Cached("INSERT INTO blob_chunks(blob_id, seq, data) VALUES(?1, ?2, ?3)");
        if (!insert) return insert.error();
        HF_RETURN_IF_ERROR(
            insert->Bind(1, blob_id).Bind(2, seq).BindBlobStatic(3, buffer.data(), filled).Run());
        ++seq;
        size_bytes += filled;
      }
      return Status::Ok();
    });
    if (!status.ok()) {
      (void)RemoveIncompleteBlobs();
      return status;
    }
  }

  BlobRef ref;
  ref.sha256 = hasher.Finish();
  ref.size_bytes = size_bytes;
  Status status = conn_.InTransaction([&]() -> Status {  // step 3
    Result<bool> exists = HasBlob(ref.sha256);
    if (!exists) return exists.error();
    if (*exists) {
      Result<Stmt> drop_chunks = conn_.db().Cached("DELETE FROM blob_chunks WHERE blob_id = ?1");
      if (!drop_chunks) return drop_chunks.error();
      HF_RETURN_IF_ERROR(drop_chunks->Bind(1, blob_id).Run());
      Result<Stmt> drop = conn_.db().Cached("DELETE FROM blobs WHERE id = ?1");
      if (!drop) return drop.error();
      return drop->Bind(1, blob_id).Run();
    }
    Result<Stmt> complete = conn_.db().Cached(
        "UPDATE blobs SET sha256 = ?2, size_bytes = ?3, chunk_count = ?4 WHERE id = ?1");
    if (!complete) return complete.error();
    complete->Bind(1, blob_id).BindBlob(2, ref.sha256.data(), ref.sha256.size());
    return complete->Bind(3, static_cast<int64_t>(size_bytes)).Bind(4, seq).Run();
  });
  if (!status.ok()) {
    (void)RemoveIncompleteBlobs();
    return status;
  }
  return ref;
}

Result<BlobRef> BlobStore::PutBlobFromFile(const std::filesystem::path& file, bool* file_failed) {
  if (file_failed != nullptr) *file_failed = false;
  Result<int> opened = platform::OpenRegularFile(file);
  if (!opened) {
    if (file_failed != nullptr) *file_failed = true;
    return opened.error();
  }
  const int fd = *opened;
  Result<BlobRef> ref = PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
    while (true) {
      ssize_t n = read(fd, buffer, capacity);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) {
        if (file_failed != nullptr) *file_failed = true;
        return ErrnoStatus("read " + file.string(), errno);
      }
    }
  });
  close(fd);
  return ref;
}

Result<BlobRef> BlobStore::PutBlobBytes(std::string_view content, const Digest& sha256) {
  BlobRef ref{sha256, content.size()};
  Result<bool> exists = HasBlob(sha256);
  if (!exists) return exists.error();
  if (*exists) return ref;
  // One transaction: the blob row is complete (it has its SHA-256) from the
  // start, so there is no incomplete state for a crash to leave.
  Status status = conn_.InTransaction([&]() -> Status {
    const int64_t chunks =
        static_cast<int64_t>((content.size() + kChunkSizeBytes - 1) / kChunkSizeBytes);
    Result<Stmt> blob = conn_.db().Cached(
        "INSERT INTO blobs(sha256, size_bytes, chunk_count, created_at_ms) VALUES(?1, ?2, ?3, "
        "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
    if (!blob) return blob.error();
    blob->BindBlob(1, sha256.data(), sha256.size()).Bind(2, static_cast<int64_t>(content.size()));
    HF_RETURN_IF_ERROR(blob->Bind(3, chunks).Run());
    const int64_t blob_id = sqlite3_last_insert_rowid(conn_.db().get());
    for (int64_t seq = 0; seq < chunks; ++seq) {
      std::string_view chunk = content.substr(static_cast<size_t>(seq) * kChunkSizeBytes, kChunkSizeBytes);
      Result<Stmt> insert =
          conn_.db().Cached("INSERT INTO blob_chunks(blob_id, seq, data) VALUES(?1, ?2, ?3)");
      if (!insert) return insert.error();
      HF_RETURN_IF_ERROR(
          insert->Bind(1, blob_id).Bind(2, seq).BindBlobStatic(3, chunk.data(), chunk.size()).Run());
    }
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return ref;
}

Status BlobStore::ReadBlob(const Digest& sha256, const ByteSink& sink) {
  const std::string where = "blob " + platform::ToHex(sha256);
  Result<Stmt> blob = conn_.db().Cached("SELECT id, size_bytes, chunk_count FROM blobs WHERE sha256 = ?1");
  if (!blob) return blob.error();
  blob->BindBlob(1, sha256.data(), sha256.size());
  Result<bool> row = blob->Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, where + " is not in the vault");
  const int64_t blob_id = blob->Int(0);
  const int64_t size_bytes = blob->Int(1);
  const int64_t chunk_count = blob->Int(2);

  blob->Reset();
  // Cached: the sink must not read blobs itself (nothing does).
  Result<Stmt> chunks = conn_.db().Cached("SELECT seq, data FROM blob_chunks WHERE blob_id = ?1 ORDER BY seq");
  if (!chunks) return chunks.error();
  chunks->Bind(1, blob_id);
  int64_t expected_seq = 0;
  int64_t delivered = 0;
  while (true) {
    Result<bool> more = chunks->Step();
    if (!more) return more.error().WithContext(where);
    if (!*more) break;
    if (chunks->Int(0) != expected_seq) {
      return Status(ErrorCode::kCorruptVault, where + ": chunk " + std::to_string(expected_seq) + " is missing");
    }
    std::string_view data = chunks->Blob(1);
    delivered += static_cast<int64_t>(data.size());
    HF_RETURN_IF_ERROR(sink(data));
    ++expected_seq;
  }
  if (expected_seq != chunk_count || delivered != size_bytes) {
    return Status(ErrorCode::kCorruptVault,
                  where + ": has " + std::to_string(expected_seq) + " chunks and " +
                      std::to_string(delivered) + " bytes, expected " + std::to_string(chunk_count) +
                      " chunks and " + std::to_string(size_bytes) + " bytes");
  }
  return Status::Ok();
}

Status BlobStore::ReadBlobRange(const Digest& sha256, uint64_t offset, uint64_t max_bytes, const ByteSink& sink) {
  const std::string where = "blob " + platform::ToHex(sha256);
  Result<Stmt> blob = conn_.db().Prepare("SELECT id, size_bytes FROM blobs WHERE sha256 = ?1");
  if (!blob) return blob.error();
  Result<bool> row = blob->BindBlob(1, sha256.data(), sha256.size()).Step();
  if (!row) return row.error();
  if (!*row) return Status(ErrorCode::kNotFound, where + " is not in the vault");
  const int64_t blob_id = blob->Int(0);
  const uint64_t size_bytes = static_cast<uint64_t>(blob->Int(1));
  if (offset > size_bytes) {
    return Status(ErrorCode::kInvalidArgument, where + ": offset " + std::to_string(offset) + " is past its end");
  }
  int64_t seq = static_cast<int64_t>(offset / kChunkSizeBytes);
  size_t skip = static_cast<size_t>(offset % kChunkSizeBytes);
  Result<Stmt> chunks = conn_.db().Prepare("SELECT seq, data FROM blob_chunks WHERE blob_id = ?1 AND seq >= ?2 ORDER BY seq");
  if (!chunks) return chunks.error();
  chunks->Bind(1, blob_id).Bind(2, seq);
  uint64_t delivered = offset;
  const uint64_t end = std::min(size_bytes, offset + max_bytes);
  while (delivered < end) {
    Result<bool> more = chunks->Step();
    if (!more) return more.error().WithContext(where);
    if (!*more) break;
    if (chunks->Int(0) != seq) {
      return Status(ErrorCode::kCorruptVault, where + ": chunk " + std::to_string(seq) + " is missing");
    }
    std::string_view data = chunks->Blob(1);
    if (skip > data.size()) return Status(ErrorCode::kCorruptVault, where + ": chunk " + std::to_string(seq) + " is short");
    data.remove_prefix(skip);
    skip = 0;
    if (data.size() > end - delivered) data = data.substr(0, end - delivered);
    delivered += data.size();
    HF_RETURN_IF_ERROR(sink(data));
    ++seq;
  }
  if (delivered != end) {
    return Status(ErrorCode::kCorruptVault, where + ": " + std::to_string(delivered) + " of " +
                                                std::to_string(size_bytes) + " bytes present");
  }
  return Status::Ok();
}

}  // namespace holdfast::storage
