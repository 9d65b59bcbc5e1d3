// The text layer shared by the vCard and iCalendar readers, and the PimItem
// both of them return.
//
// vCard (2.1, RFC 2426, RFC 6350) and iCalendar (RFC 5545) files are both
// made of "content lines": NAME;PARAM=VALUE:value, folded onto several
// physical lines. This module turns a file's bytes into unfolded content
// lines without copying when nothing was folded, splits them into their
// parts, and decodes values (QUOTED-PRINTABLE, charsets, backslash escapes)
// into valid UTF-8. It never throws on bad input, never asserts on it and
// never prints; malformed input becomes a kMalformedInput Status whose text
// is "<path>:<line>: <reason>".
//
// Ownership: every std::string_view returned here points into the bytes the
// caller passed in (or into a ContentLineReader's buffer, see Next()); the
// caller keeps those bytes alive. Thread-safety: free functions are
// thread-safe; a ContentLineReader is used by one thread at a time.
// Durability: none (in-memory only).
#pragma once

#include <cstddef>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform {

// ---------------------------------------------------------------------------
// What the readers return (vcard_reader.h, icalendar_reader.h).

enum class PimKind { kContact, kEvent, kTask, kNote };  // VCARD, VEVENT, VTODO, VJOURNAL

// "contact", "event", "task", "note".
const char* PimKindName(PimKind kind);

// One item found in a vCard or iCalendar file. See the readers' headers for
// how each field is filled.
struct PimItem {
  PimKind kind = PimKind::kContact;
  std::string uid;       // UID value, unescaped; empty when the item has none
  std::string summary;   // a display name, always valid UTF-8; may be empty
  std::string revision;  // REV / LAST-MODIFIED value verbatim; empty if none
  std::string raw;       // the item's bytes, exactly as the user's file has them
  int first_line = 0;    // 1-based line of the file where the item's BEGIN is
};

// ---------------------------------------------------------------------------
// Bounds. Anything over them is reported as kMalformedInput.

// Largest file the readers accept. Real address books and calendars are far
// smaller; the bound keeps a wrong file (a video, a disk image) from being
// read into memory and split.
inline constexpr size_t kMaxPimFileBytes = size_t{64} << 20;
// Longest unfolded content line. An inline photo of several MB fits.
inline constexpr size_t kMaxContentLineBytes = size_t{16} << 20;
// Deepest BEGIN/END nesting (VCALENDAR > VEVENT > VALARM is 3).
inline constexpr int kMaxNestingDepth = 16;

// ---------------------------------------------------------------------------
// Errors and whole-file checks.

// Status(kMalformedInput, "<path>:<line>: <reason>").
Status MalformedInput(std::string_view path, int line, std::string_view reason);

// The BEGIN ... END blocks open at a point of a vCard or iCalendar file, with
// the errors both formats report the same way ("<path>:<line>: <reason>").
class BlockStack {
 public:
  size_t depth() const { return open_.size(); }
  bool empty() const { return open_.empty(); }

  // Opens a block named as written after BEGIN:. kMalformedInput when that
  // would nest deeper than kMaxNestingDepth.
  Status Begin(std::string_view name, int line, std::string_view path);
  // Closes the innermost block. kMalformedInput when there is none or `name`
  // (case-insensitive) is not its name.
  Status End(std::string_view name, int line, std::string_view path);
  // OK when every block was closed; else the error for the innermost one
  // still open (a file cut short).
  Status CheckAllClosed(std::string_view path) const;

 private:
  struct Open {
    std::string name;
    int line;
  };
  std::vector<Open> open_;
};

// Runs a reader, so that no exception leaves it: std::bad_alloc becomes
// kIoError ("not enough memory"), any other exception kInternal, both naming
// the file.
template <typename Read>
Result<std::vector<PimItem>> GuardedRead(std::string_view path, Read read) {
  try {
    return read();
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kIoError, std::string(path) + ": not enough memory to read it");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, std::string(path) + ": " + e.what());
  }
}

