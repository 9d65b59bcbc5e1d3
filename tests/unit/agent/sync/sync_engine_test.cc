// The sync engine against an in-memory RemoteBackend (a second
// implementation of the interface, and a fault-injecting double) and a
// ManualClock: the policy of detect -> recover -> push -> read-back without a
// server process, and the wait for an operator's slot without sleeping.
#include "agent/sync/sync_engine.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "agent/sync/check.h"
#include "platform/sha256.h"
#include "tests/support/manual_clock.h"
#include "tests/support/temp_dir.h"

namespace holdfast::agent {
namespace {

using storage::Vault;

// A server held in maps. Items go inline (no blob store); `fail_state`
// makes the state unknown.
class MemoryBackend final : public RemoteBackend {
 public:
  std::string epoch = "e1";
  std::map<std::string, std::map<std::string, std::string>> collections;  // id -> item name -> sha hex
  std::optional<ReuploadRequestInfo> reupload;
  std::optional<Status> fail_state;
  int state_reads = 0;
  int batches = 0;  // WriteBatch calls

  const std::string& name() const override { return name_; }
  int max_in_flight() const override { return 2; }
  int64_t retries() const override { return 0; }
  std::optional<int64_t> RetryAfterMs() const override { return std::nullopt; }

  Result<RemoteState> ReadState() override {
    ++state_reads;
    if (fail_state) return *fail_state;
    RemoteState state;
    state.source = "memory";
    state.epoch = epoch;
    for (const auto& [id, items] : collections) state.collections.push_back({id, std::nullopt});
    state.reupload = reupload;
    return state;
  }
  std::string CollectionId(const storage::CollectionInfo& c) const override { return c.source + "/" + c.name; }
  std::optional<CollectionSummary> SummaryOf(const std::vector<storage::LedgerEntry>&) const override {
    return std::nullopt;  // like a DAV server: the engine lists inventories
  }
  void EnsureCollection(const storage::CollectionInfo& c, std::function<void(Status)> done) override {
    collections[CollectionId(c)];
    queued_.push_back([done] { done(Status::Ok()); });
  }
  bool NeedsBlob(uint64_t, bool) const override { return false; }
  Result<bool> BlobHeld(const platform::Digest&, uint64_t) override { return false; }
  void UploadBlob(const platform::Digest&, uint64_t, ContentReader, std::function<void(int64_t)>,
                  std::function<void(Status)> done) override {
    queued_.push_back([done] { done(Status(ErrorCode::kInternal, "no blob store")); });
  }
  size_t max_batch_entries() const override { return 2; }
  size_t max_batch_inline_bytes() const override { return 1 << 20; }
  void WriteBatch(const std::string& id, std::vector<ItemWrite> puts, std::vector<std::string> deletes,
                  std::function<void(Result<BatchOutcome>&&)> done) override {
    ++batches;
    queued_.push_back([this, id, puts = std::move(puts), deletes = std::move(deletes), done] {
      BatchOutcome outcome;
      auto found = collections.find(id);
      if (found == collections.end()) {
        outcome.collection_gone = true;
        return done(std::move(outcome));
      }
      for (const ItemWrite& put : puts) {
        found->second[put.uid] = platform::ToHex(platform::Sha256Of(put.content));
        outcome.puts.push_back(BatchOutcome::Put::kStored);
        outcome.put_reasons.emplace_back();
      }
      for (const std::string& uid : deletes) {
        found->second.erase(uid);
        outcome.deletes.push_back(BatchOutcome::Delete::kDeleted);
        outcome.delete_reasons.emplace_back();
      }
      done(std::move(outcome));
    });
  }
  Status RemoveItem(const std::string& id, const std::string& item) override {
    collections[id].erase(item);
    return Status::Ok();
  }
  std::string ItemName(std::string_view uid) const override { return std::string(uid); }
  Result<Inventory> ListInventory(const std::string& id) override {
    auto found = collections.find(id);
    if (found == collections.end()) return Inventory{true, {}};
    return Inventory{false, found->second};
  }
  Result<std::optional<std::string>> ReadItem(const std::string&, const std::string&) override {
    return Status(ErrorCode::kInternal, "not kept");
  }
  Status Run() override {
    while (!queued_.empty()) {
      std::function<void()> next = std::move(queued_.front());
      queued_.erase(queued_.begin());
      next();
    }
    return Status::Ok();
  }

 private:
  std::string name_ = "memory";
  std::vector<std::function<void()>> queued_;
};

constexpr int64_t kNowMs = 1'800'000'000'000;

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<Vault> vault = *Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  MemoryBackend server;
  testing::ManualClock clock{kNowMs};

