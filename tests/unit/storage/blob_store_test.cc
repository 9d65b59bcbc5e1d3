// The chunked, content-addressed blob store in a real vault file.
#include <doctest/doctest.h>

#include <random>

#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {

using testing::TempDir;

std::string RandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

// A source that hands out `bytes` in pieces of at most `step` bytes.
ByteSource SourceOf(const std::string& bytes, size_t step) {
  auto offset = std::make_shared<size_t>(0);
  return [&bytes, offset, step](char* buffer, size_t capacity) -> Result<size_t> {
    size_t n = std::min({capacity, step, bytes.size() - *offset});
    std::copy_n(bytes.data() + *offset, n, buffer);
    *offset += n;
    return n;
  };
}

std::string ReadAll(Vault& vault, const platform::Digest& sha) {
  std::string out;
  Status status = vault.blobs().ReadBlob(sha, [&](std::string_view piece) {
    out.append(piece);
    return Status::Ok();
  });
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  return out;
}

int64_t CountRows(const std::filesystem::path& path, const char* sql) {
  Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READONLY);
  REQUIRE(db);
  Result<int64_t> n = (*db)->QueryInt(sql);
  REQUIRE(n);
  return *n;
}

TEST_CASE("a blob is stored in fixed chunks however the source delivers it, and reads back whole") {
  TempDir dir;
  const std::string content = RandomBytes(4 * BlobStore::kChunkSizeBytes + 123, 1);
  platform::Digest sha{};
  {
    std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
    Result<BlobRef> ref = vault->blobs().PutBlob(SourceOf(content, 7777));
    REQUIRE(ref);
    CHECK(ref->size_bytes == content.size());
    CHECK(ref->sha256 == platform::Sha256Of(content));
    sha = ref->sha256;
    CHECK(ReadAll(*vault, sha) == content);
  }
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blob_chunks") == 5);
  CHECK(CountRows(dir / "vault.db", "SELECT max(length(data)) FROM blob_chunks") ==
        static_cast<int64_t>(BlobStore::kChunkSizeBytes));
}

TEST_CASE("the same content stored twice is kept once") {
  TempDir dir;
  const std::string content = RandomBytes(600'000, 2);
  {
    std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
    BlobRef first = *vault->blobs().PutBlob(SourceOf(content, 1 << 20));
    BlobRef second = *vault->blobs().PutBlob(SourceOf(content, 1000));
    CHECK(first.sha256 == second.sha256);
    CHECK(vault->Stats()->blobs == 1);
    CHECK(*vault->blobs().HasBlob(first.sha256));
  }
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blob_chunks") == 3);
}

TEST_CASE("content put from memory with its digest reads back, chunked like a stream, once") {
  TempDir dir;
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  const std::string content = RandomBytes(2 * BlobStore::kChunkSizeBytes + 7, 9);
  const platform::Digest sha = platform::Sha256Of(content);
  BlobRef ref = *vault->blobs().PutBlobBytes(content, sha);
  CHECK(ref.sha256 == sha);
  CHECK(ref.size_bytes == content.size());
  CHECK(ReadAll(*vault, sha) == content);
  // The same content streamed later is the same blob.
  CHECK(vault->blobs().PutBlob(SourceOf(content, 1000))->sha256 == sha);
  CHECK(*vault->blobs().PutBlobBytes(content, sha) == ref);
  CHECK(vault->Stats()->blobs == 1);
  CHECK((*vault->Verify()).ok());
}

TEST_CASE("an empty blob is a valid blob") {
  TempDir dir;
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  const std::string empty;
  BlobRef ref = *vault->blobs().PutBlob(SourceOf(empty, 1));
  CHECK(ref.size_bytes == 0);
  CHECK(ReadAll(*vault, ref.sha256).empty());
}

TEST_CASE("a source failing mid-stream leaves no partial blob behind") {
  TempDir dir;
  const std::string content = RandomBytes(100 * BlobStore::kChunkSizeBytes, 3);
  {
    std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
    size_t offset = 0;
    // Fails after 80 chunks: past the first intermediate commit.
    Result<BlobRef> ref = vault->blobs().PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
      if (offset >= 80 * BlobStore::kChunkSizeBytes) return Status(ErrorCode::kIoError, "card removed");
      size_t n = std::min(capacity, content.size() - offset);
      std::copy_n(content.data() + offset, n, buffer);
      offset += n;
      return n;
    });
    REQUIRE_FALSE(ref.has_value());
    CHECK(ref.error().message().find("card removed") != std::string::npos);
    CHECK(vault->Stats()->blobs == 0);
  }
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blob_chunks") == 0);
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blobs") == 0);
}

