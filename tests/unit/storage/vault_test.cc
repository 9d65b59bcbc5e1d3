// Items, revisions, tombstones and batches in a real vault file.
#include "storage/vault.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {

using testing::TempDir;

std::unique_ptr<Vault> NewVault(const TempDir& dir) {
  Result<std::unique_ptr<Vault>> vault = Vault::Open(dir / "data/vault.db", Vault::OpenMode::kCreate);
  REQUIRE_MESSAGE(vault.has_value(), (vault ? "" : vault.error().ToString()));
  return std::move(*vault);
}

TEST_CASE("a new vault is a 0600 file in a 0700 folder, in WAL mode, with a device id") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  struct stat st {};
  REQUIRE(stat((dir / "data").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(stat((dir / "data/vault.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(vault->device_id().size() == 32);
  CHECK(vault->schema_version() >= 1);
  CHECK(vault->created_at_ms() > 1'600'000'000'000);
  // The WAL file exists while the vault is open, with the vault's mode.
  REQUIRE(stat((dir / "data/vault.db-wal").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::string header = testing::ReadFileBytes(dir / "data/vault.db").substr(0, 20);
  CHECK(header[18] == 2);  // file format 2: WAL
}

TEST_CASE("two vaults get different device ids and a reopened vault keeps its own") {
  TempDir dir;
  std::string first_id;
  {
    std::unique_ptr<Vault> vault = NewVault(dir);
    first_id = vault->device_id();
  }
  std::unique_ptr<Vault> again = NewVault(dir);
  CHECK(again->device_id() == first_id);
  TempDir other;
  CHECK(NewVault(other)->device_id() != first_id);
}

TEST_CASE("putting identical bytes again is a no-op") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  Result<int64_t> books = vault->EnsureCollection(ItemKind::kContact, "personal", "phone");
  REQUIRE(books);
  const std::string card = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada\r\nEND:VCARD\r\n";
  CHECK(*vault->PutItem(*books, "ada", card, "Ada", 1000) == PutOutcome::kCreated);
  CHECK(*vault->PutItem(*books, "ada", card, "Ada", 2000) == PutOutcome::kUnchanged);
  CHECK(vault->ListRevisions(*books, "ada")->size() == 1);
  std::optional<ItemRecord> item = *vault->FindItem(*books, "ada");
  REQUIRE(item);
  CHECK(item->last_seen_ms == 1000);  // nothing was written by the second put
  CHECK(*vault->ReadRevisionBytes(item->head_revision_id, 1 << 20) == card);
}

TEST_CASE("raw bytes come back byte-exact, including NULs, CR and invalid UTF-8") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  int64_t books = *vault->EnsureCollection(ItemKind::kContact, "personal", "phone");
  std::string raw("\xEF\xBB\xBF" "BEGIN:VCARD\r\nN:\xE9t\xE9\0x\r\n", 23);
  REQUIRE(vault->PutItem(books, "odd", raw, "", 1));
  std::optional<ItemRecord> item = *vault->FindItem(books, "odd");
  REQUIRE(item);
  CHECK(*vault->ReadRevisionBytes(item->head_revision_id, 100) == raw);
  CHECK(item->sha256 == platform::Sha256Of(raw));
  CHECK(item->size_bytes == raw.size());
}

TEST_CASE("every distinct content is kept as a revision and the vault answers as of any time") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  int64_t cal = *vault->EnsureCollection(ItemKind::kEvent, "home", "phone");
  REQUIRE(*vault->PutItem(cal, "meet", "version A", "Meet", 1000) == PutOutcome::kCreated);
  REQUIRE(*vault->PutItem(cal, "meet", "version B", "Meet", 2000) == PutOutcome::kChanged);
  REQUIRE(*vault->TombstoneItem(cal, "meet", 3000));
  REQUIRE(*vault->PutItem(cal, "meet", "version A", "Meet", 4000) == PutOutcome::kRestored);

  std::vector<RevisionInfo> revisions = *vault->ListRevisions(cal, "meet");
  REQUIRE(revisions.size() == 3);
  auto content_as_of = [&](int64_t t) -> std::string {
    std::optional<RevisionInfo> r = *vault->RevisionAsOf(cal, "meet", t);
    return r ? *vault->ReadRevisionBytes(r->id, 100) : std::string("<absent>");
  };
  CHECK(content_as_of(999) == "<absent>");
  CHECK(content_as_of(1000) == "version A");
  CHECK(content_as_of(2500) == "version B");
  CHECK(content_as_of(3500) == "<absent>");  // deleted on the device then
  CHECK(content_as_of(4000) == "version A");
  CHECK_FALSE(vault->FindItem(cal, "meet")->value().deleted);
}

TEST_CASE("a tombstone keeps the item restorable and is not recorded twice") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  int64_t tasks = *vault->EnsureCollection(ItemKind::kTask, "todo", "phone");
  REQUIRE(vault->PutItem(tasks, "t1", "buy milk", "buy milk", 10));
  CHECK(*vault->TombstoneItem(tasks, "t1", 20));
  CHECK_FALSE(*vault->TombstoneItem(tasks, "t1", 30));
  CHECK_FALSE(*vault->TombstoneItem(tasks, "never-existed", 30));
  std::optional<ItemRecord> item = *vault->FindItem(tasks, "t1");
  REQUIRE(item);
  CHECK(item->deleted);
  CHECK(*vault->ReadRevisionBytes(item->head_revision_id, 100) == "buy milk");
  VaultStats stats = *vault->Stats();
  CHECK(stats.by_kind[static_cast<size_t>(ItemKind::kTask)].items == 0);
  CHECK(stats.by_kind[static_cast<size_t>(ItemKind::kTask)].deleted_items == 1);
  // Putting the same bytes brings it back without a new revision.
  CHECK(*vault->PutItem(tasks, "t1", "buy milk", "buy milk", 40) == PutOutcome::kRestored);
  CHECK(vault->ListRevisions(tasks, "t1")->size() == 1);
  CHECK_FALSE(vault->FindItem(tasks, "t1")->value().deleted);
}

TEST_CASE("a batch that is not committed leaves nothing behind, a committed one survives reopening") {
  TempDir dir;
  {
    std::unique_ptr<Vault> vault = NewVault(dir);
    int64_t notes = *vault->EnsureCollection(ItemKind::kNote, "journal", "phone");
    {
      Result<WriteBatch> batch = vault->BeginBatch();
      REQUIRE(batch);
      REQUIRE(vault->PutItem(notes, "lost", "never committed", "", 1));
    }
    CHECK_FALSE(vault->FindItem(notes, "lost")->has_value());
    Result<WriteBatch> batch = vault->BeginBatch();
    REQUIRE(batch);
    CHECK_FALSE(vault->BeginBatch().has_value());  // only one at a time
    for (int i = 0; i < 100; ++i) {
      REQUIRE(vault->PutItem(notes, "n" + std::to_string(i), "note " + std::to_string(i), "", 2));
    }
    REQUIRE(batch->Commit().ok());
  }
  std::unique_ptr<Vault> vault = NewVault(dir);
  std::vector<CollectionInfo> collections = *vault->ListCollections();
  REQUIRE(collections.size() == 1);
  CHECK(vault->ListItems(collections[0].id)->size() == 100);
}

TEST_CASE("putting into an unknown collection is an error that names it") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  Result<PutOutcome> put = vault->PutItem(42, "x", "y", "", 1);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code() == ErrorCode::kNotFound);
  CHECK(put.error().message().find("collection 42") != std::string::npos);
}

