// Text encodings shared by the vCard and iCalendar writers of the synthetic
// handset: content-line folding, quoted-printable, base64, TEXT escaping,
// UTF-8 to ISO-8859-1, and calendar dates without the C library's clock or
// locale (so output depends on the seed alone).
//
// Thread-safety: pure functions. Durability: none.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace holdfast::handset_gen {

inline constexpr std::string_view kCrlf = "\r\n";

// Appends `line` to `out` as one content line ending in CRLF, folded so no
// physical line exceeds 75 octets (RFC 5545 3.1, RFC 6350 3.2): each
// continuation starts with one space. Never splits a UTF-8 sequence.
void AppendFolded(std::string& out, std::string_view line);

// Appends `line` plus CRLF unfolded (vCard 2.1 lines, which are not folded).
void AppendLine(std::string& out, std::string_view line);

// Appends a vCard 2.1 property whose value is quoted-printable (RFC 2045
// 6.7): `prefix` is "NAME;PARAMS:" and `value_bytes` the raw value in its
// charset. Lines stay within 76 characters using '=' soft line breaks;
// CR and LF in the value become =0D=0A.
void AppendQuotedPrintable(std::string& out, std::string_view prefix, std::string_view value_bytes);

// Standard base64 (RFC 4648) with '=' padding and no line breaks.
std::string Base64(std::string_view bytes);

// Escapes TEXT for vCard 3.0/4.0 and iCalendar: backslash, ';', ',' and
// newline become \\ \; \, \n.
std::string EscapeText(std::string_view text);

// Escapes only what vCard 2.1 needs inside a structured value: ';'.
std::string EscapeText21(std::string_view text);

// True when every code point of the UTF-8 `text` fits ISO-8859-1.
bool FitsLatin1(std::string_view text);
// Converts UTF-8 to ISO-8859-1; only valid when FitsLatin1(text).
std::string ToLatin1(std::string_view text);
// True when `text` is pure 7-bit ASCII without control characters.
bool IsPlainAscii(std::string_view text);

// A civil date and time (proleptic Gregorian), no zone attached.
struct DateTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Days since 1970-01-01 of a civil date, and back (H. Hinnant's algorithms).
int64_t DaysFromCivil(int year, int month, int day);
DateTime CivilFromDays(int64_t days);
// Seconds since the epoch of a civil date-time read as UTC, and back.
int64_t ToEpochSeconds(const DateTime& dt);
DateTime FromEpochSeconds(int64_t seconds);
// 0 = Sunday ... 6 = Saturday.
int Weekday(const DateTime& dt);

// "20190412T101500" (add "Z" for UTC yourself).
std::string FormatBasic(const DateTime& dt);
// "20190412".
std::string FormatDateBasic(const DateTime& dt);
// "2019-04-12".
std::string FormatDateExtended(const DateTime& dt);
// "2019-04-12T10:15:00Z".
std::string FormatExtendedUtc(const DateTime& dt);

// A zero-padded decimal of `width` digits.
std::string Padded(int64_t value, int width);

}  // namespace holdfast::handset_gen
