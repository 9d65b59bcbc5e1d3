#include "storage/ledger.h"

#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "storage/vault_connection.h"
#include "storage/vault_sql.h"

namespace holdfast::storage {
namespace {

using platform::Digest;

}  // namespace

Ledger::Ledger(Vault& vault, std::string_view remote) : conn_(vault.conn_.get()), remote_(remote) {}

namespace {

// Items whose content the remote lacks or whose deletion it has not
// acknowledged, with what a push needs of each (ReadPendingRow's columns).
#define HF_SQL_PENDING_SELECT                                                                                  \
  "SELECT i.id, i.collection_id, i.uid, i.sha256, i.size_bytes, r.id, r.blob_id IS NOT NULL, "               \
  "NOT (" HF_SQL_ITEM_LIVE ") AS deleted, r.captured_at_ms, l.item_id IS NOT NULL, coalesce(l.version, '') " \
  "FROM items i "                                                                                            \
  "JOIN revisions r ON r.id = (SELECT max(id) FROM revisions WHERE item_id = i.id) "                         \
  "LEFT JOIN ledger l ON l.remote = ?1 AND l.item_id = i.id "                                                \
  "WHERE ((l.item_id IS NOT NULL AND NOT (" HF_SQL_ITEM_LIVE ")) OR ((" HF_SQL_ITEM_LIVE                      \
  ") AND (l.sha256 IS NULL OR l.sha256 != i.sha256))) "

PendingChange ReadPendingRow(Stmt& stmt) {
  PendingChange change;
  change.item_id = stmt.Int(0);
  change.collection_id = stmt.Int(1);
  change.uid = stmt.Text(2);
  change.sha256 = DigestFromBytes(stmt.Blob(3));
  change.size_bytes = static_cast<uint64_t>(stmt.Int(4));
  change.head_revision_id = stmt.Int(5);
  change.in_blob = stmt.Int(6) != 0;
  change.deleted = stmt.Int(7) != 0;
  change.captured_at_ms = stmt.Int(8);
  change.acknowledged = stmt.Int(9) != 0;
  change.acked_version = stmt.Text(10);
  return change;
}

}  // namespace

Status Ledger::ForEachPending(const std::function<Status(PendingChange&&)>& visit) {
  Result<Stmt> stmt = conn_->db().Prepare(HF_SQL_PENDING_SELECT "ORDER BY i.collection_id, i.id");
  if (!stmt) return stmt.error();
  stmt->Bind(1, remote_);
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error().WithContext("pending changes for remote '" + remote_ + "'");
    if (!*row) return Status::Ok();
    HF_RETURN_IF_ERROR(visit(ReadPendingRow(*stmt)));
  }
}

Result<std::map<int64_t, Ledger::PendingTotals>> Ledger::PendingByCollection() {
  // The pending selection as a subquery, aggregated with no ORDER BY: a
  // sort of every pending row would be held in memory (temp_store=MEMORY).
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT p.collection_id, count(*), sum(NOT p.deleted), sum(CASE WHEN p.deleted THEN 0 ELSE p.size_bytes END) "
      "FROM ("
      HF_SQL_PENDING_SELECT ") p GROUP BY p.collection_id");
  if (!stmt) return stmt.error();
  stmt->Bind(1, remote_);
  std::map<int64_t, PendingTotals> totals;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error().WithContext("pending changes for remote '" + remote_ + "'");
    if (!*row) return totals;
    totals[stmt->Int(0)] = PendingTotals{stmt->Int(1), stmt->Int(2), stmt->Int(3)};
  }
}

Result<std::vector<PendingChange>> Ledger::PendingPage(int64_t collection_id, bool newest_first,
                                                       const PendingCursor& after, size_t limit) {
  Result<Stmt> stmt = conn_->db().Cached(
      newest_first ? HF_SQL_PENDING_SELECT
          "AND i.collection_id = ?2 AND (r.captured_at_ms < ?3 OR (r.captured_at_ms = ?3 AND i.id > ?4)) "
          "ORDER BY r.captured_at_ms DESC, i.id LIMIT ?5"
                   // `+` keeps SQLite off the (collection_id, uid) index: by it, every
                   // page joined and sorted the whole rest of the collection; by
                   // item id it reads one page's rows in order.
                   : HF_SQL_PENDING_SELECT "AND +i.collection_id = ?2 AND i.id > ?4 ORDER BY i.id LIMIT ?5");
  if (!stmt) return stmt.error();
  stmt->Reset();
  stmt->Bind(1, remote_)
      .Bind(2, collection_id)
      .Bind(3, after.captured_at_ms)
      .Bind(4, after.item_id)
      .Bind(5, static_cast<int64_t>(limit));
  std::vector<PendingChange> page;
  page.reserve(limit);
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error().WithContext("pending changes for remote '" + remote_ + "'");
    if (!*row) break;
    page.push_back(ReadPendingRow(*stmt));
  }
  stmt->Reset();
  return page;
}

