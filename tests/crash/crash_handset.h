// Test support for the crash tests: a small handset written file by file,
// its configuration, and vaults made from it. Deterministic: the same step
// gives the same bytes (times aside), so interrupted and uninterrupted runs
// can be compared.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "agent/config.h"

namespace holdfast::testing {

// Points TMPDIR at /dev/shm when it is writable: the crash tests' own
// fsyncs then cost nothing, and their models decide durability anyway.
// Declare one at namespace scope in a test file.
struct UseTmpfsForTests {
  UseTmpfsForTests();
};

inline constexpr int64_t kCrashNowMs = 1'790'000'000'000;

// Lower-case hex SHA-256.
std::string Sha(std::string_view bytes);
// Deterministic bytes that do not compress or repeat.
std::string PseudoRandomBytes(size_t size, uint64_t seed);
std::string VCard(const std::string& uid, const std::string& name, int version);
// A VCALENDAR holding one component (VEVENT, VTODO, VJOURNAL).
std::string Calendar(const std::string& component, const std::string& uid, const std::string& summary);

// Writes the handset as it is at `step` (1 or 2; idempotent): contacts,
// events, tasks, a note and photos; step 2 changes three contacts and an
// event, deletes a contact and adds a photo.
void HandsetAt(const std::filesystem::path& handset, int step);
// The five sources of that handset.
agent::Config HandsetConfig(const std::filesystem::path& handset);

// `dir`/vault.db, created empty (REQUIREs success).
void MakeEmptyVault(const std::filesystem::path& dir);
// `dir`/vault.db holding `dir`/handset as captured at `step`.
void MakeCapturedVault(const std::filesystem::path& dir, int step = 2);

}  // namespace holdfast::testing
