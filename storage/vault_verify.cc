// Vault::Verify: SQLite's own integrity check, then every stored byte
// rehashed and compared with the SHA-256 recorded when it was written.
#include <string>

#include "storage/sqlite_handle.h"
#include "storage/vault.h"
#include "storage/vault_connection.h"
#include "storage/vault_sql.h"

namespace holdfast::storage {
namespace {

using platform::Digest;

std::string Mismatch(const Digest& recorded, const Digest& actual) {
  return "recorded SHA-256 " + platform::ToHex(recorded) + " but the stored bytes hash to " +
         platform::ToHex(actual);
}

}  // namespace

Result<VerifyReport> Vault::Verify() {
  VerifyReport report;
  Result<Stmt> check = conn_->db().Prepare("PRAGMA integrity_check");
  if (!check) return check.error();
  while (true) {
    Result<bool> row = check->Step();
    if (!row) {
      // A file too damaged for the check to run is itself the finding.
      report.damage.push_back({"database", path_.string(), row.error().message()});
      return report;
    }
    if (!*row) break;
    std::string line = check->Text(0);
    if (line != "ok") report.damage.push_back({"database", path_.string(), line});
  }
  VerifyReferences(&report);
  VerifyRevisions(&report);
  VerifyBlobs(&report);
  return report;
}

// Rows whose parent is missing: the schema's REFERENCES, checked here
// because they are not enforced on every write (see Vault::Open).
void Vault::VerifyReferences(VerifyReport* report) {
  struct Check {
    const char* what;
    const char* sql;  // returns (id, detail) of each orphan
  };
  static constexpr Check kChecks[] = {
      {"item", "SELECT id, 'item ' || id || ' (uid ' || quote(uid) || ') belongs to missing collection ' || "
               "collection_id FROM items WHERE collection_id NOT IN (SELECT id FROM collections)"},
      {"item", "SELECT id, 'item ' || id || ' (uid ' || quote(uid) || ') has no revision' FROM items i "
               "WHERE NOT EXISTS(SELECT 1 FROM revisions r WHERE r.item_id = i.id)"},
      {"revision", "SELECT id, 'revision ' || id || ' belongs to missing item ' || item_id FROM revisions "
                   "WHERE item_id NOT IN (SELECT id FROM items)"},
      {"revision", "SELECT id, 'revision ' || id || ' refers to missing blob ' || blob_id FROM revisions "
                   "WHERE blob_id IS NOT NULL AND blob_id NOT IN (SELECT id FROM blobs)"},
      {"blob", "SELECT id, 'chunk ' || seq || ' belongs to missing blob ' || blob_id FROM blob_chunks "
               "WHERE blob_id NOT IN (SELECT id FROM blobs)"},
      {"tombstone", "SELECT id, 'tombstone ' || id || ' belongs to missing item ' || item_id FROM "
                    "tombstones WHERE item_id NOT IN (SELECT id FROM items)"},
  };
  for (const Check& check : kChecks) {
    Result<Stmt> stmt = conn_->db().Prepare(check.sql);
    if (!stmt) {
      report->damage.push_back({"database", path_.string(), stmt.error().message()});
      continue;
    }
    Result<std::vector<std::string>> orphans =
        CollectRows(*stmt, [](const Stmt& row) { return row.Text(1); });
    if (!orphans) {
      report->damage.push_back({"database", path_.string(), orphans.error().message()});
      continue;
    }
    for (const std::string& detail : *orphans) report->damage.push_back({check.what, path_.string(), detail});
  }
}

void Vault::VerifyRevisions(VerifyReport* report) {
  Result<Stmt> stmt = conn_->db().Prepare(
      "SELECT r.id, c.name, i.uid, r.sha256, r.size_bytes, r.content, r.blob_id, b.sha256, "
      "r.id = (SELECT max(h.id) FROM revisions h WHERE h.item_id = i.id), i.sha256 "
      "FROM revisions r JOIN items i ON i.id = r.item_id "
      "JOIN collections c ON c.id = i.collection_id LEFT JOIN blobs b ON b.id = r.blob_id "
      "ORDER BY r.id");
  if (!stmt) {
    report->damage.push_back({"database", path_.string(), stmt.error().message()});
    return;
  }
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) {
      report->damage.push_back({"database", path_.string(), row.error().message()});
      return;
    }
    if (!*row) break;
    ++report->revisions_checked;
    const std::string where = "collection '" + stmt->Text(1) + "' uid '" + stmt->Text(2) +
                              "' revision " + std::to_string(stmt->Int(0));
    const Digest recorded = DigestFromBytes(stmt->Blob(3));
    if (stmt->Int(8) != 0 && DigestFromBytes(stmt->Blob(9)) != recorded) {
      report->damage.push_back({"item", where, "the item's SHA-256 differs from its current revision's"});
    }
    if (stmt->IsNull(6)) {
      std::string_view content = stmt->Blob(5);
      report->bytes_hashed += static_cast<int64_t>(content.size());
      const Digest actual = platform::Sha256Of(content);
      if (actual != recorded) report->damage.push_back({"item", where, Mismatch(recorded, actual)});
      if (static_cast<int64_t>(content.size()) != stmt->Int(4)) {
        report->damage.push_back({"item", where, "recorded size " + std::to_string(stmt->Int(4)) +
                                                     " but " + std::to_string(content.size()) +
                                                     " bytes are stored"});
      }
    } else if (stmt->IsNull(7)) {
      report->damage.push_back({"item", where, "its blob is missing or incomplete"});
    } else if (DigestFromBytes(stmt->Blob(7)) != recorded) {
      report->damage.push_back({"item", where, "refers to a blob with a different SHA-256"});
    }
  }
}

void Vault::VerifyBlobs(VerifyReport* report) {
  Result<Stmt> stmt = conn_->db().Prepare("SELECT sha256 FROM blobs WHERE sha256 IS NOT NULL ORDER BY id");
  if (!stmt) {
    report->damage.push_back({"database", path_.string(), stmt.error().message()});
    return;
  }
  std::vector<Digest> blobs;
  while (true) {
    Result<bool> row = stmt->Step();
    if (!row) {
      report->damage.push_back({"database", path_.string(), row.error().message()});
      break;
    }
    if (!*row) break;
    blobs.push_back(DigestFromBytes(stmt->Blob(0)));
  }
  for (const Digest& recorded : blobs) {
    ++report->blobs_checked;
    platform::Sha256 hasher;
    Status status = blobs_->ReadBlob(recorded, [&](std::string_view bytes) {
      hasher.Update(bytes);
      report->bytes_hashed += static_cast<int64_t>(bytes.size());
      return Status::Ok();
    });
    const std::string where = "blob " + platform::ToHex(recorded);
    if (!status.ok()) {
      report->damage.push_back({"blob", where, status.message()});
      continue;
    }
    const Digest actual = hasher.Finish();
    if (actual != recorded) report->damage.push_back({"blob", where, Mismatch(recorded, actual)});
  }
}

}  // namespace holdfast::storage
