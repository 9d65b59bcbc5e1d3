// holdfast import is all-or-nothing where docs/formats.md says "nothing was
// imported": archives whose every member matches its manifest but which the
// second pass used to refuse halfway (a contact over 64 MiB, an item of a
// kind its collection does not have, a collection the vault holds with
// another kind) are refused before the first write.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "agent/archive/archive_format.h"
#include "agent/exit_codes.h"
#include "platform/pim/content_line.h"
#include "platform/sha256.h"
#include "platform/tar_archive.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitBadInput;
using agent::kExitOk;
using agent::ManifestCollection;
using agent::ManifestItem;
using storage::ItemKind;
using testing::ProcessResult;
using testing::RunProcess;

struct Member {
  ManifestItem item;
  std::string content;
};

ManifestItem Item(const std::string& uid, ItemKind kind, const std::string& collection, const std::string& content) {
  ManifestItem item;
  item.member = std::string(agent::kArchiveItemsPrefix) + collection + "/" + uid;
  item.sha256 = platform::Sha256Of(content);
  item.size_bytes = content.size();
  item.source = "contacts";
  item.collection = collection;
  item.kind = kind;
  item.uid = uid;
  item.summary = uid;
  item.source_path = collection + "/" + uid;
  item.captured_at_ms = 1700000000000;
  return item;
}

// A well-formed archive: every member matches the manifest and SHA256SUMS,
// so the only reason to refuse it is what the members are.
void WriteArchive(const fs::path& path, const std::vector<ManifestCollection>& collections,
                  const std::vector<Member>& members) {
  std::string manifest = agent::ManifestHeaderLine("device-1", 1700000000000, std::nullopt);
  std::string sums;
  for (const ManifestCollection& c : collections) manifest += agent::ManifestCollectionLine(c);
  for (const Member& m : members) {
    manifest += agent::ManifestItemLine(m.item);
    sums += platform::ToHex(m.item.sha256) + "  " + m.item.member.substr(agent::kArchiveRoot.size()) + "\n";
  }
  manifest += agent::ManifestEndLine(static_cast<int64_t>(collections.size()), static_cast<int64_t>(members.size()));
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  REQUIRE(fd >= 0);
  platform::TarWriter tar;
  REQUIRE(tar.Open(fd, path.string(), false).ok());
  for (const Member& m : members) {
    REQUIRE(tar.BeginFile(m.item.member, m.content.size(), 0).ok());
    REQUIRE(tar.Write(m.content).ok());
  }
  REQUIRE(tar.BeginFile(agent::kArchiveSums, sums.size(), 0).ok());
  REQUIRE(tar.Write(sums).ok());
  REQUIRE(tar.BeginFile(agent::kArchiveManifest, manifest.size(), 0).ok());
  REQUIRE(tar.Write(manifest).ok());
  REQUIRE(tar.Close().ok());
  close(fd);
}

std::string Card(const std::string& uid) {
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + uid + "\r\nEND:VCARD\r\n";
}

ProcessResult Import(const testing::TempDir& dir, const fs::path& archive) {
  return RunProcess({"/usr/bin/timeout", "120", testing::HoldfastBinary(), "--vault", (dir / "vault.db").string(),
                     "--config", (dir / "config.json").string(), "import", archive.string()});
}

size_t ItemsIn(const testing::TempDir& dir) {
  if (!fs::exists(dir / "vault.db")) return 0;
  return testing::VaultLiveItems((dir / "vault.db").string()).size();
}

