#include "agent/archive/archive_format.h"

#include <nlohmann/json.hpp>

#include "agent/json_text.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::strict) + "\n"; }

// Text that is not valid UTF-8 (a uid from an old phone) goes as hex.
void PutText(json* j, const char* key, const std::string& text) { PutJsonText(j, key, text); }
bool GetText(const json& j, const char* key, std::string* out) { return GetJsonText(j, key, out); }

bool GetInt(const json& j, const char* key, int64_t* out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

}  // namespace

std::string ManifestHeaderLine(std::string_view device_id, int64_t exported_at_ms,
                               std::optional<int64_t> as_of_ms) {
  json j = {{"type", "header"},
            {"format", "holdfast-archive"},
            {"version", kArchiveFormatVersion},
            {"device_id", std::string(device_id)},
            {"exported_at_ms", exported_at_ms}};
  j["as_of_ms"] = as_of_ms ? json(*as_of_ms) : json(nullptr);
  return Dump(j);
}

std::string ManifestCollectionLine(const ManifestCollection& c) {
  json j = {{"type", "collection"}, {"kind", storage::ItemKindName(c.kind)}};
  PutText(&j, "source", c.source);
  PutText(&j, "name", c.name);
  return Dump(j);
}

std::string ManifestItemLine(const ManifestItem& item) {
  json j = {{"type", "item"},
            {"sha256", platform::ToHex(item.sha256)},
            {"size", item.size_bytes},
            {"kind", storage::ItemKindName(item.kind)},
            {"captured_at_ms", item.captured_at_ms}};
  PutText(&j, "member", item.member);
  PutText(&j, "source", item.source);
  PutText(&j, "collection", item.collection);
  PutText(&j, "uid", item.uid);
  PutText(&j, "summary", item.summary);
  PutText(&j, "source_path", item.source_path);
  return Dump(j);
}

std::string ManifestEndLine(int64_t collections, int64_t items) {
  return Dump(json{{"type", "end"}, {"collections", collections}, {"items", items}});
}

Result<ManifestLine> ParseManifestLine(std::string_view line, int line_number) {
  const std::string where = std::string(kArchiveManifest) + ":" + std::to_string(line_number) + ": ";
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Status(ErrorCode::kMalformedInput, where + "not a JSON object");
  auto type = j.find("type");
  if (type == j.end() || !type->is_string()) return Status(ErrorCode::kMalformedInput, where + "no \"type\"");
  const std::string t = type->get<std::string>();
  ManifestLine out;
  auto kind_of = [&](storage::ItemKind* kind) {
    auto k = j.find("kind");
    if (k == j.end() || !k->is_string()) return false;
    std::optional<storage::ItemKind> parsed = storage::ParseItemKind(k->get<std::string>());
    if (!parsed) return false;
    *kind = *parsed;
    return true;
  };
  if (t == "header") {
    out.type = ManifestLine::Type::kHeader;
    int64_t version = 0;
    auto format = j.find("format");
    if (format == j.end() || *format != "holdfast-archive" || !GetInt(j, "version", &version)) {
      return Status(ErrorCode::kMalformedInput, where + "not a Holdfast archive header");
    }
    out.format_version = static_cast<int>(version);
    return out;
  }
  if (t == "collection") {
    out.type = ManifestLine::Type::kCollection;
    if (!GetText(j, "source", &out.collection.source) || !GetText(j, "name", &out.collection.name) ||
        !kind_of(&out.collection.kind)) {
      return Status(ErrorCode::kMalformedInput, where + "collection line lacks source, name or kind");
    }
    return out;
  }
  if (t == "item") {
    out.type = ManifestLine::Type::kItem;
    ManifestItem& item = out.item;
    std::string sha;
    int64_t size = 0;
    auto sha_it = j.find("sha256");
    if (sha_it != j.end() && sha_it->is_string()) sha = sha_it->get<std::string>();
    if (!GetText(j, "member", &item.member) || !platform::FromHex(sha, &item.sha256) ||
        !GetInt(j, "size", &size) || size < 0 || !GetText(j, "source", &item.source) ||
        !GetText(j, "collection", &item.collection) || !kind_of(&item.kind) || !GetText(j, "uid", &item.uid) ||
        !GetText(j, "summary", &item.summary) || !GetText(j, "source_path", &item.source_path) ||
        !GetInt(j, "captured_at_ms", &item.captured_at_ms)) {
      return Status(ErrorCode::kMalformedInput, where + "item line lacks a field or has a bad value");
    }
    item.size_bytes = static_cast<uint64_t>(size);
    return out;
  }
  if (t == "end") {
    out.type = ManifestLine::Type::kEnd;
    if (!GetInt(j, "collections", &out.collections) || !GetInt(j, "items", &out.items)) {
      return Status(ErrorCode::kMalformedInput, where + "end line lacks its counts");
    }
    return out;
  }
  return Status(ErrorCode::kMalformedInput, where + "unknown line type \"" + t + "\"");
}

std::string ArchiveReadmeText() {
  return "This is a Holdfast export archive: a copy of the contacts, calendars, tasks, notes and photos\n"
         "that a Holdfast vault held.\n"
         "\n"
         "  items/<source>/...  one file per item, in the layout of the device's folders (vCard .vcf,\n"
         "                      iCalendar .ics, photos as they were)\n"
         "  SHA256SUMS          the SHA-256 of every item file: check with\n"
         "                        cd holdfast-export && sha256sum -c SHA256SUMS\n"
         "  MANIFEST.jsonl      one JSON object per line: each collection and each item with its uid,\n"
         "                      SHA-256, size and capture time (what `holdfast import` reads)\n"
         "\n"
         "Extract with plain tar (tar -xf FILE, or tar --zstd -xf FILE for a .tar.zst), or bring it back\n"
         "into a vault with `holdfast import FILE`, which checks every member before importing anything.\n";
}

}  // namespace holdfast::agent
