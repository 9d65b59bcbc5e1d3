// Byte strings in the agent's own JSON files (the archive manifest, the json
// export, config.json, status --json): a JSON string holds only Unicode, a
// uid or a file name any bytes. Text that is valid UTF-8 goes under its key
// as it is; other bytes go under "<key>_hex" as lower-case hex, so that a
// reader that does not know the convention finds no "<key>" rather than a
// wrong one (docs/formats.md, docs/config.md). One-to-one: the reader gets
// the same bytes back. Pure functions; never throw.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace holdfast::agent {

// Sets `key` (valid UTF-8) or `<key>_hex` (anything else) of the object `j`.
void PutJsonText(nlohmann::json* j, const std::string& key, const std::string& bytes);

// Reads what PutJsonText wrote: false when neither member is there, or the
// one there is not a string (of hex digits, for `<key>_hex`).
bool GetJsonText(const nlohmann::json& j, const std::string& key, std::string* bytes);

// Whether `j` has `key` or `<key>_hex`.
bool HasJsonText(const nlohmann::json& j, const std::string& key);

}  // namespace holdfast::agent
