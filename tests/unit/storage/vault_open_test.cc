// Opening vaults: locks, foreign files, damaged files, newer schemas and
// migrations. Each refusal must leave the file exactly as it was.
#include <doctest/doctest.h>
#include <unistd.h>

#include "agent/exit_codes.h"
#include "platform/files.h"
#include "storage/migrations.h"
#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {
using agent::kExitLocked;
using agent::kExitOk;

using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

Result<std::unique_ptr<Vault>> OpenExisting(const std::filesystem::path& path) {
  return Vault::Open(path, Vault::OpenMode::kExisting);
}

// A closed vault with one collection and one item.
std::filesystem::path MakeVault(const TempDir& dir) {
  std::filesystem::path path = dir / "vault.db";
  std::unique_ptr<Vault> vault = *Vault::Open(path, Vault::OpenMode::kCreate);
  int64_t books = *vault->EnsureCollection(ItemKind::kContact, "personal", "phone");
  REQUIRE(vault->PutItem(books, "a", "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n", "A", 1));
  return path;
}

TEST_CASE("a second opener in the same process is told the vault is in use by this pid") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  std::unique_ptr<Vault> first = *OpenExisting(path);
  Result<std::unique_ptr<Vault>> second = OpenExisting(path);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code() == ErrorCode::kVaultLocked);
  CHECK(second.error().message().find("in use by process " + std::to_string(getpid())) !=
        std::string::npos);
  first.reset();
  CHECK(OpenExisting(path).has_value());  // released with the first Vault
}

TEST_CASE("a second holdfast process gets a clear lock error and the vault stays intact") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  std::unique_ptr<Vault> holder = *OpenExisting(path);
  testing::ProcessResult run =
      testing::RunProcess({testing::HoldfastBinary(), "--vault", path.string(), "status"});
  CHECK(run.exit_code == kExitLocked);
  CHECK(run.err.find("vault is in use by process " + std::to_string(getpid())) != std::string::npos);
  holder.reset();
  testing::ProcessResult verify =
      testing::RunProcess({testing::HoldfastBinary(), "--vault", path.string(), "verify"});
  CHECK_MESSAGE(verify.exit_code == kExitOk, (verify.out + verify.err));
}

TEST_CASE("a missing vault is not created by opening it") {
  TempDir dir;
  Result<std::unique_ptr<Vault>> vault = OpenExisting(dir / "none/vault.db");
  REQUIRE_FALSE(vault.has_value());
  CHECK(vault.error().code() == ErrorCode::kNotFound);
  CHECK(vault.error().message().find("holdfast init") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "none"));
}

TEST_CASE("files that are not vaults are refused without change and without a lock file") {
  TempDir dir;
  struct Case {
    const char* name;
    std::string bytes;
  };
  std::vector<Case> cases = {
      {"text", "BEGIN:VCARD\r\nFN:not a vault\r\nEND:VCARD\r\n"},
      {"short", "SQLite format 3"},
      {"garbage", std::string(8192, '\x5a')},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    std::filesystem::path path = dir / c.name;
    WriteFileBytes(path, c.bytes);
    Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
    REQUIRE_FALSE(vault.has_value());
    CHECK(vault.error().code() == ErrorCode::kNotAVault);
    CHECK(vault.error().message().find(path.string()) != std::string::npos);
    CHECK(ReadFileBytes(path) == c.bytes);
    CHECK_FALSE(std::filesystem::exists(path.string() + ".lock"));
  }
  // A folder where the vault should be.
  std::filesystem::create_directory(dir / "folder");
  CHECK(OpenExisting(dir / "folder").error().code() == ErrorCode::kNotAVault);
}

TEST_CASE("an SQLite database of another program is refused unchanged") {
  TempDir dir;
  std::filesystem::path path = dir / "other.db";
  {
    Result<std::unique_ptr<Db>> db =
        Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("CREATE TABLE contacts(name TEXT); INSERT INTO contacts VALUES('x')").ok());
  }
  const std::string before = ReadFileBytes(path);
  for (Vault::OpenMode mode : {Vault::OpenMode::kExisting, Vault::OpenMode::kCreate}) {
    Result<std::unique_ptr<Vault>> vault = Vault::Open(path, mode);
    REQUIRE_FALSE(vault.has_value());
    CHECK(vault.error().code() == ErrorCode::kNotAVault);
    CHECK(vault.error().message().find("another program") != std::string::npos);
  }
  CHECK(ReadFileBytes(path) == before);
}

