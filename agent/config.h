// The agent's configuration: the device's PIM sources (docs/config.md).
//
// Stored as JSON at $XDG_CONFIG_HOME/holdfast/config.json (or --config),
// written atomically (platform::WriteFileAtomically). A missing file is an
// empty configuration. Values, not thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"
#include "storage/vault.h"

namespace holdfast::agent {

enum class SourceKind { kContacts, kCalendar, kTasks, kNotes, kPhotos };

// "contacts", "calendar", "tasks", "notes", "photos".
const char* SourceKindName(SourceKind kind);
std::optional<SourceKind> ParseSourceKind(std::string_view name);
// The kind of item a source of this kind holds.
storage::ItemKind ItemKindOf(SourceKind kind);

struct SourceConfig {
  std::string name;  // unique; names the source in the vault and on the CLI
  SourceKind kind = SourceKind::kContacts;
  std::string path;  // absolute: a vdir folder, a single .vcf/.ics export, or a photo folder
  // The device-loss guard: a scan that misses more than loss_percent % of a
  // collection's items AND more than loss_min_items items records no deletion.
  int loss_percent = 20;
  int loss_min_items = 5;
};

struct Config {
  std::vector<SourceConfig> sources;
  const SourceConfig* FindSource(std::string_view name) const;
};

// $XDG_CONFIG_HOME/holdfast/config.json, else ~/.config/holdfast/config.json.
Result<std::filesystem::path> DefaultConfigPath();

// Reads a config file; a missing file gives an empty Config. Errors:
// kMalformedInput naming the file and the field for bad JSON or values.
Result<Config> LoadConfig(const std::filesystem::path& path);

// Writes the config atomically (0600, in a 0700 folder).
Status SaveConfig(const std::filesystem::path& path, const Config& config);

// Checks and adds a source: the name must be new and non-empty, the path is
// made absolute. Errors: kAlreadyExists, kInvalidArgument.
Status AddSource(Config* config, SourceConfig source);

}  // namespace holdfast::agent
