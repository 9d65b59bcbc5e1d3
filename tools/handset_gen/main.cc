// holdfast-handset-gen: the command line of the synthetic handset generator
// (see handset_gen.h for what it writes). Exit status: 0 written, 1 failed
// (output folder not empty, I/O error), 2 bad arguments.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

#include "tools/handset_gen/handset_gen.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

// Strict decimal: CLI11 would quietly turn "-1" into 2^64-1.
bool ParseSeed(const std::string& text, uint64_t& seed) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    const auto digit = static_cast<uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return false;
    value = value * 10 + digit;
  }
  seed = value;
  return true;
}

int Run(int argc, char** argv) {
  using holdfast::handset_gen::GenerateHandset;
  using holdfast::handset_gen::GenerateOptions;
  using holdfast::handset_gen::ParseProfile;

  CLI::App app{
      "Writes a realistic synthetic handset (contacts, calendars, tasks, notes, photos) "
      "into an empty folder. The same seed gives a byte-identical tree."};
  std::string profile_name;
  std::string seed_text;
  std::string out_dir;
  bool malformed = false;
  app.add_option("--profile", profile_name, "small, large or huge (10x large)")
      ->required()
      ->check(CLI::IsMember({"small", "large", "huge"}));
  app.add_option("--seed", seed_text, "seed of the pseudo-random generator (0 to 2^64-1)")
      ->required();
  app.add_option("--out", out_dir, "output folder: created if missing, must be empty")->required();
  app.add_flag("--malformed", malformed,
               "also write malformed files and multi-item exports (see handset_gen.h)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  uint64_t seed = 0;
  if (!ParseSeed(seed_text, seed)) {
    std::cerr << "holdfast-handset-gen: --seed \"" << seed_text
              << "\" is not a whole number from 0 to 18446744073709551615\n";
    return kExitUsage;
  }
  auto profile = ParseProfile(profile_name);
  if (!profile) {
    std::cerr << "holdfast-handset-gen: " << profile.error().message() << "\n";
    return kExitUsage;
  }
  GenerateOptions options;
  options.profile = *profile;
  options.seed = seed;
  options.out_dir = out_dir;
  options.malformed = malformed;
  auto summary = GenerateHandset(options);
  if (!summary) {
    std::cerr << "holdfast-handset-gen: " << summary.error().ToString() << "\n";
    return kExitFailed;
  }
  std::cout << "holdfast-handset-gen: " << profile_name << " profile, seed " << seed << ": "
            << summary->contacts << " contacts, " << summary->events << " events, "
            << summary->tasks << " tasks, " << summary->notes << " notes, " << summary->photos
            << " photos, " << summary->extra_files << " extra files; " << summary->files
            << " files, " << summary->bytes << " bytes (photos " << summary->photo_bytes << ") in "
            << out_dir << "\n";
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    // Only out-of-memory and the like get here: report rather than abort.
    std::cerr << "holdfast-handset-gen: internal error: " << e.what() << "\n";
    return kExitFailed;
  }
}