// `text` made fit for an error message: at most ~40 bytes (cut on a UTF-8
// character boundary, "..." added when cut), control bytes shown as '?',
// non-UTF-8 bytes shown as '?', in double quotes.
std::string QuoteForMessage(std::string_view text);

// 3 when `bytes` starts with a UTF-8 byte order mark (EF BB BF), else 0.
size_t Utf8BomLength(std::string_view bytes);

// Checks that `bytes` can be a vCard/iCalendar text file: at most
// `max_size_bytes`, not UTF-16/UTF-32 (a BOM or NUL-padded ASCII: the message
// says to save the file as UTF-8), no NUL byte (binary data). OK otherwise.
// Errors: kMalformedInput naming `path` and the line of the first NUL.
Status CheckTextBytes(std::string_view bytes, std::string_view path,
                      size_t max_size_bytes = kMaxPimFileBytes);

// The 1-based line number of byte `offset`, counting LF, CRLF and a lone CR
// as one line ending each (as ContentLineReader does). Linear in `offset`.
int LineNumberAt(std::string_view bytes, size_t offset);

// ---------------------------------------------------------------------------
// Unfolding.

// One logical (unfolded) content line.
struct ContentLine {
  // The unfolded text without its line ending. Points into the file's bytes
  // when the line was not folded, else into the reader's buffer; valid until
  // the next call to ContentLineReader::Next().
  std::string_view text;
  size_t begin_offset = 0;  // file offset of the line's first byte
  size_t end_offset = 0;    // file offset just past the last physical line's ending
  int line_number = 0;      // 1-based line of the first physical line
};

// Reads a file's bytes as logical content lines:
//  - a UTF-8 BOM at the start is skipped (begin_offset of the first line is 3);
//  - LF, CRLF and a lone CR each end a physical line; the last line may have
//    no ending;
//  - a physical line starting with a space or a tab continues the previous
//    one: the line ending and that one whitespace byte are removed (RFC 5545
//    3.1, RFC 6350 3.2), which also restores a UTF-8 sequence split by a fold;
//  - with `qp_soft_breaks` (vCard 2.1, vCalendar 1.0), a line whose
//    parameters say QUOTED-PRINTABLE and whose text ends in '=' continues on
//    the next physical line whatever it starts with: the '=' and the line
//    ending are removed. A next line starting with "BEGIN:" or "END:" is
//    never joined (a writer's stray '=' must not swallow the end of a card).
//    A soft break wins over folding: a space starting the next line is kept
//    as QUOTED-PRINTABLE text.
// Blank lines are returned as empty (or whitespace-only) text; the caller
// decides what they mean. Linear in the size of the input.
class ContentLineReader {
 public:
  // `bytes` must outlive the reader; `path` is used in error messages only.
  ContentLineReader(std::string_view bytes, std::string_view path, bool qp_soft_breaks);
  ContentLineReader(const ContentLineReader&) = delete;
  ContentLineReader& operator=(const ContentLineReader&) = delete;

  // Fills `*line` with the next logical line and returns true. Returns false
  // at the end of the input, or on error: then status() is not OK
  // (kMalformedInput, "<path>:<line>: line is longer than 16 MiB ...").
  bool Next(ContentLine* line);

  const Status& status() const { return status_; }

  // Number of physical lines consumed so far (the last line number seen).
  int lines_read() const { return next_line_number_ - 1; }

 private:
  // Bounds of the physical line starting at `pos`: its text ends at
  // `*content_end`; the next line starts at `*next`.
  void PhysicalLine(size_t pos, size_t* content_end, size_t* next);
  // Appends [from, to) to the logical line being built, moving it into
  // buffer_ first if it still points into bytes_. False if too long.
  bool Append(std::string_view* text, bool* in_buffer, size_t from, size_t to, int line_number);

  std::string_view bytes_;
  std::string_view path_;
  bool qp_soft_breaks_;
  size_t pos_;
  // First '\n' at or after the last scan point; bytes_.size() if none; npos
  // before the first scan.
  size_t next_lf_;
  int next_line_number_ = 1;
  std::string buffer_;
  Status status_;
};

