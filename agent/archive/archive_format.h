// The Holdfast archive: one tar file (plain or zstd-compressed) that holds a
// vault's items in the vdir layout and proves its own integrity.
//
// Members, in this order, all under "holdfast-export/":
//   README.txt         what the archive is and how to check it by hand
//   items/<source>/<path>   one member per item, its raw bytes
//   SHA256SUMS         "<sha256>  items/..." for every item (`sha256sum -c`)
//   MANIFEST.jsonl     one JSON object per line: a header, one line per
//                      collection, one per item (path, SHA-256, size and the
//                      metadata import needs), and an end line with counts
// The manifest comes last so that export streams; import reads the archive
// twice (verify everything, then import). docs/formats.md is the reference.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/sha256.h"
#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

inline constexpr std::string_view kArchiveRoot = "holdfast-export/";
inline constexpr std::string_view kArchiveReadme = "holdfast-export/README.txt";
inline constexpr std::string_view kArchiveSums = "holdfast-export/SHA256SUMS";
inline constexpr std::string_view kArchiveManifest = "holdfast-export/MANIFEST.jsonl";
inline constexpr std::string_view kArchiveItemsPrefix = "holdfast-export/items/";
inline constexpr int kArchiveFormatVersion = 1;

// One item line of the manifest.
struct ManifestItem {
  std::string member;  // full member path, "holdfast-export/items/..."
  platform::Digest sha256{};
  uint64_t size_bytes = 0;
  std::string source;
  std::string collection;
  storage::ItemKind kind = storage::ItemKind::kContact;
  std::string uid;
  std::string summary;
  std::string source_path;
  int64_t captured_at_ms = 0;
};

struct ManifestCollection {
  std::string source;
  std::string name;
  storage::ItemKind kind = storage::ItemKind::kContact;
};

std::string ManifestHeaderLine(std::string_view device_id, int64_t exported_at_ms,
                               std::optional<int64_t> as_of_ms);
std::string ManifestCollectionLine(const ManifestCollection& collection);
std::string ManifestItemLine(const ManifestItem& item);
std::string ManifestEndLine(int64_t collections, int64_t items);

// One parsed line. Errors: kMalformedInput naming the line number.
struct ManifestLine {
  enum class Type { kHeader, kCollection, kItem, kEnd } type = Type::kHeader;
  int format_version = 0;           // header
  ManifestCollection collection;    // collection
  ManifestItem item;                // item
  int64_t collections = 0;          // end
  int64_t items = 0;                // end
};
Result<ManifestLine> ParseManifestLine(std::string_view line, int line_number);

// The fixed README.txt text.
std::string ArchiveReadmeText();

}  // namespace holdfast::agent
