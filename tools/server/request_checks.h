// Checks the reference server makes on a request's text before trusting it:
// how deep a JSON body nests (measured before any parser recurses into it),
// and numbers in a query string. Pure functions, no state: thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace holdfast::server {

// Whether `text` nests arrays and objects at most `max_depth` deep. Counts
// `[` and `{` outside JSON strings in one pass with no recursion, so any
// input is safe to scan; a text that is not JSON at all may still pass (the
// parser then refuses it).
bool JsonDepthWithin(std::string_view text, int max_depth);

// A number in plain decimal digits (no sign, no space, no "0x"), at most
// `max`; nullopt for anything else, including an empty text and overflow.
std::optional<uint64_t> ParseDecimal(std::string_view text, uint64_t max);

}  // namespace holdfast::server
