// The names a snapshot gives items (agent/archive/snapshot.h), read from a
// real vault file: own paths, shared files, names made from uids and clashes.
#include "agent/archive/snapshot.h"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace holdfast::agent {
namespace {

using storage::CollectionInfo;
using storage::ItemKind;
using storage::Vault;
using testing::TempDir;

struct Named {
  std::string path;
  bool shares_file = false;
};

// uid -> (path, shares_file) of every item of the only collection, from the
// streamed walk; the gathered form (all items at once) must agree with it.
std::map<std::string, Named> Names(Vault& vault, const SnapshotFilter& filter) {
  std::map<std::string, Named> streamed;
  std::vector<std::string> order;
  Status status = ForEachSnapshotCollection(vault, filter, [&](const CollectionInfo&, SnapshotItems& items) {
    // Two walks give the same answer.
    for (int walk = 0; walk < 2; ++walk) {
      HF_RETURN_IF_ERROR(items.Visit([&](const SnapshotItem& s) {
        if (walk == 0) {
          streamed[s.item.uid] = {s.path, s.shares_file};
          order.push_back(s.item.uid);
        } else {
          CHECK(streamed[s.item.uid].path == s.path);
        }
        return Status::Ok();
      }));
    }
    return Status::Ok();
  });
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  std::vector<std::string> gathered_order;
  status = ForEachSnapshotCollection(vault, filter, [&](const CollectionInfo&, std::vector<SnapshotItem>&& items) {
    for (const SnapshotItem& s : items) {
      CHECK(streamed[s.item.uid].path == s.path);
      CHECK(streamed[s.item.uid].shares_file == s.shares_file);
      gathered_order.push_back(s.item.uid);
    }
    return Status::Ok();
  });
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  CHECK(gathered_order == order);
  return streamed;
}

struct Fixture {
  TempDir dir;
  std::unique_ptr<Vault> vault;
  int64_t collection = 0;

  Fixture() {
    Result<std::unique_ptr<Vault>> opened = Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().ToString()));
    vault = std::move(*opened);
    Result<int64_t> id = vault->EnsureCollection(ItemKind::kContact, "personal", "contacts");
    REQUIRE(id.has_value());
    collection = *id;
  }
  void Put(const std::string& uid, const std::string& source_path) {
    const std::string card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:x\r\nEND:VCARD\r\n";
    REQUIRE(vault->PutItem(collection, uid, card, "x", 1000, source_path).has_value());
  }
};

TEST_CASE("items keep their own paths; items sharing a file get names from their uids unless kept together") {
  Fixture f;
  f.Put("a", "personal/a.vcf");
  f.Put("b", "personal/both.vcf");
  f.Put("c", "personal/both.vcf");
  f.Put("d", "");  // no path recorded: a folder named after the collection

  std::map<std::string, Named> apart = Names(*f.vault, SnapshotFilter{});
  CHECK(apart["a"].path == "personal/a.vcf");
  CHECK(apart["b"].path == "personal/b.vcf");
  CHECK(apart["c"].path == "personal/c.vcf");
  CHECK(apart["d"].path == "personal/d.vcf");
  CHECK_FALSE(apart["b"].shares_file);

  SnapshotFilter keep;
  keep.keep_shared_files = true;
  std::map<std::string, Named> together = Names(*f.vault, keep);
  CHECK(together["a"].path == "personal/a.vcf");
  CHECK_FALSE(together["a"].shares_file);
  CHECK(together["b"].path == "personal/both.vcf");
  CHECK(together["b"].shares_file);
  CHECK(together["c"].path == "personal/both.vcf");
  CHECK(together["c"].shares_file);
}

TEST_CASE("a name made from a uid that is another item's own path gets a number instead") {
  Fixture f;
  // "b" shares a file, so it is named from its uid: "personal/b.vcf", which
  // is the own path of item "z" (later in uid order: the walk must look ahead).
  f.Put("b", "personal/both.vcf");
  f.Put("c", "personal/both.vcf");
  f.Put("z", "personal/b.vcf");
  std::map<std::string, Named> names = Names(*f.vault, SnapshotFilter{});
  CHECK(names["z"].path == "personal/b.vcf");
  CHECK(names["c"].path == "personal/c.vcf");
  const std::string numbered = names["b"].path;
  CHECK(numbered != "personal/b.vcf");
  CHECK(numbered.rfind("personal/", 0) == 0);
  CHECK(numbered.size() > std::string("personal/.vcf").size());
  CHECK(numbered.substr(numbered.size() - 4) == ".vcf");
}

TEST_CASE("a deleted item is not in a snapshot of now and does not make a path shared") {
  Fixture f;
  f.Put("a", "personal/both.vcf");
  f.Put("b", "personal/both.vcf");
  REQUIRE(f.vault->TombstoneItem(f.collection, "b", 2000).value());
  std::map<std::string, Named> names = Names(*f.vault, SnapshotFilter{});
  CHECK(names.size() == 1);
  CHECK(names["a"].path == "personal/both.vcf");
  CHECK_FALSE(names["a"].shares_file);
}

}  // namespace
}  // namespace holdfast::agent