TEST_CASE("a collection created in a rolled-back batch cannot receive items afterwards") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  int64_t id = 0;
  {
    Result<WriteBatch> batch = vault->BeginBatch();
    REQUIRE(batch);
    id = *vault->EnsureCollection(ItemKind::kNote, "gone", "phone");
    REQUIRE(vault->PutItem(id, "n1", "inside the batch", "", 1));
  }
  Result<PutOutcome> put = vault->PutItem(id, "n2", "after the rollback", "", 2);
  REQUIRE_FALSE(put.has_value());
  CHECK(put.error().code() == ErrorCode::kNotFound);
  CHECK(vault->ListCollections()->empty());
}

TEST_CASE("a collection keeps its kind: the same source and name with another kind is refused") {
  TempDir dir;
  std::unique_ptr<Vault> vault = NewVault(dir);
  Result<int64_t> first = vault->EnsureCollection(ItemKind::kContact, "personal", "phone");
  REQUIRE(first);
  CHECK(*vault->EnsureCollection(ItemKind::kContact, "personal", "phone") == *first);
  Result<int64_t> clash = vault->EnsureCollection(ItemKind::kEvent, "personal", "phone");
  REQUIRE_FALSE(clash.has_value());
  CHECK(clash.error().code() == ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace holdfast::storage
