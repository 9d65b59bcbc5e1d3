// The ledger's DAV records (schema 6) in a real vault file: collection
// tokens per remote and server collection, and refusals that an
// acknowledgement clears.
#include "storage/ledger.h"

#include <doctest/doctest.h>

#include "platform/sha256.h"
#include "storage/scratch_map.h"
#include "storage/vault.h"
#include "tests/support/temp_dir.h"

namespace holdfast::storage {
namespace {

using testing::TempDir;

struct Fixture {
  TempDir dir;
  std::unique_ptr<Vault> vault;
  int64_t collection = 0;
  Fixture() {
    Result<std::unique_ptr<Vault>> opened = Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().ToString()));
    vault = std::move(*opened);
    Result<int64_t> c = vault->EnsureCollection(ItemKind::kContact, "people", "src");
    REQUIRE(c.has_value());
    collection = *c;
  }
  int64_t Put(const std::string& uid, const std::string& content) {
    Result<PutOutcome> put = vault->PutItem(collection, uid, content, uid, 1000);
    REQUIRE_MESSAGE(put.has_value(), (put ? "" : put.error().ToString()));
    Result<std::optional<ItemRecord>> item = vault->FindItem(collection, uid);
    REQUIRE(item.has_value());
    REQUIRE(item->has_value());
    return (*item)->id;
  }
};

TEST_CASE("collection tokens are kept per remote and collection, replaced, forgotten, and cleared with the ledger") {
  Fixture f;
  Ledger a(*f.vault, "a");
  Ledger b(*f.vault, "b");
  CHECK(a.Tokens("book")->has_value() == false);
  REQUIRE(a.SetTokens("book", {"sync-1", "ctag-1"}, 5).ok());
  REQUIRE(a.SetTokens("cal", {"", "ctag-9"}, 5).ok());
  CHECK(*a.Tokens("book") == CollectionTokens{"sync-1", "ctag-1"});
  CHECK(*a.Tokens("cal") == CollectionTokens{"", "ctag-9"});
  CHECK(b.Tokens("book")->has_value() == false);
  REQUIRE(a.SetTokens("book", {"sync-2", "ctag-2"}, 6).ok());
  CHECK(*a.Tokens("book") == CollectionTokens{"sync-2", "ctag-2"});
  REQUIRE(a.ForgetTokens("book").ok());
  CHECK(a.Tokens("book")->has_value() == false);
  REQUIRE(a.Clear().ok());
  CHECK(a.Tokens("cal")->has_value() == false);
}

TEST_CASE("a refusal is listed with its reason until the remote acknowledges the item") {
  Fixture f;
  const int64_t one = f.Put("one", "BEGIN:VCARD\r\nUID:one\r\nEND:VCARD\r\n");
  const int64_t two = f.Put("two", "BEGIN:VCARD\r\nUID:two\r\nEND:VCARD\r\n");
  Ledger a(*f.vault, "a");
  const platform::Digest d1 = platform::Sha256Of("x");
  REQUIRE(a.RecordRefusal(two, d1, "HTTP 415: unsupported", 7).ok());
  REQUIRE(a.RecordRefusal(one, d1, "HTTP 400: cannot parse", 8).ok());
  Result<std::vector<Refusal>> refused = a.Refusals();
  REQUIRE(refused.has_value());
  REQUIRE(refused->size() == 2);
  CHECK((*refused)[0].uid == "one");  // uid order
  CHECK((*refused)[0].reason == "HTTP 400: cannot parse");
  CHECK((*refused)[0].refused_ms == 8);
  CHECK((*refused)[1].uid == "two");
  CHECK((*refused)[1].sha256 == d1);
  CHECK(Ledger(*f.vault, "b").Refusals()->empty());
  REQUIRE(a.RecordAcks({LedgerAck{one, d1, false, "etag"}}, 9).ok());
  refused = a.Refusals();
  REQUIRE(refused->size() == 1);
  CHECK((*refused)[0].uid == "two");
}

