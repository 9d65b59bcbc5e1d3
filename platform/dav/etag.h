// Entity tags (RFC 9110 section 8.8.3) as servers send them in an ETag
// header or a DAV:getetag property, and as If-Match wants them.
//
// A strong tag ("abc") names one exact representation; a weak one (W/"abc")
// only an equivalent one. If-Match compares strongly, so a weak tag can never
// satisfy it: IfMatchValue refuses one instead of sending a precondition that
// fails every time. Pure functions: thread-safe, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::platform::dav {

struct EntityTag {
  std::string opaque;  // between the quotes
  bool weak = false;
  friend bool operator==(const EntityTag&, const EntityTag&) = default;
};

// Reads `text` ("abc", W/"abc", blanks around allowed). A value without
// quotes, which some servers put in DAV:getetag, is read as the strong tag
// with that text. Errors: kServerError for an empty value, a missing closing
// quote, or a byte an entity tag cannot hold (a quote inside, a control byte,
// a blank). The message quotes at most 64 bytes of `text`.
Result<EntityTag> ParseEntityTag(std::string_view text);

// The header form: "\"abc\"" or "W/\"abc\"".
std::string FormatEntityTag(const EntityTag& tag);

// The value of an If-Match header for `tag`: the strong tag, quoted.
// Errors: kInvalidArgument for a weak tag.
Result<std::string> IfMatchValue(const EntityTag& tag);
// The same from a tag as the server sent it. Errors: as ParseEntityTag, then
// as above.
Result<std::string> IfMatchValue(std::string_view server_etag);

// RFC 9110 strong comparison: both strong and the same opaque text.
bool StrongEqual(const EntityTag& a, const EntityTag& b);
// Weak comparison: the same opaque text, weak or not.
bool WeakEqual(const EntityTag& a, const EntityTag& b);

}  // namespace holdfast::platform::dav
