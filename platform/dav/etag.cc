#include "platform/dav/etag.h"

namespace holdfast::platform::dav {
namespace {

// etagc = %x21 / %x23-7E / obs-text
bool IsEtagChar(unsigned char c) { return c == 0x21 || (c >= 0x23 && c != 0x7F); }

}  // namespace

Result<EntityTag> ParseEntityTag(std::string_view text) {
  const std::string shown(text.substr(0, 64));
  auto refuse = [&](std::string_view why) {
    return Status(ErrorCode::kServerError, "ETag '" + shown + "': " + std::string(why));
  };
  const size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return refuse("empty");
  text = text.substr(b, text.find_last_not_of(" \t\r\n") - b + 1);
  EntityTag tag;
  if (text.substr(0, 2) == "W/") {
    tag.weak = true;
    text.remove_prefix(2);
    if (text.empty() || text.front() != '"') return refuse("W/ without a quoted tag");
  }
  if (!text.empty() && text.front() == '"') {
    if (text.size() < 2 || text.back() != '"') return refuse("no closing quote");
    text = text.substr(1, text.size() - 2);
  }
  for (unsigned char c : text) {
    if (!IsEtagChar(c)) return refuse(c == '"' ? "a quote inside the tag" : "a blank or control byte");
  }
  tag.opaque = std::string(text);
  return tag;
}

std::string FormatEntityTag(const EntityTag& tag) {
  return (tag.weak ? "W/\"" : "\"") + tag.opaque + "\"";
}

Result<std::string> IfMatchValue(const EntityTag& tag) {
  if (tag.weak) {
    return Status(ErrorCode::kInvalidArgument,
                  "If-Match: W/\"" + tag.opaque.substr(0, 64) + "\" is a weak ETag, which If-Match never matches");
  }
  return FormatEntityTag(tag);
}

Result<std::string> IfMatchValue(std::string_view server_etag) {
  Result<EntityTag> tag = ParseEntityTag(server_etag);
  if (!tag) return tag.error();
  return IfMatchValue(*tag);
}

bool StrongEqual(const EntityTag& a, const EntityTag& b) { return !a.weak && !b.weak && a.opaque == b.opaque; }
bool WeakEqual(const EntityTag& a, const EntityTag& b) { return a.opaque == b.opaque; }

}  // namespace holdfast::platform::dav
