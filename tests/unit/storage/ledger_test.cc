// The ledger's DAV records (schema 6) in a real vault file: collection
// tokens per remote and server collection, and refusals that an
// acknowledgement clears.
#include "storage/ledger.h"

#include <doctest/doctest.h>

#include "platform/sha256.h"
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

}  // namespace
}  // namespace holdfast::storage