TEST_CASE("an incomplete blob left by a dead writer is removed when the vault opens") {
  TempDir dir;
  REQUIRE(Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate).has_value());
  {
    // What a writer killed after step 1 and some of step 2 leaves behind.
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + (dir / "vault.db").string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("INSERT INTO blobs(id, sha256, size_bytes, chunk_count, created_at_ms) "
                        "VALUES(7, NULL, 0, 0, 0); INSERT INTO blob_chunks(blob_id, seq, data) "
                        "VALUES(7, 0, x'00112233')").ok());
  }
  REQUIRE(CountRows(dir / "vault.db", "SELECT count(*) FROM blob_chunks") == 1);
  REQUIRE(Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting).has_value());
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blob_chunks") == 0);
  CHECK(CountRows(dir / "vault.db", "SELECT count(*) FROM blobs") == 0);
}

TEST_CASE("a photo item refers to its blob and its revision streams the blob's bytes") {
  TempDir dir;
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  const std::string jpeg = "\xFF\xD8" + RandomBytes(700'000, 4) + "\xFF\xD9";
  int64_t camera = *vault->EnsureCollection(ItemKind::kPhoto, "Camera", "phone");
  BlobRef ref = *vault->blobs().PutBlob(SourceOf(jpeg, 65536));
  REQUIRE(*vault->PutItemBlob(camera, "IMG_1.jpg", ref, "IMG_1.jpg", 5) == PutOutcome::kCreated);
  CHECK(*vault->PutItemBlob(camera, "IMG_1.jpg", ref, "IMG_1.jpg", 6) == PutOutcome::kUnchanged);
  std::optional<ItemRecord> item = *vault->FindItem(camera, "IMG_1.jpg");
  REQUIRE(item);
  CHECK(item->sha256 == platform::Sha256Of(jpeg));
  CHECK(*vault->ReadRevisionBytes(item->head_revision_id, 1 << 21) == jpeg);
  CHECK(vault->ListRevisions(camera, "IMG_1.jpg")->at(0).in_blob);
}

TEST_CASE("a blob streamed inside a write batch commits and rolls back with the batch") {
  TempDir dir;
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  const std::string kept = RandomBytes(3 * BlobStore::kChunkSizeBytes, 5);
  const std::string dropped = RandomBytes(2 * BlobStore::kChunkSizeBytes, 6);
  {
    Result<WriteBatch> batch = vault->BeginBatch();
    REQUIRE(batch);
    REQUIRE(vault->blobs().PutBlob(SourceOf(dropped, 4096)));
  }
  CHECK_FALSE(*vault->blobs().HasBlob(platform::Sha256Of(dropped)));
  Result<WriteBatch> batch = vault->BeginBatch();
  REQUIRE(batch);
  Result<BlobRef> ref = vault->blobs().PutBlob(SourceOf(kept, 4096));
  REQUIRE(ref);
  REQUIRE(batch->Commit().ok());
  CHECK(ReadAll(*vault, ref->sha256) == kept);
  CHECK(vault->Stats()->blobs == 1);
}

}  // namespace
}  // namespace holdfast::storage
