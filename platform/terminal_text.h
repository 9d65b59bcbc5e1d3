// Names (file names, paths, uids, collection and source names, server text)
// made safe to print on a terminal. A file name is bytes: printed raw, an
// ESC, CR or BEL in it can clear the screen, overwrite the line before it,
// or fake a line of the report. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace holdfast::platform {

// `text` with every byte that is not printable UTF-8 written as an escape:
// \n, \r, \t, and \xNN for other C0 controls, DEL, C1 controls (U+0080 to
// U+009F, as their two bytes), the bidirectional overrides and isolates
// (U+202A-U+202E, U+2066-U+2069, as their three bytes) and every byte that
// is not part of valid UTF-8. A backslash is doubled, so that the escaped
// form of a name is never the escaped form of another. Printable text,
// including non-ASCII letters, is kept as it is.
std::string TerminalSafe(std::string_view text);

}  // namespace holdfast::platform