TEST_CASE("an archive with a contact over 64 MiB is refused before any item is imported") {
  testing::TempDir dir;
  const std::string big = Card("big") + std::string(platform::kMaxPimFileBytes + 1 - Card("big").size(), 'x');
  REQUIRE(big.size() == platform::kMaxPimFileBytes + 1);
  // Small items first: the old second pass committed them, then refused the big one.
  std::vector<Member> members;
  for (const char* uid : {"a", "b", "c"}) members.push_back({Item(uid, ItemKind::kContact, "personal", Card(uid)), Card(uid)});
  const std::string filler(17 << 20, 'p');  // a photo over the 16 MiB that commits the open batch
  members.push_back({Item("photo", ItemKind::kPhoto, "camera", filler), filler});
  members.push_back({Item("big", ItemKind::kContact, "personal", big), big});
  WriteArchive(dir / "a.tar", {{"contacts", "personal", ItemKind::kContact}, {"contacts", "camera", ItemKind::kPhoto}},
               members);
  ProcessResult imported = Import(dir, dir / "a.tar");
  CHECK_MESSAGE(imported.exit_code == kExitBadInput, (imported.out + imported.err));
  CHECK(imported.err.find("nothing was imported") != std::string::npos);
  CHECK(imported.err.find("over the 67108864") != std::string::npos);
  CHECK(ItemsIn(dir) == 0);

  // Negative control: the same archive with the big contact at the limit imports whole.
  const std::string at_limit = big.substr(0, platform::kMaxPimFileBytes);
  members.back() = {Item("big", ItemKind::kContact, "personal", at_limit), at_limit};
  WriteArchive(dir / "b.tar", {{"contacts", "personal", ItemKind::kContact}, {"contacts", "camera", ItemKind::kPhoto}},
               members);
  ProcessResult whole = Import(dir, dir / "b.tar");
  CHECK_MESSAGE(whole.exit_code == kExitOk, (whole.out + whole.err));
  CHECK(ItemsIn(dir) == 5);
}

TEST_CASE("an item whose kind its collection does not have is refused before any item is imported") {
  testing::TempDir dir;
  std::vector<Member> members;
  for (const char* uid : {"a", "b"}) members.push_back({Item(uid, ItemKind::kContact, "personal", Card(uid)), Card(uid)});
  const std::string photo(17 << 20, 'p');
  members.push_back({Item("p", ItemKind::kPhoto, "camera", photo), photo});
  // Listed as a photo collection, holding a "contact".
  members.push_back({Item("odd", ItemKind::kContact, "camera", Card("odd")), Card("odd")});
  WriteArchive(dir / "a.tar", {{"contacts", "personal", ItemKind::kContact}, {"contacts", "camera", ItemKind::kPhoto}},
               members);
  ProcessResult imported = Import(dir, dir / "a.tar");
  CHECK_MESSAGE(imported.exit_code != kExitOk, (imported.out + imported.err));
  CHECK(imported.err.find("nothing was imported") != std::string::npos);
  CHECK(ItemsIn(dir) == 0);
}

TEST_CASE("a collection the vault holds with another kind is refused before any collection is created") {
  testing::TempDir dir;
  // The vault first gets a photo collection "contacts"/"later" from a small archive.
  const std::string jpeg = "\xff\xd8\xff photo";
  WriteArchive(dir / "first.tar", {{"contacts", "later", ItemKind::kPhoto}},
               {{Item("p", ItemKind::kPhoto, "later", jpeg), jpeg}});
  REQUIRE(Import(dir, dir / "first.tar").exit_code == kExitOk);
  REQUIRE(ItemsIn(dir) == 1);
  // Then an archive whose first collection is new and whose second is "later" as contacts.
  WriteArchive(dir / "second.tar",
               {{"contacts", "personal", ItemKind::kContact}, {"contacts", "later", ItemKind::kContact}},
               {{Item("a", ItemKind::kContact, "personal", Card("a")), Card("a")},
                {Item("b", ItemKind::kContact, "later", Card("b")), Card("b")}});
  ProcessResult imported = Import(dir, dir / "second.tar");
  CHECK(imported.exit_code != kExitOk);
  CHECK(imported.err.find("holds photo items in the vault") != std::string::npos);
  CHECK(ItemsIn(dir) == 1);
  ProcessResult status = RunProcess({testing::HoldfastBinary(), "--vault", (dir / "vault.db").string(), "--config",
                                     (dir / "config.json").string(), "status", "--json"});
  const nlohmann::json doc = nlohmann::json::parse(status.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK_MESSAGE(doc.dump().find("\"contact\":{\"collections\":0") != std::string::npos, doc.dump());
}

}  // namespace
}  // namespace holdfast
