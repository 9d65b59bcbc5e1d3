#include "agent/sync/replies.h"

#include <climits>

namespace holdfast::agent {
namespace {

using nlohmann::json;

Status OutsideProtocol(std::string_view what, std::string_view why) {
  return Status(ErrorCode::kServerError, std::string(what) + ": " + std::string(why));
}

// The member `key` of an object, or nullptr.
const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

bool IsString(const json* value) { return value != nullptr && value->is_string(); }

// A member that is absent gives `fallback`; one of another type, nothing.
std::optional<int64_t> IntegerOr(const json& object, const char* key, int64_t fallback) {
  const json* value = Member(object, key);
  if (value == nullptr || value->is_null()) return fallback;
  if (!value->is_number_integer()) return std::nullopt;
  if (value->is_number_unsigned() && value->get<uint64_t>() > uint64_t{INT64_MAX}) return std::nullopt;
  return value->get<int64_t>();
}

// The status of one batch entry; empty when it has none that is a string.
std::string EntryStatus(const json& entry) {
  const json* status = Member(entry, "status");
  return IsString(status) ? status->get<std::string>() : std::string();
}

}  // namespace

Result<StateReply> ParseStateReply(const json& body, std::string_view what) {
  const json* epoch = Member(body, "epoch");
  const json* collections = Member(body, "collections");
  if (!IsString(epoch) || collections == nullptr || !collections->is_array()) {
    return OutsideProtocol(what, "the answer lacks epoch or collections");
  }
  StateReply state;
  state.epoch = epoch->get<std::string>();
  for (const json& c : *collections) {
    const json* id = Member(c, "id");
    if (!IsString(id)) {
      ++state.malformed_collections;
      continue;
    }
    StateReply::Collection collection;
    collection.id = id->get<std::string>();
    const json* items = Member(c, "items");
    const json* digest = Member(c, "digest");
    if (items != nullptr && items->is_number_integer() && IsString(digest)) {
      collection.has_counts = true;
      collection.items = items->get<int64_t>();
      collection.digest = digest->get<std::string>();
    }
    state.collections.push_back(std::move(collection));
  }
  const json* reupload = Member(body, "reupload");
  if (reupload != nullptr && IsString(Member(*reupload, "id"))) {
    StateReply::Reupload request;
    request.id = Member(*reupload, "id")->get<std::string>();
    const std::optional<int64_t> not_before = IntegerOr(*reupload, "not_before_ms", 0);
    const std::optional<int64_t> spread = IntegerOr(*reupload, "spread_ms", 0);
    if (!not_before || !spread) {
      return OutsideProtocol(what, "reupload.not_before_ms and reupload.spread_ms must be integers");
    }
    request.not_before_ms = *not_before;
    request.spread_ms = *spread;
    state.reupload = request;
  }
  return state;
}

Result<BatchReply> ParseBatchReply(const json& body, size_t puts, size_t deletes, std::string_view what) {
  const json* put = Member(body, "put");
  const json* del = Member(body, "delete");
  if (put == nullptr || del == nullptr || !put->is_array() || !del->is_array() || put->size() != puts ||
      del->size() != deletes) {
    return OutsideProtocol(what, "the answer does not have one result per entry");
  }
  BatchReply reply;
  for (const json& entry : *put) reply.put_status.push_back(EntryStatus(entry));
  for (const json& entry : *del) reply.delete_status.push_back(EntryStatus(entry));
  return reply;
}

Result<BlobChunkReply> ParseBlobChunkReply(const json& body, std::string_view what) {
  BlobChunkReply reply;
  const json* complete = Member(body, "complete");
  if (complete != nullptr && !complete->is_null()) {
    if (!complete->is_boolean()) return OutsideProtocol(what, "complete must be true or false");
    reply.complete = complete->get<bool>();
  }
  const json* received = Member(body, "received");
  if (received != nullptr && !received->is_null()) {
    if (!received->is_number_unsigned()) return OutsideProtocol(what, "received must be a byte count");
    reply.received = received->get<uint64_t>();
  }
  return reply;
}

Result<uint64_t> NextBlobOffset(const BlobChunkReply& reply, uint64_t offset, uint64_t length, uint64_t size,
                                std::string_view what) {
  const uint64_t next = reply.received.value_or(offset + length);
  if (next <= offset || next > size) {
    return OutsideProtocol(what, "the server holds " + std::to_string(next) + " of " + std::to_string(size) +
                                     " bytes after a chunk at " + std::to_string(offset) +
                                     " and says it is not complete");
  }
  return next;
}

Result<uint64_t> ParseBlobConflictReply(const json& body, uint64_t size, std::string_view what) {
  const json* offset = Member(body, "offset");
  if (offset == nullptr || !offset->is_number_unsigned()) return OutsideProtocol(what, "409 without an offset");
  if (offset->get<uint64_t>() > size) {
    return OutsideProtocol(what, "409 with offset " + std::to_string(offset->get<uint64_t>()) +
                                     " past the blob's " + std::to_string(size) + " bytes");
  }
  return offset->get<uint64_t>();
}

Result<InventoryPage> ParseInventoryPage(const json& body, std::string_view after, std::string_view what) {
  const json* items = Member(body, "items");
  if (items == nullptr || !items->is_array()) return OutsideProtocol(what, "no items array");
  InventoryPage page;
  for (const json& item : *items) {
    const json* uid = Member(item, "uid");
    const json* sha = Member(item, "sha256");
    if (!IsString(uid) || !IsString(sha)) return OutsideProtocol(what, "an item without uid or sha256");
    page.items.emplace_back(uid->get<std::string>(), sha->get<std::string>());
  }
  const json* next = Member(body, "next");
  if (IsString(next)) page.next = next->get<std::string>();
  if (!page.next.empty() && page.next <= after) {
    return OutsideProtocol(what, "the next page does not start after this one (next \"" + page.next + "\")");
  }
  // Each page must bring uids not seen before: in byte order, after the
  // page asked for, and not beyond `next`. Then no uid comes twice and a
  // server whose `next` never ends cannot keep a reader paging for nothing.
  for (size_t i = 0; i < page.items.size(); ++i) {
    const std::string& uid = page.items[i].first;
    // The first page starts after "" (itself a uid a server may hold).
    const bool first_of_all = i == 0 && after.empty();
    const std::string_view previous = i == 0 ? after : std::string_view(page.items[i - 1].first);
    if (!first_of_all && uid <= previous) {
      return OutsideProtocol(what, "uid \"" + uid + "\" is not after \"" + std::string(previous) +
                                       "\": the pages repeat or are out of order");
    }
  }
  if (!page.next.empty() && page.items.empty()) {
    return OutsideProtocol(what, "an empty page that names a next one (next \"" + page.next +
                                     "\"): the listing makes no progress");
  }
  if (!page.next.empty() && page.next < page.items.back().first) {
    return OutsideProtocol(what, "next \"" + page.next + "\" comes before the page's last uid");
  }
  return page;
}

}  // namespace holdfast::agent
