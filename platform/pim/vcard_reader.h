// Reads a .vcf file (vCard 2.1, 3.0 / RFC 2426, 4.0 / RFC 6350) into the
// contacts it holds, keeping each contact's bytes exactly as the file has them.
//
// The reader only finds the cards and the few properties the vault indexes
// (UID, FN / N / ORG, REV); the bytes are what is kept. Accepted: CRLF, LF,
// lone CR or a mix; folded lines; a UTF-8 BOM; property names in any case;
// grouped properties (item1.TEL); vCard 2.1 QUOTED-PRINTABLE values with '='
// soft line breaks; CHARSET parameters; 8-bit legacy bytes in 2.1 cards;
// nested cards (2.1 AGENT); blank lines anywhere.
//
// Thread-safety: a pure function of its arguments. Durability: none.
#pragma once

#include <string_view>
#include <vector>

#include "platform/pim/content_line.h"
#include "platform/status.h"

namespace holdfast::platform {

// Parses a whole .vcf file's bytes into one PimItem (kind kContact) per
// top-level BEGIN:VCARD ... END:VCARD, in file order. `path` is only used in
// error messages.
//
// Each item:
//  - uid: the card's first UID value, unescaped (2.1 QUOTED-PRINTABLE and
//    CHARSET decoded); empty when the card has none (the caller derives an
//    identity).
//  - summary: FN; when FN is missing or blank, N joined readably ("Dr. Hans
//    Peter Müller Jr.": prefix, given, additional, family, suffix); when that
//    is blank too, the first ORG component. Decoded to valid UTF-8 (2.1
//    QUOTED-PRINTABLE and CHARSET decoded; undeclared non-UTF-8 bytes read as
//    windows-1252) and unescaped. May be empty.
//  - revision: the first REV value verbatim; empty if none.
//  - raw: when the file holds exactly one card, the whole file byte for byte
//    (BOM, blank lines and trailing newline included); otherwise the bytes
//    from the start of the card's BEGIN:VCARD line through its END:VCARD line
//    and that line's ending. Blank lines between cards belong to no card.
//  - first_line: the line of the card's BEGIN:VCARD.
// Properties of a card nested in another (2.1 AGENT) are not the outer
// card's; the nested card is part of the outer card's raw, not an item.
//
// Errors, all kMalformedInput with "<path>:<line>: <reason>":
//  - the file is over kMaxPimFileBytes (64 MiB), UTF-16/32, or holds a NUL;
//  - no BEGIN:VCARD at all (empty file, or a file of something else);
//  - a non-blank line outside BEGIN:VCARD ... END:VCARD;
//  - BEGIN without END (truncated), an END that does not match its BEGIN,
//    an END with no BEGIN, nesting deeper than kMaxNestingDepth;
//  - a content line without ':' (or without a name);
//  - invalid UTF-8 in a card whose VERSION is not 1.x/2.x (a card without
//    VERSION is treated as legacy and may hold 8-bit bytes);
//  - an unfolded line longer than kMaxContentLineBytes.
// Out of memory gives kIoError. Never throws.
Result<std::vector<PimItem>> ReadVcardFile(std::string_view bytes, std::string_view path);

}  // namespace holdfast::platform