Status Ledger::RecordAcks(const std::vector<LedgerAck>& acks, int64_t now_ms) {
  if (acks.empty()) return Status::Ok();
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> put = conn_->db().Cached(
        "INSERT OR REPLACE INTO ledger(remote, item_id, sha256, acked_at_ms, version) VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!put) return put.error();
    Result<Stmt> del = conn_->db().Cached("DELETE FROM ledger WHERE remote = ?1 AND item_id = ?2");
    if (!del) return del.error();
    Result<Stmt> unrefuse = conn_->db().Cached("DELETE FROM remote_refusals WHERE remote = ?1 AND item_id = ?2");
    if (!unrefuse) return unrefuse.error();
    for (const LedgerAck& ack : acks) {
      put->Reset();
      del->Reset();
      unrefuse->Reset();
      HF_RETURN_IF_ERROR(unrefuse->Bind(1, remote_).Bind(2, ack.item_id).Run());
      if (ack.deletion) {
        HF_RETURN_IF_ERROR(del->Bind(1, remote_).Bind(2, ack.item_id).Run());
      } else {
        put->Bind(1, remote_).Bind(2, ack.item_id).BindBlob(3, ack.sha256.data(), ack.sha256.size()).Bind(4, now_ms);
        if (ack.version.empty()) {
          put->BindNull(5);
        } else {
          put->Bind(5, ack.version);
        }
        HF_RETURN_IF_ERROR(put->Run());
      }
    }
    return Status::Ok();
  });
}

Result<LedgerCounts> Ledger::Counts() {
  LedgerCounts counts;
  const char* sql =
                              "SELECT "
                              "sum(CASE WHEN live AND acked = i_sha THEN 1 ELSE 0 END), "
                              "sum(CASE WHEN live AND (acked IS NULL OR acked != i_sha) THEN 1 ELSE 0 END), "
                              "sum(CASE WHEN NOT live AND acked IS NOT NULL THEN 1 ELSE 0 END), "
                              "sum(CASE WHEN live AND (acked IS NULL OR acked != i_sha) THEN size ELSE 0 END) "
                              "FROM (SELECT i.sha256 AS i_sha, i.size_bytes AS size, l.sha256 AS acked, ("
                          HF_SQL_ITEM_LIVE ") AS live FROM items i LEFT JOIN ledger l ON l.remote = ?1 AND l.item_id = i.id)";
  Result<Stmt> stmt = conn_->db().Prepare(sql);
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).Step();
  if (!row) return row.error();
  counts.acknowledged = stmt->Int(0);
  counts.pending_puts = stmt->Int(1);
  counts.pending_deletes = stmt->Int(2);
  counts.pending_bytes = stmt->Int(3);
  return counts;
}

Result<bool> Ledger::HasBlob(const Digest& sha256) {
  Result<Stmt> stmt = conn_->db().Cached("SELECT 1 FROM remote_blobs WHERE remote = ?1 AND sha256 = ?2");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).BindBlob(2, sha256.data(), sha256.size()).Step();
  if (!row) return row.error();
  return *row;
}

Status Ledger::RecordBlob(const Digest& sha256) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_->db().Cached("INSERT OR IGNORE INTO remote_blobs(remote, sha256) VALUES(?1, ?2)");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).BindBlob(2, sha256.data(), sha256.size()).Run();
  });
}

Result<std::optional<std::string>> Ledger::Epoch() {
  Result<Stmt> stmt = conn_->db().Cached("SELECT epoch FROM remote_state WHERE remote = ?1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).Step();
  if (!row) return row.error();
  if (!*row || stmt->IsNull(0)) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Status Ledger::SetEpoch(std::string_view epoch, int64_t now_ms) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_->db().Cached(
        "INSERT INTO remote_state(remote, epoch, last_push_ms) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(remote) DO UPDATE SET epoch = excluded.epoch, last_push_ms = excluded.last_push_ms");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).Bind(2, epoch).Bind(3, now_ms).Run();
  });
}

// A ledger entry with its item's uid (ReadEntryRow's columns).
#define HF_SQL_ENTRY_SELECT \
  "SELECT i.id, i.uid, l.sha256, coalesce(l.version, '') FROM ledger l JOIN items i ON i.id = l.item_id "

static LedgerEntry ReadEntryRow(Stmt& stmt) {
  return LedgerEntry{stmt.Int(0), stmt.Text(1), DigestFromBytes(stmt.Blob(2)), stmt.Text(3)};
}

