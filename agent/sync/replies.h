// The server's JSON answers (docs/protocol.md), read into plain values: the
// one place where push, check and recovery look inside a reply body, so that
// every shape a hostile or broken server can send is handled here and fuzzed
// here (tests/fuzz/json_reply_fuzz.cc).
//
// Each function takes a body that ParseJsonReply already found to be a JSON
// object. Errors are kServerError "<what>: ..." naming what the answer lacks.
// Pure functions; never throw.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "platform/status.h"

namespace holdfast::agent {

// GET /state.
struct StateReply {
  struct Collection {
    std::string id;
    bool has_counts = false;  // items and digest were both given, well typed
    int64_t items = 0;
    std::string digest;
  };
  struct Reupload {
    std::string id;
    int64_t not_before_ms = 0;
    int64_t spread_ms = 0;
  };
  std::string epoch;
  std::vector<Collection> collections;  // the entries that are objects with a string id
  size_t malformed_collections = 0;     // entries that are not
  std::optional<Reupload> reupload;     // an operator's request, when the answer holds one with a string id
};
// Errors: no string epoch or no collections array; a reupload whose
// not_before_ms or spread_ms is not an integer.
Result<StateReply> ParseStateReply(const nlohmann::json& body, std::string_view what);

// POST /collections/ID/batch: one status per put and per delete, in order
// ("stored", "unchanged", "missing-blob", "deleted", ...; empty when an
// entry has none, is not an object, or its status is not a string: the
// entry is then not acknowledged).
struct BatchReply {
  std::vector<std::string> put_status;
  std::vector<std::string> delete_status;
};
// Errors: not one result per entry sent (`puts` puts and `deletes` deletes).
Result<BatchReply> ParseBatchReply(const nlohmann::json& body, size_t puts, size_t deletes, std::string_view what);

// PUT /blobs/SHA, 200: how much of the blob the server now holds.
struct BlobChunkReply {
  bool complete = false;
  std::optional<uint64_t> received;  // bytes held, when the answer says
};
// Errors: complete that is not a boolean, received that is not an unsigned integer.
Result<BlobChunkReply> ParseBlobChunkReply(const nlohmann::json& body, std::string_view what);

// Where the upload of a blob of `size` bytes goes on after a chunk of
// `length` bytes sent at `offset` got `reply` (not complete): `received`,
// else offset + length. Errors: an offset that does not advance or is past
// `size` (a server that would keep the agent sending forever).
Result<uint64_t> NextBlobOffset(const BlobChunkReply& reply, uint64_t offset, uint64_t length, uint64_t size,
                                std::string_view what);

// PUT /blobs/SHA, 409: the offset the server holds the blob up to.
// Errors: no unsigned offset, or one past the blob's `size`.
Result<uint64_t> ParseBlobConflictReply(const nlohmann::json& body, uint64_t size, std::string_view what);

// GET /collections/ID/inventory?after=AFTER: one page of (uid, sha256) and
// the uid to continue after (empty on the last page). Errors: no items
// array, an item without string uid and sha256, a next that does not come
// after `after` in byte order (a listing that would never end).
struct InventoryPage {
  std::vector<std::pair<std::string, std::string>> items;
  std::string next;
};
Result<InventoryPage> ParseInventoryPage(const nlohmann::json& body, std::string_view after, std::string_view what);

}  // namespace holdfast::agent
