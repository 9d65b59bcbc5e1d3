// Push: send the vault's new and changed items, blobs and deletions to a
// remote (docs/protocol.md), and record in the vault's ledger what the server
// acknowledged, only once it did.
//
// Order of work: the server's state (its epoch: a different one than the
// ledger's means the server lost or replaced its data, and the ledger is set
// aside); collections; blobs of pending photos, resumably, in chunks
// streamed from the vault; then items in batches, several requests in flight
// over reused connections. Each batch's acknowledgements are committed to the
// vault as one transaction, so a push killed at any moment resumes without
// sending acknowledged work again. Writes are idempotent on the server: a
// batch sent twice leaves no duplicate.
//
// Failures: transport errors, 5xx, 408 and 429 are retried with exponential
// backoff and full jitter (Retry-After honoured), up to max_attempts per
// request; then the push stops with kNetwork or kServerError. 401/403 stop it
// at once with kAuthFailed; a refused certificate with kTlsFailure.
// Nothing the server says changes or deletes the vault's items.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/config.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

struct PushProgress {
  int64_t items_done = 0;
  int64_t items_total = 0;
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
};

struct PushOptions {
  std::string remote;  // by name; empty: the one remote configured
  int64_t max_rate_bytes_per_s = 0;  // 0: unlimited
  int max_in_flight = 4;
  int max_attempts = 8;          // per request
  int64_t backoff_base_ms = 250;  // first retry waits up to this, doubling up to backoff_cap_ms
  int64_t backoff_cap_ms = 30000;
  int64_t now_ms = 0;
  std::function<void(const PushProgress&)> progress;  // may be empty
};

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

// The collection id a collection has on every remote: the first 32 hex
// digits of SHA-256(source, NUL, name).
std::string RemoteCollectionId(const storage::CollectionInfo& collection);

// The remote to use: the named one, else the only one. Errors: kNotFound,
// kInvalidArgument (several remotes and no name).
Result<const RemoteConfig*> ChooseRemote(const Config& config, const std::string& name);

// Errors: see above; vault errors. What was acknowledged before an error stays recorded.
Result<PushReport> Push(storage::Vault& vault, const Config& config, const PushOptions& options);

class RemoteClient;
struct RemoteOptions;
// Push over a session the caller made (recovery pushes more than once).
Result<PushReport> PushWith(storage::Vault& vault, RemoteClient& client, const PushOptions& options);
RemoteOptions RemoteOptionsFor(const PushOptions& options);

}  // namespace holdfast::agent
