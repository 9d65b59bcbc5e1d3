// verify: one flipped byte anywhere in stored content is found and named.
#include <doctest/doctest.h>

#include "agent/exit_codes.h"
#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {
using agent::kExitDamage;
using agent::kExitOk;

using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr char kItemMarker[] = "ITEM-MARKER-a7c3f1";
constexpr char kBlobMarker[] = "BLOB-MARKER-9e2d44";

// A closed vault (checkpointed into the main file) holding a contact whose
// bytes contain kItemMarker and a photo blob whose second chunk does.
std::filesystem::path MakeVault(const TempDir& dir) {
  std::filesystem::path path = dir / "vault.db";
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kCreate);
  int64_t books = *vault->EnsureCollection(ItemKind::kContact, "personal", "phone");
  int64_t camera = *vault->EnsureCollection(ItemKind::kPhoto, "Camera", "phone");
  REQUIRE(vault->PutItem(books, "ada", std::string("BEGIN:VCARD\r\nNOTE:") + kItemMarker + "\r\nEND:VCARD\r\n",
                         "Ada", 1));
  std::string photo(BlobStore::kChunkSizeBytes + 1000, 'p');
  photo.replace(BlobStore::kChunkSizeBytes + 10, sizeof kBlobMarker - 1, kBlobMarker);
  size_t offset = 0;
  BlobRef ref = *vault->blobs().PutBlob([&](char* buffer, size_t capacity) -> Result<size_t> {
    size_t n = std::min(capacity, photo.size() - offset);
    std::copy_n(photo.data() + offset, n, buffer);
    offset += n;
    return n;
  });
  REQUIRE(vault->PutItemBlob(camera, "IMG_1.jpg", ref, "", 1));
  return path;
}

void FlipByteOf(const std::filesystem::path& path, const char* marker) {
  std::string bytes = ReadFileBytes(path);
  size_t at = bytes.find(marker);
  REQUIRE_MESSAGE(at != std::string::npos, "marker not in the vault file");
  REQUIRE(bytes.find(marker, at + 1) == std::string::npos);
  bytes[at + 3] = static_cast<char>(bytes[at + 3] ^ 0x01);
  WriteFileBytes(path, bytes);
}

TEST_CASE("verify passes on an undamaged vault and counts what it hashed") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kExisting);
  VerifyReport report = *vault->Verify();
  CHECK(report.ok());
  CHECK(report.revisions_checked == 2);
  CHECK(report.blobs_checked == 1);
  CHECK(report.bytes_hashed > static_cast<int64_t>(BlobStore::kChunkSizeBytes));
}

TEST_CASE("verify finds a single flipped byte in an item and names the item") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  FlipByteOf(path, kItemMarker);
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kExisting);
  VerifyReport report = *vault->Verify();
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0].what == "item");
  CHECK(report.damage[0].where.find("uid 'ada'") != std::string::npos);
  CHECK(report.damage[0].detail.find("hash to") != std::string::npos);
}

TEST_CASE("verify finds a single flipped byte in a blob chunk and names the blob") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  FlipByteOf(path, kBlobMarker);
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kExisting);
  VerifyReport report = *vault->Verify();
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0].what == "blob");
  CHECK(report.damage[0].where.find("blob ") == 0);
}

TEST_CASE("verify reports rows whose parent is missing") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("DELETE FROM collections WHERE name = 'personal'").ok());
  }
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kExisting);
  VerifyReport report = *vault->Verify();
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0].what == "item");
  CHECK(report.damage[0].detail.find("(uid 'ada') belongs to missing collection") != std::string::npos);
}

TEST_CASE("holdfast verify exits non-zero and reports the damage") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  testing::ProcessResult clean =
      testing::RunProcess({testing::HoldfastBinary(), "--vault", path.string(), "verify"});
  CHECK_MESSAGE(clean.exit_code == kExitOk, (clean.out + clean.err));
  FlipByteOf(path, kItemMarker);
  testing::ProcessResult damaged =
      testing::RunProcess({testing::HoldfastBinary(), "--vault", path.string(), "verify"});
  CHECK(damaged.exit_code == kExitDamage);
  CHECK(damaged.out.find("DAMAGED item collection 'personal' uid 'ada'") != std::string::npos);
  testing::ProcessResult json =
      testing::RunProcess({testing::HoldfastBinary(), "--vault", path.string(), "verify", "--json"});
  CHECK(json.exit_code == kExitDamage);
  CHECK(json.out.find("\"ok\": false") != std::string::npos);
}

}  // namespace
}  // namespace holdfast::storage