Result<std::vector<LedgerEntry>> Ledger::EntriesFor(int64_t collection_id) {
  std::vector<LedgerEntry> entries;
  HF_RETURN_IF_ERROR(ForEachEntry(collection_id, [&](LedgerEntry&& entry) {
    entries.push_back(std::move(entry));
    return Status::Ok();
  }));
  return entries;
}

Status Ledger::ForEachEntry(int64_t collection_id, const std::function<Status(LedgerEntry&&)>& visit) {
  Result<Stmt> stmt =
      conn_->db().Prepare(HF_SQL_ENTRY_SELECT "WHERE l.remote = ?1 AND i.collection_id = ?2 ORDER BY i.uid");
  if (!stmt) return stmt.error();
  stmt->Bind(1, remote_).Bind(2, collection_id);
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error().WithContext("acknowledgements of remote '" + remote_ + "'");
    if (!*row) return Status::Ok();
    HF_RETURN_IF_ERROR(visit(ReadEntryRow(*stmt)));
  }
}

Result<std::optional<LedgerEntry>> Ledger::EntryOf(int64_t item_id) {
  Result<Stmt> stmt = conn_->db().Cached(HF_SQL_ENTRY_SELECT "WHERE l.remote = ?1 AND l.item_id = ?2");
  if (!stmt) return stmt.error();
  stmt->Reset();
  Result<bool> row = stmt->Bind(1, remote_).Bind(2, item_id).Step();
  if (!row) return row.error().WithContext("acknowledgement of item " + std::to_string(item_id) + " by remote '" +
                                           remote_ + "'");
  if (!*row) return std::optional<LedgerEntry>();
  LedgerEntry entry = ReadEntryRow(*stmt);
  stmt->Reset();
  return std::optional<LedgerEntry>(std::move(entry));
}

Status Ledger::ForgetAcks(const std::vector<int64_t>& item_ids) {
  if (item_ids.empty()) return Status::Ok();
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> del = conn_->db().Cached("DELETE FROM ledger WHERE remote = ?1 AND item_id = ?2");
    if (!del) return del.error();
    for (int64_t id : item_ids) {
      del->Reset();
      HF_RETURN_IF_ERROR(del->Bind(1, remote_).Bind(2, id).Run());
    }
    return Status::Ok();
  });
}

Status Ledger::ForgetCollectionAcks(int64_t collection_id) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> del = conn_->db().Prepare(
        "DELETE FROM ledger WHERE remote = ?1 AND item_id IN (SELECT id FROM items WHERE collection_id = ?2)");
    if (!del) return del.error();
    return del->Bind(1, remote_).Bind(2, collection_id).Run();
  });
}

Result<std::optional<RecoveryState>> Ledger::Recovery() {
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT recovery_reason, recovery_started_ms, coalesce(recovery_progress, '') FROM remote_state WHERE remote = ?1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).Step();
  if (!row) return row.error();
  if (!*row || stmt->IsNull(0)) return std::optional<RecoveryState>();
  return std::optional<RecoveryState>(RecoveryState{stmt->Text(0), stmt->Int(1), stmt->Text(2)});
}

Status Ledger::SetRecovery(const std::optional<RecoveryState>& state) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> ensure = conn_->db().Prepare("INSERT OR IGNORE INTO remote_state(remote) VALUES(?1)");
    if (!ensure) return ensure.error();
    HF_RETURN_IF_ERROR(ensure->Bind(1, remote_).Run());
    Result<Stmt> stmt = conn_->db().Prepare(
        "UPDATE remote_state SET recovery_reason = ?2, recovery_started_ms = ?3, recovery_progress = NULL "
        "WHERE remote = ?1");
    if (!stmt) return stmt.error();
    stmt->Bind(1, remote_);
    if (state) {
      stmt->Bind(2, state->reason).Bind(3, state->started_ms);
    } else {
      stmt->BindNull(2).BindNull(3);
    }
    return stmt->Run();
  });
}

Status Ledger::SetRecoveryProgress(std::string_view progress) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_->db().Prepare("UPDATE remote_state SET recovery_progress = ?2 WHERE remote = ?1");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).Bind(2, progress).Run();
  });
}

Result<std::string> Ledger::ReuploadDone() {
  Result<Stmt> stmt = conn_->db().Prepare("SELECT coalesce(reupload_done, '') FROM remote_state WHERE remote = ?1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).Step();
  if (!row) return row.error();
  return *row ? stmt->Text(0) : std::string();
}

Status Ledger::SetReuploadDone(std::string_view id) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> ensure = conn_->db().Prepare("INSERT OR IGNORE INTO remote_state(remote) VALUES(?1)");
    if (!ensure) return ensure.error();
    HF_RETURN_IF_ERROR(ensure->Bind(1, remote_).Run());
    Result<Stmt> stmt = conn_->db().Prepare("UPDATE remote_state SET reupload_done = ?2 WHERE remote = ?1");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).Bind(2, id).Run();
  });
}

