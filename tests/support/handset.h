// Test support: a generated handset (tools/handset_gen) with a vault and its
// five sources configured, driven through the real `holdfast` binary.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace holdfast::testing {

// {kind for `source add`, folder of the handset and source name}.
inline constexpr const char* kHandsetSources[][2] = {{"contacts", "contacts"}, {"calendar", "calendars"},
                                                     {"tasks", "tasks"},       {"notes", "notes"},
                                                     {"photos", "photos"}};

struct Handset {
  TempDir dir;
  std::filesystem::path tree = dir / "handset";
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();

  // Generates the `small` profile with `seed` (and malformed files if asked),
  // runs `holdfast init` and adds the five sources.
  explicit Handset(bool malformed = false, int seed = 3);

  // Runs holdfast with --vault and --config set.
  ProcessResult Holdfast(std::vector<std::string> args) const;
  // `holdfast status --json`, parsed.
  nlohmann::json Status() const;
};

// The regular files of one folder, sorted.
std::vector<std::filesystem::path> FilesIn(const std::filesystem::path& folder);

}  // namespace holdfast::testing
