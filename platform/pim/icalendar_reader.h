// Reads an .ics file (iCalendar, RFC 5545) into the events, tasks and notes
// it holds, each as a standalone VCALENDAR made of the file's own bytes.
//
// The reader only finds the components and the few properties the vault
// indexes (UID, SUMMARY, LAST-MODIFIED, RECURRENCE-ID); the bytes are what
// is kept. Accepted: CRLF, LF, lone CR or a mix; folded lines (also ones
// that split a UTF-8 character); a UTF-8 BOM; names in any case; VEVENT,
// VTODO, VJOURNAL, VTIMEZONE, VALARM and unknown components nested in any
// way up to kMaxNestingDepth; several VCALENDARs in one file; vCalendar 1.0
// QUOTED-PRINTABLE values as long as the file's bytes are UTF-8.
//
// Thread-safety: a pure function of its arguments. Durability: none.
#pragma once

#include <string_view>
#include <vector>

#include "platform/pim/content_line.h"
#include "platform/status.h"

namespace holdfast::platform {

// Bound on the bytes all items of one file may take together. Each item of
// a split calendar repeats the file's header and every VTIMEZONE; a file
// with huge time zones and very many events would otherwise need gigabytes.
inline constexpr size_t kMaxSplitCalendarBytes = size_t{512} << 20;

// Parses a whole .ics file's bytes. `path` is only used in error messages.
//
// Items: the VEVENT (kEvent), VTODO (kTask) and VJOURNAL (kNote) components
// directly inside a VCALENDAR. Components of one VCALENDAR that share a UID
// (a recurring master and its RECURRENCE-ID overrides) form ONE item; each
// component without a UID is an item of its own. Items come in the order of
// their first component. A VCALENDAR without such components gives no item
// (not an error); other components (VFREEBUSY, X-...) are never items.
//
// Each item:
//  - kind: that of its first component.
//  - uid: the shared UID value, unescaped; empty when the component has none.
//  - summary: the SUMMARY of the master (the first component without
//    RECURRENCE-ID that has a SUMMARY; else the first component that has
//    one), unescaped, valid UTF-8. May be empty.
//  - revision: the greatest LAST-MODIFIED value among the item's components
//    (they compare as text in their UTC form), verbatim; empty if none.
//  - raw: when the whole file gives exactly one item, the whole file byte for
//    byte. Otherwise a standalone VCALENDAR made only of the file's bytes:
//      1. the bytes from the start of the file (for a second VCALENDAR in the
//         file: from its BEGIN:VCALENDAR line) up to its first component,
//      2. every VTIMEZONE block of that VCALENDAR, verbatim, in file order,
//      3. the item's component blocks verbatim, in file order (BEGIN line
//         start through END line ending, nested VALARMs included),
//      4. the VCALENDAR's END:VCALENDAR line verbatim.
//    Calendar properties written after the first component, blank lines
//    between components and non-item components are in no split item.
//  - first_line: the line of the item's first BEGIN:VEVENT/VTODO/VJOURNAL.
// Properties of nested components (a VALARM's UID or SUMMARY) are ignored.
//
// Errors, all kMalformedInput with "<path>:<line>: <reason>":
//  - the file is over kMaxPimFileBytes (64 MiB), UTF-16/32, or holds a NUL;
//  - no BEGIN:VCALENDAR (empty file, or a file of something else);
//  - a non-blank line outside BEGIN:VCALENDAR ... END:VCALENDAR;
//  - BEGIN without END (truncated), an END that does not match its BEGIN,
//    nesting deeper than kMaxNestingDepth;
//  - a content line without ':' (or without a name);
//  - a line that is not valid UTF-8;
//  - an unfolded line longer than kMaxContentLineBytes;
//  - items that together would exceed kMaxSplitCalendarBytes.
// Out of memory gives kIoError. Never throws.
Result<std::vector<PimItem>> ReadIcalendarFile(std::string_view bytes, std::string_view path);

}  // namespace holdfast::platform
