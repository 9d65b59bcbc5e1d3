// Wall-clock time in milliseconds since the Unix epoch, and its text form.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "platform/status.h"

namespace holdfast::platform {

// Current UTC time in ms since 1970-01-01T00:00:00Z.
int64_t NowMs();

// "2026-11-25T09:56:44Z" (seconds precision, UTC).
std::string FormatUtc(int64_t time_ms);

// Parses a point in time given by a user: "2026-11-25", "2026-11-25T09:56",
// "2026-11-25T09:56:44", with 'T' or a space, optionally followed by "Z" or
// an offset "+01:00" / "-0500"; without one the time is UTC. "@SECONDS" is a
// Unix time. A time means the end of what it names, so that "--as-of" includes
// everything captured within it: a date alone is 23:59:59.999 UTC of that day,
// "09:56" is 09:56:59.999, "09:56:44" is 09:56:44.999.
// Errors: kInvalidArgument naming the text and the accepted forms.
Result<int64_t> ParseTime(std::string_view text);

}  // namespace holdfast::platform
