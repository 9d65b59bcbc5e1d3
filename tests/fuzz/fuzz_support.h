// Shared by the fuzz targets of tests/fuzz: a scratch folder for targets
// whose input must be a file (config, archive, vault), and the check that
// stops the run when an invariant fails.
//
// A target runs one input after another in one process (libFuzzer, or the
// corpus replay driver replay_main.cc); the scratch folder lives as long as
// the process and is removed at exit. Not thread-safe.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace holdfast::fuzz {

// The process's scratch folder: under /dev/shm when it exists (each input
// writes files and SQLite syncs them), else under $TMPDIR or /tmp.
const std::filesystem::path& ScratchDir();

// Writes `bytes` to `path`, replacing it. Aborts on failure (the machine, not
// the input, is at fault).
void WriteFile(const std::filesystem::path& path, std::string_view bytes);

// Aborts with a message when an invariant of the code under test fails: the
// fuzzer then saves the input as a crash.
#define HOLDFAST_FUZZ_CHECK(condition, message)                                           \
  do {                                                                                    \
    if (!(condition)) {                                                                   \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", message, __FILE__, __LINE__); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

// Whether `text` is valid UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace holdfast::fuzz
