// Byte strings (uids, file names, collection names) as JSON text, one-to-one
// (docs/protocol.md, "Uids and names on the wire"). JSON strings hold only
// Unicode, while a name on a Linux file system is any bytes: encoding with
// a replacement character would map "caf\xe9" and "na\xefve" alike.
//
//   - valid UTF-8 that does not start with kWireMarker goes as it is;
//   - anything else goes as kWireMarker + base64url (RFC 4648 section 5,
//     no padding) of its bytes.
//
// Every byte string has exactly one wire form and every wire form exactly one
// byte string, so byte order, equality and uniqueness on the wire stand for
// those of the bytes. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace holdfast::platform {

inline constexpr std::string_view kWireMarker = "~b64:";

// The wire form of `bytes`: always valid UTF-8.
std::string ToWireText(std::string_view bytes);

// The bytes a wire form stands for; nullopt for text that is not the wire
// form of anything (not UTF-8, or marker + something that is not canonical
// unpadded base64url, or marker + the encoding of text that goes as it is).
std::optional<std::string> FromWireText(std::string_view text);

}  // namespace holdfast::platform
