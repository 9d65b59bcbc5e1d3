// Push: send the vault's new and changed items, blobs and deletions to a
// remote, and record in the vault's ledger what the server acknowledged, only
// once it did. One part of the sync engine (sync_engine.h), which runs
// detection (check.h) before it: pushing alone skips loss detection, so
// callers go through the engine.
//
// Order of work: the server's state (the session's, read once per command;
// its epoch: a different one than the ledger's means the server lost or
// replaced its data, and the ledger is set aside); collections; blobs of
// pending photos, resumably, streamed from the vault; then items in batches,
// several requests in flight (RemoteBackend::max_in_flight). Each batch's
// acknowledgements are committed to the vault as one transaction, so a push
// killed at any moment resumes without sending acknowledged work again.
// Writes are idempotent on the server: a batch sent twice leaves no
// duplicate.
//
// Failures: the backend's (kNetwork, kServerError, kAuthFailed, kTlsFailure
// once its retries are spent) stop the push; what was acknowledged before
// stays recorded. Nothing the server says changes or deletes the vault's
// items.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/sync/sync_session.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct PushProgress {
  int64_t items_done = 0;
  int64_t items_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
};

using PushProgressFn = std::function<void(const PushProgress&)>;

struct PushReport {
  std::string remote;
  std::string epoch;
  bool epoch_changed = false;  // the server's data was replaced: everything was sent again
  int64_t collections_created = 0;
  int64_t items_stored = 0;     // the server took new content
  int64_t items_unchanged = 0;  // it already had it
  int64_t deletes = 0;
  int64_t blobs_uploaded = 0;
  int64_t bytes_sent = 0;  // item content and blob bytes
  int64_t retries = 0;
  std::vector<std::string> refused;  // items the server refused, with its reason
  int64_t duration_ms = 0;
};

// One push over the session: the steps above, up to 3 rounds when the
// server asks for work again (a blob it calls missing, a collection gone
// under the push). `progress` may be empty. The session's state is used if
// it has one and forgotten at the end. Errors: see above; vault errors.
Result<PushReport> PushPending(SyncSession& session, const PushProgressFn& progress);

}  // namespace holdfast::agent
