// "The same item" for vCards and iCalendar objects that a CardDAV or CalDAV
// server stored and may have rewritten (docs/dav.md, "The same item"): the
// servers measured re-serialise, reorder properties and sub-components, fold
// lines, escape ';' and reorder RRULE parts, and a server might add PRODID or
// REV. Two objects are the same when their canonical forms are equal:
//   - lines unfolded, CRLF or LF alike;
//   - property and parameter names upper-cased, parameters sorted, quotes
//     around parameter values dropped; values with "\;" "\," unescaped and
//     "\N" read as "\n"; RRULE/EXRULE parts compared as a set; TRIGGER,
//     DURATION and REFRESH-INTERVAL durations compared by length in seconds
//     ("-PT60M" and "-PT1H" alike);
//   - properties of a component, and its sub-components, in any order (a
//     multiset: a property given twice must come back twice);
//   - PRODID and REV ignored.
// Anything else differs: a value cut short (Radicale's vCard 4.0 data: URI
// PHOTO) is a difference, not noise. Pure functions: thread-safe, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::platform::dav {

// The canonical form described above (text; for tests and messages).
std::string CanonicalCard(std::string_view text);

// CanonicalCard(a) == CanonicalCard(b).
bool SameCard(std::string_view a, std::string_view b);

}  // namespace holdfast::platform::dav