// Reads every page of one collection's pending changes, `limit` at a time,
// acknowledging `ack_each_page` of each page's changes before the next page.
std::vector<std::string> PagedUids(Ledger& ledger, int64_t collection, bool newest_first, size_t limit,
                                   size_t ack_each_page = 0) {
  std::vector<std::string> uids;
  PendingCursor cursor;
  while (true) {
    Result<std::vector<PendingChange>> page = ledger.PendingPage(collection, newest_first, cursor, limit);
    REQUIRE_MESSAGE(page.has_value(), (page ? "" : page.error().ToString()));
    CHECK(page->size() <= limit);
    if (page->empty()) break;
    std::vector<LedgerAck> acks;
    for (const PendingChange& p : *page) {
      uids.push_back(p.uid);
      if (acks.size() < ack_each_page) acks.push_back(LedgerAck{p.item_id, p.sha256, false, ""});
    }
    REQUIRE(ledger.RecordAcks(acks, 1).ok());
    cursor = PendingCursor{page->back().item_id, page->back().captured_at_ms};
  }
  return uids;
}

TEST_CASE("pending changes come page by page in the order asked, each once, while pages are acknowledged") {
  Fixture f;
  Result<int64_t> photos = f.vault->EnsureCollection(ItemKind::kPhoto, "camera", "src");
  REQUIRE(photos.has_value());
  std::vector<std::string> by_id, newest_first;
  for (int i = 0; i < 7; ++i) {
    const std::string uid = "c" + std::to_string(i);
    f.Put(uid, "BEGIN:VCARD\r\nUID:" + uid + "\r\nEND:VCARD\r\n");
    by_id.push_back(uid);
  }
  // Photos captured at 3000, 1000, 3000, 2000: newest first, ties by item id.
  const int64_t captured[] = {3000, 1000, 3000, 2000};
  for (int i = 0; i < 4; ++i) {
    const std::string uid = "p" + std::to_string(i);
    REQUIRE(f.vault->PutItem(*photos, uid, "photo " + uid, uid, captured[i]).has_value());
  }
  Ledger ledger(*f.vault, "a");
  CHECK(PagedUids(ledger, f.collection, false, 3) == by_id);
  CHECK(PagedUids(ledger, f.collection, false, 100) == by_id);
  CHECK(PagedUids(ledger, *photos, true, 1) == std::vector<std::string>{"p0", "p2", "p3", "p1"});
  CHECK(PagedUids(ledger, *photos, true, 3) == std::vector<std::string>{"p0", "p2", "p3", "p1"});
  // Acknowledging part of each page drops those changes without skipping others.
  CHECK(PagedUids(ledger, f.collection, false, 3, 1) == by_id);
  CHECK(PagedUids(ledger, f.collection, false, 3) == std::vector<std::string>{"c1", "c2", "c4", "c5"});
}

TEST_CASE("a scratch map takes, marks and lists its entries in byte order") {
  Result<std::unique_ptr<ScratchMap>> opened = ScratchMap::Open();
  REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.error().ToString()));
  ScratchMap& map = **opened;
  REQUIRE(map.Put("b", "2").ok());
  REQUIRE(map.Put("a", "1").ok());
  REQUIRE(map.Put(std::string("c\0x", 3), "").ok());
  REQUIRE(map.Put("a", "one").ok());  // replaces
  REQUIRE(map.Mark("b").ok());
  REQUIRE(map.Mark("absent").ok());
  Result<std::optional<std::string>> taken = map.Take("a");
  REQUIRE(taken.has_value());
  CHECK(*taken == std::optional<std::string>("one"));
  CHECK(*map.Take("a") == std::nullopt);
  std::vector<std::string> listed;
  REQUIRE(map.ForEach([&](std::string_view key, std::string_view value, bool marked) {
    listed.push_back(std::string(key) + "=" + std::string(value) + (marked ? "*" : ""));
    return Status::Ok();
  }).ok());
  CHECK(listed == std::vector<std::string>{"b=2*", std::string("c\0x=", 4)});
  REQUIRE(map.Clear().ok());
  listed.clear();
  REQUIRE(map.ForEach([&](std::string_view key, std::string_view, bool) {
    listed.emplace_back(key);
    return Status::Ok();
  }).ok());
  CHECK(listed.empty());
}

}  // namespace
}  // namespace holdfast::storage
