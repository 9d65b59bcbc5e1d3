#include "storage/capture_state.h"

#include <algorithm>

#include "storage/sqlite_handle.h"
#include "storage/vault_connection.h"
#include "storage/vault_sql.h"

namespace holdfast::storage {
namespace {

// A file's item uids are stored NUL-separated: a uid comes from a file that
// held no NUL byte (the readers refuse those), or is a path.
std::string JoinUids(const std::vector<std::string>& uids) {
  std::string joined;
  for (const std::string& uid : uids) {
    if (!joined.empty()) joined.push_back('\0');
    joined += uid;
  }
  return joined;
}

std::vector<std::string> SplitUids(std::string_view joined) {
  std::vector<std::string> uids;
  while (!joined.empty()) {
    size_t end = joined.find('\0');
    uids.emplace_back(joined.substr(0, end));
    if (end == std::string_view::npos) break;
    joined.remove_prefix(end + 1);
  }
  return uids;
}

// A stat cache entry from a row of "SELECT path, collection_id, size_bytes,
// mtime_ns, inode, sha256 FROM source_files".
SourceFileRecord RecordFromRow(Stmt& stmt) {
  SourceFileRecord file;
  file.path = stmt.Text(0);
  file.collection_id = stmt.Int(1);
  file.size_bytes = static_cast<uint64_t>(stmt.Int(2));
  file.mtime_ns = stmt.Int(3);
  file.inode = static_cast<uint64_t>(stmt.Int(4));
  file.sha256 = DigestFromBytes(stmt.Blob(5));
  return file;
}

}  // namespace

Status CaptureState::ForEachSourceFile(std::string_view source,
                               const std::function<Status(SourceFileRecord&&)>& visit) {
  Result<Stmt> stmt = conn_.db().Prepare(
      "SELECT path, collection_id, size_bytes, mtime_ns, inode, sha256 FROM source_files "
      "WHERE source = ?1 ORDER BY path");  // the primary key's order: no sort
  if (!stmt) return stmt.error();
  stmt->Bind(1, source);
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) return row.error();
    if (!*row) return Status::Ok();
    HF_RETURN_IF_ERROR(visit(RecordFromRow(*stmt)));
  }
}

Result<std::optional<SourceFileRecord>> CaptureState::GetSourceFile(std::string_view source, std::string_view path) {
  Result<Stmt> stmt = conn_.db().Cached(
      "SELECT path, collection_id, size_bytes, mtime_ns, inode, sha256 FROM source_files "
      "WHERE source = ?1 AND path = ?2");
  if (!stmt) return stmt.error();
  stmt->Bind(1, source).Bind(2, path);
  Result<bool> row = stmt->Step();
  if (!row) return row.error();
  if (!*row) return std::optional<SourceFileRecord>();
  return std::optional<SourceFileRecord>(RecordFromRow(*stmt));
}

Status CaptureState::PutSourceFile(std::string_view source, const SourceFileRecord& file) {
  return conn_.InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_.db().Cached(
        "INSERT INTO source_files(source, path, collection_id, size_bytes, mtime_ns, inode, sha256, "
        "item_uids) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(source, path) DO UPDATE SET "
        "collection_id = excluded.collection_id, size_bytes = excluded.size_bytes, "
        "mtime_ns = excluded.mtime_ns, inode = excluded.inode, sha256 = excluded.sha256, "
        "item_uids = excluded.item_uids");
    if (!stmt) return stmt.error();
    stmt->Bind(1, source).Bind(2, file.path).Bind(3, file.collection_id);
    stmt->Bind(4, static_cast<int64_t>(file.size_bytes)).Bind(5, file.mtime_ns);
    stmt->Bind(6, static_cast<int64_t>(file.inode));
    const std::string uids = JoinUids(file.item_uids);
    return stmt->BindBlob(7, file.sha256.data(), file.sha256.size())
        .BindBlob(8, uids.data(), uids.size())
        .Run();
  });
}

