#include "tests/crash/crash_handset.h"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <random>

#include "agent/device/capture.h"
#include "platform/sha256.h"
#include "storage/vault.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {

namespace fs = std::filesystem;
using storage::Vault;

UseTmpfsForTests::UseTmpfsForTests() {
  if (fs::is_directory("/dev/shm") && access("/dev/shm", W_OK) == 0) setenv("TMPDIR", "/dev/shm", 1);
}

std::string Sha(std::string_view bytes) { return platform::ToHex(platform::Sha256Of(bytes)); }

// Deterministic bytes that do not compress or repeat.
std::string PseudoRandomBytes(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  return bytes;
}

std::string VCard(const std::string& uid, const std::string& name, int version) {
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + name + "\r\nN:" + name +
         ";;;;\r\nTEL:+44 20 7946 " + std::to_string(1000 + version) + "\r\nEND:VCARD\r\n";
}

std::string Calendar(const std::string& component, const std::string& uid, const std::string& summary) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Holdfast tests//EN\r\nBEGIN:" + component +
         "\r\nUID:" + uid + "\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261102T090000Z\r\nSUMMARY:" + summary +
         "\r\nEND:" + component + "\r\nEND:VCALENDAR\r\n";
}

void HandsetAt(const fs::path& handset, int step) {
  fs::create_directories(handset / "contacts" / "personal");
  fs::create_directories(handset / "calendars" / "home");
  fs::create_directories(handset / "tasks" / "todo");
  fs::create_directories(handset / "notes" / "notebook");
  fs::create_directories(handset / "photos" / "DCIM");
  for (int i = 0; i < 12; ++i) {
    std::string uid = "contact-" + std::to_string(i);
    fs::path file = handset / "contacts" / "personal" / (uid + ".vcf");
    if (step >= 2 && i == 11) {
      fs::remove(file);  // deleted on the device
      continue;
    }
    WriteFileBytes(file, VCard(uid, "Contact " + std::to_string(i), step >= 2 && i < 3 ? 2 : 1));
  }
  for (int i = 0; i < 4; ++i) {
    std::string uid = "event-" + std::to_string(i);
    WriteFileBytes(handset / "calendars" / "home" / (uid + ".ics"),
                   Calendar("VEVENT", uid, step >= 2 && i == 0 ? "Moved meeting" : "Meeting " + std::to_string(i)));
  }
  for (int i = 0; i < 3; ++i) {
    std::string uid = "task-" + std::to_string(i);
    WriteFileBytes(handset / "tasks" / "todo" / (uid + ".ics"), Calendar("VTODO", uid, "Task " + std::to_string(i)));
  }
  WriteFileBytes(handset / "notes" / "notebook" / "note-0.ics", Calendar("VJOURNAL", "note-0", "A note"));
  WriteFileBytes(handset / "photos" / "DCIM" / "a.jpg", PseudoRandomBytes(600 * 1024, 1));
  if (step >= 2) WriteFileBytes(handset / "photos" / "DCIM" / "b.jpg", PseudoRandomBytes(90 * 1024, 2));
}

agent::Config HandsetConfig(const fs::path& handset) {
  agent::Config config;
  const std::pair<agent::SourceKind, const char*> sources[] = {{agent::SourceKind::kContacts, "contacts"},
                                                               {agent::SourceKind::kCalendar, "calendars"},
                                                               {agent::SourceKind::kTasks, "tasks"},
                                                               {agent::SourceKind::kNotes, "notes"},
                                                               {agent::SourceKind::kPhotos, "photos"}};
  for (const auto& [kind, folder] : sources) {
    agent::SourceConfig source;
    source.name = folder;
    source.kind = kind;
    source.path = (handset / folder).string();
    config.sources.push_back(source);
  }
  return config;
}

void MakeEmptyVault(const fs::path& dir) {
  fs::create_directories(dir);
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kCreate);
  REQUIRE_MESSAGE(vault, (vault ? "" : vault.error().ToString()));
}

void MakeCapturedVault(const fs::path& dir, int step) {
  MakeEmptyVault(dir);
  HandsetAt(dir / "handset", step);
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  REQUIRE(vault);
  agent::CaptureOptions options;
  options.now_ms = kCrashNowMs;
  auto report = agent::Capture(**vault, HandsetConfig(dir / "handset"), options);
  REQUIRE_MESSAGE(report, (report ? "" : report.error().ToString()));
}

}  // namespace holdfast::testing
