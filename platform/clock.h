// Wall-clock time in milliseconds since the Unix epoch, and its text form.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace holdfast::platform {

// Current UTC time in ms since 1970-01-01T00:00:00Z.
int64_t NowMs();

// "2026-11-25T09:56:44Z" (seconds precision, UTC).
std::string FormatUtc(int64_t time_ms);

}  // namespace holdfast::platform