// ---------------------------------------------------------------------------
// Splitting a content line: [group "."] name *(";" param) ":" value.

struct ContentLineParts {
  std::string_view group;   // "item1" in "item1.TEL:..."; empty if none
  std::string_view name;    // as written; compare with EqualsIgnoreCase
  std::string_view params;  // everything between the name and the ':', without the first ';'
  std::string_view value;   // everything after the ':', not decoded
};

// Splits `text`. The ':' that ends the parameters is the first one outside
// double quotes (a quoted parameter value may hold ':' and ';'); if a quote
// is never closed, the first ':' after the name is used. Returns false when
// the line has no ':' or no name. The parts point into `text`.
bool SplitContentLine(std::string_view text, ContentLineParts* parts);

// One parameter. A bare 2.1 parameter ("TEL;WORK;VOICE:", ";QUOTED-PRINTABLE:")
// has an empty name and the word as its value. Surrounding double quotes are
// removed from the value; RFC 6868 caret escapes are not decoded.
struct ContentLineParam {
  std::string_view name;
  std::string_view value;
};

// Walks the parameters of ContentLineParts::params, split on ';' outside
// double quotes.
class ParamCursor {
 public:
  explicit ParamCursor(std::string_view params) : rest_(params), done_(params.empty()) {}
  // Fills `*param` and returns true, or returns false when none is left.
  bool Next(ContentLineParam* param);

 private:
  std::string_view rest_;
  bool done_;
};

// True when the parameters say ENCODING=QUOTED-PRINTABLE (or the bare 2.1
// form ";QUOTED-PRINTABLE"), in any case.
bool IsQuotedPrintable(std::string_view params);

// The CHARSET parameter's value, or empty.
std::string_view CharsetParam(std::string_view params);

// ---------------------------------------------------------------------------
// Decoding values.

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `text` without leading and trailing spaces and tabs.
std::string_view TrimWhitespace(std::string_view text);

// Decodes QUOTED-PRINTABLE: "=XX" (either case of hex) becomes the byte, a
// soft break ("=" then CRLF or LF) is removed, a '=' not followed by two hex
// digits is kept as it is.
std::string DecodeQuotedPrintable(std::string_view value);

// Undoes text escapes: "\n" and "\N" become a newline, "\\", "\,", "\;" and
// "\:" the character; any other backslash is kept as it is.
std::string UnescapeText(std::string_view value);

// Splits a structured value (N, ADR, ORG) on `separator` where it is not
// escaped with a backslash. The pieces are still escaped.
std::vector<std::string_view> SplitStructured(std::string_view value, char separator);

// Converts `bytes` in `charset` (a CHARSET parameter: "ISO-8859-1",
// "windows-1252", "UTF-8", "Shift_JIS", ... any name glibc's iconv knows) to
// UTF-8. Always returns valid UTF-8:
//  - no charset or UTF-8: the bytes as they are if they are valid UTF-8,
//    else they are read as windows-1252 (what old phones write);
//  - an unknown or odd charset name: as if none was given;
//  - a byte the charset cannot map becomes U+FFFD.
std::string ToUtf8(std::string_view bytes, std::string_view charset);

// The value of a property decoded to valid UTF-8 but still escaped:
// QUOTED-PRINTABLE undone when the parameters say so, then ToUtf8 with the
// CHARSET parameter.
std::string DecodeValue(const ContentLineParts& parts);

// Offset of the first byte that is not part of a valid UTF-8 sequence
// (overlong forms, surrogates and code points above U+10FFFF are invalid),
// or std::string_view::npos when `text` is valid UTF-8.
size_t FindInvalidUtf8(std::string_view text);
inline bool IsValidUtf8(std::string_view text) {
  return FindInvalidUtf8(text) == std::string_view::npos;
}

// True when `text` holds only spaces, tabs, form feeds and DOS end-of-file
// marks (0x1A): a line the readers skip.
bool IsBlankLine(std::string_view text);

}  // namespace holdfast::platform