  Fixture() {
    const int64_t book = *vault->EnsureCollection(storage::ItemKind::kContact, "personal", "contacts");
    for (int i = 0; i < 5; ++i) {
      const std::string uid = "c" + std::to_string(i);
      REQUIRE(vault->PutItem(book, uid, "BEGIN:VCARD\r\nUID:" + uid + "\r\nEND:VCARD\r\n", uid, kNowMs));
    }
  }
  size_t Held() {
    size_t n = 0;
    for (const auto& [id, items] : server.collections) n += items.size();
    return n;
  }
};

TEST_CASE("a push asks the server for its state once, then sends everything") {
  Fixture f;
  SyncEngine engine(*f.vault, f.server, f.clock);
  Result<SyncReport> report = engine.Push();
  REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
  CHECK(!report->recovery.started);
  REQUIRE(report->push);
  CHECK(report->push->items_stored == 5);
  CHECK(f.Held() == 5);
  CHECK(f.server.state_reads == 1);
}

TEST_CASE("a server whose state is unknown is never read as empty: no recovery, nothing changed") {
  Fixture f;
  REQUIRE(SyncEngine(*f.vault, f.server, f.clock).Push());
  f.server.fail_state = Status(ErrorCode::kNetwork, "connection refused");
  SyncEngine engine(*f.vault, f.server, f.clock);
  Result<CheckReport> check = engine.Check();
  REQUIRE(check);
  CHECK(!check->unreachable.ok());
  REQUIRE(!check->collections.empty());
  for (const CollectionCheck& c : check->collections) CHECK(c.health == Health::kUnknown);
  Result<SyncReport> pushed = SyncEngine(*f.vault, f.server, f.clock).Push();
  REQUIRE(!pushed);
  CHECK(pushed.error().code() == ErrorCode::kNetwork);
  CHECK(storage::Ledger(*f.vault, "memory").Counts()->acknowledged == 5);
}

TEST_CASE("a push over a wiped server recovers it and verifies by read-back") {
  Fixture f;
  REQUIRE(SyncEngine(*f.vault, f.server, f.clock).Push());
  f.server.collections.clear();
  f.server.epoch = "e2";
  Result<SyncReport> report = SyncEngine(*f.vault, f.server, f.clock).Push();
  REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
  CHECK(report->recovery.started);
  CHECK(report->recovery.reason == "epoch");
  CHECK(report->recovery.verified);
  CHECK(f.Held() == 5);
}

TEST_CASE("recover --wait waits for this device's slot on the engine's clock, not the wall clock") {
  Fixture f;
  REQUIRE(SyncEngine(*f.vault, f.server, f.clock).Push());
  const int64_t hour_ms = 3'600'000;
  f.server.reupload = ReuploadRequestInfo{"r-1", kNowMs + hour_ms, 0};
  RecoverRequest now;
  Result<RecoverReport> early = SyncEngine(*f.vault, f.server, f.clock).Recover(now);
  REQUIRE(early);
  CHECK(!early->started);
  CHECK(early->waiting_until_ms == kNowMs + hour_ms);
  CHECK(f.clock.slept_ms() == 0);

  RecoverRequest wait;
  wait.wait_for_slot = true;
  Result<RecoverReport> waited = SyncEngine(*f.vault, f.server, f.clock).Recover(wait);
  REQUIRE_MESSAGE(waited, (waited ? "" : waited.error().ToString()));
  CHECK(f.clock.slept_ms() == hour_ms);
  CHECK(waited->started);
  CHECK(waited->reason == "reupload r-1");
  CHECK(waited->verified);
}

TEST_CASE("a push sends nothing for an operator's re-upload before not_before plus this device's slot") {
  Fixture f;
  REQUIRE(SyncEngine(*f.vault, f.server, f.clock).Push());
  // Asked now, the window opening 75 min later for an hour (request-reupload's default).
  const int64_t not_before_ms = kNowMs + 75 * 60'000, spread_ms = 3'600'000;
  f.server.reupload = ReuploadRequestInfo{"r-7", not_before_ms, spread_ms};
  const int64_t slot_ms = ReuploadSlot(f.vault->device_id(), "r-7", not_before_ms, spread_ms);
  REQUIRE(slot_ms >= not_before_ms);
  REQUIRE(slot_ms < not_before_ms + spread_ms);
  const int batches = f.server.batches;
  // At the request, just before the window, and just before the slot: only the wait is reported.
  for (int64_t at_ms : {kNowMs, not_before_ms - 1, slot_ms - 1}) {
    CAPTURE(at_ms - kNowMs);
    f.clock.Advance(at_ms - f.clock.NowMs());
    Result<SyncReport> report = SyncEngine(*f.vault, f.server, f.clock).Push();
    REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
    CHECK(!report->recovery.started);
    CHECK(report->recovery.waiting_until_ms == slot_ms);
    CHECK(f.server.batches == batches);
  }
  // At the slot: everything is sent again and verified.
  f.clock.Advance(1);
  Result<SyncReport> report = SyncEngine(*f.vault, f.server, f.clock).Push();
  REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
  CHECK(report->recovery.started);
  CHECK(report->recovery.reason == "reupload r-7");
  CHECK(report->recovery.verified);
  CHECK(f.server.batches > batches);
  CHECK(f.clock.slept_ms() == 0);
}

}  // namespace
}  // namespace holdfast::agent
