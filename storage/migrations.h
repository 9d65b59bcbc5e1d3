// The vault's schema and its forward migrations.
//
// Version N of the schema is what migrations 1..N produce, applied in order
// to an empty database. Each migration runs in its own transaction, which
// also sets PRAGMA user_version and meta.schema_version to N: a crash leaves
// the vault at N-1 or at N, never between. Migrations are never edited once
// released; a change to the schema is a new migration.
#pragma once

#include "platform/status.h"
#include "storage/sqlite_handle.h"

namespace holdfast::storage {

// The schema this build writes. A vault with a higher user_version was
// written by a newer Holdfast and is refused.
inline constexpr int kCurrentSchemaVersion = 6;

// Identifies Holdfast vault files (PRAGMA application_id, header offset 68): "HfV1".
inline constexpr int32_t kVaultApplicationId = 0x48665631;

// Applies migrations (current version + 1) .. target, each in one transaction.
// Idempotent: does nothing when the vault is already at `target`.
// Errors: kVaultTooNew when the vault is newer than `target`; SQLite errors.
Status MigrateTo(Db& db, int target_version);

// The version recorded in the vault (PRAGMA user_version).
Result<int> SchemaVersion(Db& db);

}  // namespace holdfast::storage