TEST_CASE("a damaged vault gives a clear error and is not changed") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  const std::string good = ReadFileBytes(path);
  REQUIRE(good.size() >= 4 * 4096);

  SUBCASE("truncated to its first page") {
    const std::string damaged = good.substr(0, 4096);
    WriteFileBytes(path, damaged);
    Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
    REQUIRE_FALSE(vault.has_value());
    CHECK(vault.error().code() == ErrorCode::kCorruptVault);
    CHECK(vault.error().message().find(path.string()) != std::string::npos);
    CHECK(ReadFileBytes(path) == damaged);
  }
  SUBCASE("every page after the header overwritten") {
    std::string damaged = good.substr(0, 100) + std::string(good.size() - 100, '\xA5');
    WriteFileBytes(path, damaged);
    Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
    REQUIRE_FALSE(vault.has_value());
    CHECK(vault.error().code() == ErrorCode::kCorruptVault);
    CHECK(ReadFileBytes(path) == damaged);
  }
}

TEST_CASE("a vault written by a newer Holdfast is refused and left untouched") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("PRAGMA user_version = " + std::to_string(kCurrentSchemaVersion + 1)).ok());
  }
  const std::string before = ReadFileBytes(path);
  Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
  REQUIRE_FALSE(vault.has_value());
  CHECK(vault.error().code() == ErrorCode::kVaultTooNew);
  CHECK(vault.error().message().find("newer Holdfast") != std::string::npos);
  CHECK(ReadFileBytes(path) == before);
}

TEST_CASE("a second opener that names the vault through a symbolic link or a hard link gets the lock error") {
  for (const bool hard : {false, true}) {
    CAPTURE(hard);
    TempDir dir;
    std::filesystem::path path = MakeVault(dir);
    const std::filesystem::path other = dir / "other-name.db";
    if (hard) {
      std::filesystem::create_hard_link(path, other);
    } else {
      std::filesystem::create_symlink(path, other);
    }
    std::unique_ptr<Vault> first = *OpenExisting(path);
    Result<std::unique_ptr<Vault>> second = OpenExisting(other);
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error().code() == ErrorCode::kVaultLocked);
    // Another process through the other name is refused too, with exit status 4.
    testing::ProcessResult run = testing::RunProcess({testing::HoldfastBinary(), "--vault", other.string(), "status"});
    CHECK_MESSAGE(run.exit_code == kExitLocked, run.err);
    first.reset();
    CHECK(OpenExisting(other).has_value());  // released with the first Vault
  }
}

TEST_CASE("a newer vault whose WAL still holds commits is refused with file and WAL untouched") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    // What a crash leaves: commits in the WAL, never checkpointed.
    sqlite3_db_config((*db)->get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    REQUIRE((*db)->Exec("PRAGMA journal_mode = WAL").ok());
    REQUIRE((*db)->Exec("CREATE TABLE newer_feature(x); INSERT INTO newer_feature VALUES (randomblob(100000));").ok());
    REQUIRE((*db)->Exec("PRAGMA user_version = " + std::to_string(kCurrentSchemaVersion + 1)).ok());
  }
  const std::filesystem::path wal = path.string() + "-wal";
  REQUIRE(std::filesystem::exists(wal));
  const std::string file_before = ReadFileBytes(path);
  const std::string wal_before = ReadFileBytes(wal);
  REQUIRE(!wal_before.empty());
  Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
  REQUIRE_FALSE(vault.has_value());
  CHECK(vault.error().code() == ErrorCode::kVaultTooNew);
  CHECK(ReadFileBytes(path) == file_before);
  REQUIRE(std::filesystem::exists(wal));
  CHECK(ReadFileBytes(wal) == wal_before);
}

// What a power cut in the middle of a checkpoint can leave: commits in the
// WAL, and the file's first page torn by the checkpoint copying it back.
void CommitToWalAndTearHeader(const std::filesystem::path& path) {
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    sqlite3_db_config((*db)->get(), SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    REQUIRE((*db)->Exec("PRAGMA journal_mode = WAL").ok());
    // A schema change: page 1 is in the WAL.
    REQUIRE((*db)->Exec("CREATE TABLE scratch(x); DROP TABLE scratch;").ok());
  }
  std::string bytes = ReadFileBytes(path);
  REQUIRE(bytes.size() > 4096);
  for (size_t i = 0; i < 4096; ++i) bytes[i] = static_cast<char>(i * 131 + 7);
  WriteFileBytes(path, bytes);
}

