#include "agent/replies.h"

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
    request.id = (*reupload)["id"].get<std::string>();
    request.not_before_ms = reupload->value("not_before_ms", int64_t{0});
    request.spread_ms = reupload->value("spread_ms", int64_t{0});
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
  for (const json& entry : *put) reply.put_status.push_back(entry.value("status", ""));
  for (const json& entry : *del) reply.delete_status.push_back(entry.value("status", ""));
  return reply;
}

Result<BlobChunkReply> ParseBlobChunkReply(const json& body, std::string_view /*what*/) {
  BlobChunkReply reply;
  reply.complete = body.value("complete", false);
  if (body.contains("received")) reply.received = body["received"].get<uint64_t>();
  return reply;
}

Result<uint64_t> ParseBlobConflictReply(const json& body, std::string_view what) {
  const json* offset = Member(body, "offset");
  if (offset == nullptr || !offset->is_number_unsigned()) return OutsideProtocol(what, "409 without an offset");
  return offset->get<uint64_t>();
}

Result<InventoryPage> ParseInventoryPage(const json& body, std::string_view what) {
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
  return page;
}

}  // namespace holdfast::agent
