// "The same item" for vCards and iCalendar objects that a CardDAV or CalDAV
// server stored and may have rewritten (docs/dav.md, "The same item"): the
// servers measured re-serialise, reorder properties and sub-components, fold
// lines, escape ';', drop empty trailing components, merge TYPE parameters,
// write durations otherwise and reorder RRULE parts, and a server might add
// PRODID or REV. Two objects are the same when their canonical forms are
// equal:
//   - lines unfolded (vCard 2.1 quoted-printable soft line breaks too), CRLF
//     or LF alike;
//   - property and parameter names upper-cased, parameters sorted, quotes
//     around parameter values dropped; a parameter's values as a set
//     ("TYPE=a,b", "TYPE=a;TYPE=b" and vCard 2.1's bare "a;b" alike), token
//     values (TYPE, ENCODING, VALUE, CHARSET, ...) upper-cased;
//   - quoted-printable values decoded to UTF-8 text (US-ASCII, UTF-8 or
//     ISO-8859-1) with ENCODING and CHARSET dropped; whitespace in base64
//     values dropped, "BASE64" read as "B"; CHARSET=UTF-8 dropped (another
//     CHARSET stays: ISO-8859-1 over UTF-8 bytes is not the same text);
//   - values with "\;" "\," unescaped and "\N" read as "\n"; structured
//     values (N, ADR, ORG, GENDER) split into components first, empty
//     trailing components dropped; DURATION, TRIGGER and REFRESH-INTERVAL durations as
//     days and seconds ("PT90M" = "PT1H30M"); BDAY, ANNIVERSARY, DEATHDATE in
//     the basic form ("1980-01-01" = "19800101"); RRULE/EXRULE parts as a
//     set;
//   - properties of a component, and its sub-components, in any order (a
//     multiset: a property given twice must come back twice);
//   - PRODID and REV ignored.
// Anything else differs: a value cut short (Radicale's vCard 4.0 data: URI
// PHOTO) or a parameter dropped (Radicale drops vCard 2.1's bare TYPE
// values: "TEL;CELL:" comes back "TEL:") is a difference, not noise. Pure
// functions: thread-safe, no I/O.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::platform::dav {

// The canonical form described above (text; for tests and messages).
std::string CanonicalCard(std::string_view text);

// CanonicalCard(a) == CanonicalCard(b).
bool SameCard(std::string_view a, std::string_view b);

// SameCard, and DTSTAMP, CREATED and LAST-MODIFIED ignored too: the time
// stamps a store writes by itself (Evolution Data Server adds CREATED and
// LAST-MODIFIED where an item it is given has none). For a device's own
// store, where what matters is whether the user's data is the same.
bool SameItemContent(std::string_view a, std::string_view b);

// For messages: the name of the first property (in canonical order) that
// one holds and the other does not (as it is, or as often), e.g. "TEL";
// "" when SameCard.
std::string FirstDifference(std::string_view sent, std::string_view stored);

}  // namespace holdfast::platform::dav