TEST_CASE("a vault whose first page a power cut tore during a checkpoint opens from its WAL") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  CommitToWalAndTearHeader(path);
  Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
  REQUIRE_MESSAGE(vault.has_value(), (vault ? "" : vault.error().ToString()));
  Result<VerifyReport> report = (*vault)->Verify();
  REQUIRE(report);
  CHECK(report->ok());
  Result<std::vector<CollectionInfo>> collections = (*vault)->ListCollections();
  REQUIRE(collections);
  REQUIRE(collections->size() == 1);
  Result<std::optional<ItemRecord>> item = (*vault)->FindItem(collections->front().id, "a");
  REQUIRE(item);
  CHECK(item->has_value());
}

TEST_CASE("a torn header with a WAL of another program is still refused, unchanged") {
  TempDir dir;
  std::filesystem::path path = dir / "other.db";
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    REQUIRE(db);
    REQUIRE((*db)->Exec("PRAGMA page_size = 4096; CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(9000));").ok());
  }
  CommitToWalAndTearHeader(path);
  const std::string file_before = ReadFileBytes(path);
  const std::string wal_before = ReadFileBytes(path.string() + "-wal");
  Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
  REQUIRE_FALSE(vault.has_value());
  CHECK(vault.error().code() == ErrorCode::kNotAVault);
  CHECK(ReadFileBytes(path) == file_before);
  CHECK(ReadFileBytes(path.string() + "-wal") == wal_before);
}

TEST_CASE("an init interrupted after creating the empty file is completed by the next init") {
  TempDir dir;
  std::filesystem::path path = dir / "vault.db";
  REQUIRE(platform::CreateEmptyFile(path, 0600).ok());
  CHECK(OpenExisting(path).error().code() == ErrorCode::kNotAVault);
  Result<std::unique_ptr<Vault>> vault = Vault::Open(path, Vault::OpenMode::kCreate);
  REQUIRE(vault);
  CHECK((*vault)->schema_version() == kCurrentSchemaVersion);
}

TEST_CASE("a vault at every older schema version migrates to the current one and keeps its data") {
  for (int version = 0; version < kCurrentSchemaVersion; ++version) {
    CAPTURE(version);
    TempDir dir;
    std::filesystem::path path = dir / "vault.db";
    {
      // Build the vault exactly as a release at `version` left it.
      REQUIRE(platform::CreateEmptyFile(path, 0600).ok());
      Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
      REQUIRE(db);
      REQUIRE((*db)->Exec("PRAGMA application_id = " + std::to_string(kVaultApplicationId)).ok());
      REQUIRE((*db)->Exec("PRAGMA journal_mode = WAL").ok());
      REQUIRE(MigrateTo(**db, version).ok());
      REQUIRE(*SchemaVersion(**db) == version);
      if (version >= 1) {
        REQUIRE((*db)->Exec("INSERT INTO collections(id, kind, name, source, created_at_ms) "
                            "VALUES(1, 'contact', 'old', 'phone', 5)").ok());
      }
    }
    Result<std::unique_ptr<Vault>> vault = OpenExisting(path);
    if (version == 0) {
      // Version 0 is a vault whose first migration never committed.
      REQUIRE(vault);
    } else {
      REQUIRE_MESSAGE(vault.has_value(), vault.error().ToString());
      std::vector<CollectionInfo> collections = *(*vault)->ListCollections();
      REQUIRE(collections.size() == 1);
      CHECK(collections[0].name == "old");
    }
    CHECK((*vault)->schema_version() == kCurrentSchemaVersion);
    CHECK((*vault)->Verify()->ok());
  }
}

TEST_CASE("migrating is idempotent and records the version in meta and user_version alike") {
  TempDir dir;
  std::filesystem::path path = MakeVault(dir);
  {
    Result<std::unique_ptr<Db>> db = Db::Open("file:" + path.string(), SQLITE_OPEN_READWRITE);
    REQUIRE(db);
    REQUIRE(MigrateTo(**db, kCurrentSchemaVersion).ok());
    CHECK(*SchemaVersion(**db) == kCurrentSchemaVersion);
    CHECK(*(*db)->QueryInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") ==
          kCurrentSchemaVersion);
    CHECK(MigrateTo(**db, kCurrentSchemaVersion - 1).code() == ErrorCode::kVaultTooNew);
  }
}

}  // namespace
}  // namespace holdfast::storage
