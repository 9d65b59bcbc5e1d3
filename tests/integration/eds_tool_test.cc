// holdfast-eds-tool in a private EDS session (tests/support/eds_session.h):
// what it writes, EDS keeps (photos moved to files), its dump is the same
// after EDS restarts and after a reset and the same populate, and stopping
// the session leaves no EDS process behind.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "platform/sha256.h"
#include "tests/support/eds_session.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

std::vector<std::filesystem::path> PhotoFiles(const EdsSession& eds) {
  std::vector<std::filesystem::path> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(eds.data_dir() / "addressbook/system/photos", ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

const std::vector<std::string> kPopulate = {"populate", "--contacts", "50", "--photos", "5", "--events", "20",
                                            "--tasks",  "5",          "--memos", "5",  "--seed",   "7"};
constexpr const char* kCounts =
    "system-address-book contacts 50\n"
    "system-calendar events 22\n"  // 20 events, two of them with an overridden instance
    "system-task-list tasks 5\n"
    "system-memo-list memos 5\n";

TEST_CASE("holdfast-eds-tool's items survive an EDS restart and a reset, and Stop leaves no EDS process") {
  TempDir dir;
  EdsSession eds(dir.path());

  const auto populate = eds.RunTool(kPopulate);
  REQUIRE_MESSAGE(populate.exit_code == 0, populate.err);
  const auto count = eds.RunTool({"count"});
  REQUIRE_MESSAGE(count.exit_code == 0, count.err);
  CHECK(count.out == kCounts);

  const auto dump = eds.RunTool({"dump", "--all"});
  REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
  for (const char* part : {"--- eds-contact-000050\n", "--- eds-event-000010 RECURRENCE-ID:", "TZID=", "RRULE",
                           "BEGIN:VALARM", "BEGIN:VTODO", "BEGIN:VJOURNAL", "FN:", "N:", "TEL;", "EMAIL;", "ADR;",
                           "NOTE:", "DUE", "STATUS:"}) {
    CHECK_MESSAGE(dump.out.find(part) != std::string::npos, part);
  }
  CHECK(Occurrences(dump.out, "\n--- ") == 50 + 22 + 5 + 5);
  // Volatile lines are gone; photos are hashes, not URIs or data.
  CHECK(dump.out.find("\nREV:") == std::string::npos);
  CHECK(dump.out.find("LAST-MODIFIED") == std::string::npos);
  CHECK(dump.out.find("PHOTO;") == std::string::npos);
  CHECK(dump.out.find("file://") == std::string::npos);

  // EDS moved the five inline photos into files; the dump's hashes are theirs.
  const auto photos = PhotoFiles(eds);
  CHECK(photos.size() == 5);
  CHECK(Occurrences(dump.out, "PHOTO-SHA256:") == 5);
  for (const auto& file : photos) {
    const std::string bytes = ReadFileBytes(file);
    CHECK(bytes.size() > 500);
    CHECK_MESSAGE(dump.out.find("PHOTO-SHA256:" + platform::ToHex(platform::Sha256Of(bytes)) + "\n") != std::string::npos, file);
  }

  // Restart: EDS reads back what it saved.
  eds.Restart();
  const auto again = eds.RunTool({"dump", "--all"});
  REQUIRE_MESSAGE(again.exit_code == 0, again.err);
  CHECK(again.out == dump.out);

  // Reset, then the same populate: the same dump (the items are fixed by the seed).
  eds.Stop();
  std::filesystem::remove_all(eds.data_dir());
  eds.Restart();
  const auto empty = eds.RunTool({"count"});
  CHECK(empty.out ==
        "system-address-book contacts 0\nsystem-calendar events 0\nsystem-task-list tasks 0\nsystem-memo-list memos 0\n");
  REQUIRE(eds.RunTool(kPopulate).exit_code == 0);
  const auto repopulated = eds.RunTool({"dump", "--all"});
  CHECK(repopulated.out == dump.out);

  // The session's EDS processes are found, and Stop ends every one.
  const auto processes = eds.SessionProcesses();
  std::vector<std::string> names;
  for (pid_t pid : processes) names.push_back(ProcessName(pid));
  for (const char* name : {"evolution-sourc", "evolution-addre", "evolution-calen"}) {  // comm: 15 characters
    CHECK_MESSAGE(std::count(names.begin(), names.end(), name) == 1, name);
  }
  eds.Stop();
  CHECK(eds.SessionProcesses().empty());
  for (pid_t pid : processes) {
    // Gone, or a zombie that init has not reaped yet (state Z).
    const std::string stat = ReadFileBytes("/proc/" + std::to_string(pid) + "/stat");
    const size_t paren = stat.rfind(')');
    CHECK_MESSAGE((stat.empty() || (paren != std::string::npos && stat.compare(paren, 4, ") Z ") == 0)), pid);
  }
}

TEST_CASE("holdfast-eds-tool modify-loop writes one line per write and fails on an unknown collection") {
  TempDir dir;
  EdsSession eds(dir.path());
  const auto loop = eds.RunTool({"modify-loop", "--count", "6"});
  REQUIRE_MESSAGE(loop.exit_code == 0, loop.err);
  CHECK(Occurrences(loop.out, " ok ") == 6);
  CHECK(loop.out.find("0 of 6 writes failed") != std::string::npos);
  CHECK(eds.RunTool({"count", "--collection", "system-address-book", "--kind", "contacts"}).out ==
        "system-address-book contacts 3\n");
  const auto missing = eds.RunTool({"modify-loop", "--count", "1", "--collection", "no-such-book"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("no-such-book") != std::string::npos);
}

}  // namespace
}  // namespace holdfast::testing