Result<std::vector<std::string>> CaptureState::SourceFileItemUids(std::string_view source,
                                                           std::string_view path) {
  Result<Stmt> stmt = conn_.db().Cached("SELECT item_uids FROM source_files WHERE source = ?1 AND path = ?2");
  if (!stmt) return stmt.error();
  Result<bool> row = stmt->Bind(1, source).Bind(2, path).Step();
  if (!row) return row.error();
  if (!*row) return std::vector<std::string>();
  return SplitUids(stmt->Blob(0));
}

Status CaptureState::RemoveSourceFile(std::string_view source, std::string_view path) {
  return conn_.InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_.db().Cached("DELETE FROM source_files WHERE source = ?1 AND path = ?2");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, source).Bind(2, path).Run();
  });
}

Status CaptureState::RaiseLossAlert(const LossAlert& alert) {
  return conn_.InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_.db().Cached(
        "INSERT INTO loss_alerts(collection_id, raised_at_ms, items_before, items_missing) "
        "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(collection_id) DO UPDATE SET "
        "items_before = excluded.items_before, items_missing = excluded.items_missing");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, alert.collection_id)
        .Bind(2, alert.raised_at_ms)
        .Bind(3, alert.items_before)
        .Bind(4, alert.items_missing)
        .Run();
  });
}

Status CaptureState::ClearLossAlert(int64_t collection_id) {
  return conn_.InTransaction([&]() -> Status {
    Result<Stmt> stmt = conn_.db().Cached("DELETE FROM loss_alerts WHERE collection_id = ?1");
    if (!stmt) return stmt.error();
    return stmt->Bind(1, collection_id).Run();
  });
}

Result<int64_t> CaptureState::ClearLossAlerts(const std::vector<int64_t>& collection_ids) {
  Result<std::vector<LossAlert>> alerts = ListLossAlerts();
  if (!alerts) return alerts.error();
  int64_t cleared = 0;
  for (const LossAlert& alert : *alerts) {
    if (std::find(collection_ids.begin(), collection_ids.end(), alert.collection_id) == collection_ids.end()) continue;
    HF_RETURN_IF_ERROR(ClearLossAlert(alert.collection_id));
    ++cleared;
  }
  return cleared;
}

Result<std::vector<LossAlert>> CaptureState::ListLossAlerts() {
  Result<Stmt> stmt = conn_.db().Prepare(
      "SELECT collection_id, raised_at_ms, items_before, items_missing FROM loss_alerts "
      "ORDER BY collection_id");
  if (!stmt) return stmt.error();
  return CollectRows(*stmt, [](const Stmt& row) {
    return LossAlert{row.Int(0), row.Int(1), row.Int(2), row.Int(3)};
  });
}

Status CaptureState::ReplaceCaptureProblems(std::string_view source,
                                     const std::vector<CaptureProblem>& problems) {
  return conn_.InTransaction([&]() -> Status {
    Result<Stmt> clear = conn_.db().Cached("DELETE FROM capture_problems WHERE source = ?1");
    if (!clear) return clear.error();
    HF_RETURN_IF_ERROR(clear->Bind(1, source).Run());
    for (const CaptureProblem& p : problems) {
      Result<Stmt> insert = conn_.db().Cached(
          "INSERT OR REPLACE INTO capture_problems(source, path, line, reason, seen_at_ms) "
          "VALUES(?1, ?2, ?3, ?4, ?5)");
      if (!insert) return insert.error();
      HF_RETURN_IF_ERROR(
          insert->Bind(1, source).Bind(2, p.path).Bind(3, p.line).Bind(4, p.reason).Bind(5, p.seen_at_ms).Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<CaptureProblem>> CaptureState::ListCaptureProblems() {
  Result<Stmt> stmt = conn_.db().Prepare(
      "SELECT source, path, line, reason, seen_at_ms FROM capture_problems ORDER BY source, path");
  if (!stmt) return stmt.error();
  return CollectRows(*stmt, [](const Stmt& row) {
    return CaptureProblem{row.Text(0), row.Text(1), static_cast<int>(row.Int(2)), row.Text(3),
                          row.Int(4)};
  });
}

}  // namespace holdfast::storage
