// Joins calendars: the vault keeps each event, task or note as a standalone
// VCALENDAR (icalendar_reader.h); an export or a restored .ics file wants one
// VCALENDAR holding them all, with each time zone once.
//
// Only whole blocks are moved, byte for byte (BEGIN line through END line);
// nothing inside a component is rewritten. Thread-safety: pure functions.
// Durability: none (in-memory only).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform {

// The top-level parts of one iCalendar file's first VCALENDAR.
struct CalendarParts {
  std::string_view header;  // from the file's start through the last line before the first component
  struct Block {
    std::string name;        // "VTIMEZONE", "VEVENT", ... as written
    std::string_view tzid;   // a VTIMEZONE's TZID value; empty otherwise
    std::string_view bytes;  // the block, BEGIN through END and its line ending
  };
  std::vector<Block> blocks;     // components directly inside the VCALENDAR, in order
  std::string_view trailer;      // from END:VCALENDAR to the end of the file
};

// Splits `bytes` (which must outlive the result). Errors: kMalformedInput
// "<path>:<line>: <reason>" when there is no VCALENDAR or it is not closed.
Result<CalendarParts> SplitCalendar(std::string_view bytes, std::string_view path);

// One VCALENDAR holding every VTIMEZONE of `calendars` once (by TZID, the
// first seen wins) and then every other component, in order. Each input is a
// whole .ics text. The calendar's own lines are Holdfast's (VERSION 2.0 and
// its PRODID), or with `first_header` the first input's header and END line
// verbatim: a file split by the reader and merged back then gives the same
// items again. Errors as SplitCalendar.
Result<std::string> MergeCalendars(const std::vector<std::string_view>& calendars,
                                   std::string_view path, bool first_header = false);

// `existing` (a whole .ics file) with the components of `additions` put in
// before its END:VCALENDAR, and their time zones that `existing` lacks put
// in before its first component. The bytes of `existing` are otherwise kept.
Result<std::string> AddToCalendar(std::string_view existing,
                                  const std::vector<std::string_view>& additions,
                                  std::string_view path);

}  // namespace holdfast::platform