Status Ledger::AddRecoveryRecord(const RecoveryRecord& record) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_->db().Prepare(
        "INSERT INTO recovery_reports(remote, started_ms, finished_ms, verified, report) VALUES(?1, ?2, ?3, ?4, ?5)");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).Bind(2, record.started_ms).Bind(3, record.finished_ms)
        .Bind(4, record.verified ? 1 : 0).Bind(5, record.report).Run();
  });
}

Result<std::optional<RecoveryRecord>> Ledger::LastRecoveryRecord() {
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT started_ms, finished_ms, verified, report FROM recovery_reports WHERE remote = ?1 ORDER BY id DESC LIMIT 1");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, remote_).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<RecoveryRecord>();
  return std::optional<RecoveryRecord>(RecoveryRecord{stmt->Int(0), stmt->Int(1), stmt->Int(2) != 0, stmt->Text(3)});
}

Status Ledger::ForgetBlob(const Digest& sha256) {
  return conn_->InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_->db().Cached("DELETE FROM remote_blobs WHERE remote = ?1 AND sha256 = ?2");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, remote_).BindBlob(2, sha256.data(), sha256.size()).Run();
  });
}

Status Ledger::Clear() {
  return conn_->InTransaction([&]() -> Status {
    for (const char* sql : {"DELETE FROM ledger WHERE remote = ?1", "DELETE FROM remote_blobs WHERE remote = ?1",
                            "DELETE FROM remote_collections WHERE remote = ?1"}) {
      Result<Stmt> stmt = conn_->db().Prepare(sql);
      if (!stmt) return stmt.error();
      HF_RETURN_IF_ERROR(stmt->Bind(1, remote_).Run());
    }
    return Status::Ok();
  });
}

Result<std::optional<CollectionTokens>> Ledger::Tokens(std::string_view collection) {
  Result<Stmt> stmt = conn_->db().Cached(
      "SELECT coalesce(sync_token, ''), coalesce(ctag, '') FROM remote_collections WHERE remote = ?1 AND collection = ?2");
  if (!stmt) return stmt.error();
  stmt->Reset();
  Result<bool> row = stmt->Bind(1, remote_).Bind(2, std::string(collection)).Step();
  if (!row) return row.error();
  if (!*row) return std::optional<CollectionTokens>();
  return std::optional<CollectionTokens>(CollectionTokens{stmt->Text(0), stmt->Text(1)});
}

Status Ledger::SetTokens(std::string_view collection, const CollectionTokens& tokens, int64_t now_ms) {
  Result<Stmt> stmt = conn_->db().Cached(
      "INSERT OR REPLACE INTO remote_collections(remote, collection, sync_token, ctag, updated_ms) "
      "VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return stmt.error();
  stmt->Reset();
  return stmt->Bind(1, remote_)
      .Bind(2, std::string(collection))
      .Bind(3, tokens.sync_token)
      .Bind(4, tokens.ctag)
      .Bind(5, now_ms)
      .Run();
}

Status Ledger::ForgetTokens(std::string_view collection) {
  Result<Stmt> stmt = conn_->db().Cached("DELETE FROM remote_collections WHERE remote = ?1 AND collection = ?2");
  if (!stmt) return stmt.error();
  stmt->Reset();
  return stmt->Bind(1, remote_).Bind(2, std::string(collection)).Run();
}

Status Ledger::RecordRefusal(int64_t item_id, const platform::Digest& sha256, std::string_view reason,
                             int64_t now_ms) {
  Result<Stmt> stmt = conn_->db().Cached(
      "INSERT OR REPLACE INTO remote_refusals(remote, item_id, sha256, reason, refused_ms) VALUES(?1, ?2, ?3, ?4, ?5)");
  if (!stmt) return stmt.error();
  stmt->Reset();
  return stmt->Bind(1, remote_)
      .Bind(2, item_id)
      .BindBlob(3, sha256.data(), sha256.size())
      .Bind(4, std::string(reason))
      .Bind(5, now_ms)
      .Run();
}

Result<std::vector<Refusal>> Ledger::Refusals() {
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT r.item_id, i.collection_id, i.uid, r.sha256, r.reason, r.refused_ms FROM remote_refusals r "
      "JOIN items i ON i.id = r.item_id WHERE r.remote = ?1 ORDER BY i.collection_id, i.uid");
  if (!stmt) return stmt.error();
  stmt->Bind(1, remote_);
  std::vector<Refusal> out;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) break;
    Refusal r;
    r.item_id = stmt->Int(0);
    r.collection_id = stmt->Int(1);
    r.uid = stmt->Text(2);
    r.sha256 = DigestFromBytes(stmt->Blob(3));
    r.reason = stmt->Text(4);
    r.refused_ms = stmt->Int(5);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace holdfast::storage
