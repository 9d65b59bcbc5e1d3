// holdfast restore-device as a user runs it: after a reset, the device's own
// folders and files get back what the vault holds, and nothing else changes.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "agent/exit_codes.h"
#include "platform/clock.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitNotFound;
using agent::kExitOk;
using testing::TreeBytes;
using testing::Handset;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::WriteFileBytes;

// "items: 0 new, 0 changed, 0 back, 0 moved, 0 deleted" on every line of a capture.
bool NoItemChange(const std::string& capture_out) {
  size_t lines = 0, quiet = 0;
  for (size_t pos = capture_out.find("items: "); pos != std::string::npos; pos = capture_out.find("items: ", pos + 1)) {
    ++lines;
    if (capture_out.compare(pos, 51, "items: 0 new, 0 changed, 0 back, 0 moved, 0 deleted") == 0) ++quiet;
  }
  return lines > 0 && lines == quiet;
}

// A vault and its config in a scratch folder, with `holdfast` run against them.
struct Device {
  testing::TempDir dir;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();
  ProcessResult Run(std::vector<std::string> args) const {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault, "--config", config});
    return testing::RunProcess(args);
  }
};

TEST_CASE("after a reset, restore-device writes back what is missing; a capture then records no change") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  std::map<std::string, std::map<std::string, std::string>> before;
  for (const auto& source : testing::kHandsetSources) before[source[1]] = TreeBytes(h.tree / source[1]);

  // The reset: address book, calendar and tasks emptied, photos gone with their folders.
  for (const fs::path& f : testing::FilesIn(h.tree / "contacts/personal")) fs::remove(f);
  for (const fs::path& f : testing::FilesIn(h.tree / "calendars/home")) fs::remove(f);
  fs::remove_all(h.tree / "tasks");
  fs::remove_all(h.tree / "photos");
  fs::create_directories(h.tree / "photos");
  // A file the user made since the last capture must survive the restore.
  WriteFileBytes(h.tree / "contacts/personal/new-since.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:new\r\nFN:New\r\nEND:VCARD\r\n");
  ProcessResult guarded = h.Holdfast({"capture"});
  CHECK(guarded.exit_code == kExitAttention);
  REQUIRE(!h.Status()["source_loss_suspected"].empty());

  ProcessResult dry = h.Holdfast({"restore-device", "--dry-run"});
  REQUIRE_MESSAGE(dry.exit_code == kExitOk, dry.err);
  CHECK(dry.out.find("Dry run: nothing was written.") != std::string::npos);
  CHECK(dry.out.find("photos: would write 20 missing files") != std::string::npos);
  CHECK(testing::FilesIn(h.tree / "contacts/personal").size() == 1);
  CHECK(TreeBytes(h.tree / "photos").empty());

  ProcessResult restored = h.Holdfast({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK(restored.out.find("photos: wrote 20 missing files") != std::string::npos);
  CHECK(restored.out.find("source loss alert cleared") != std::string::npos);
  for (const auto& source : testing::kHandsetSources) {
    CAPTURE(source[1]);
    auto now = TreeBytes(h.tree / source[1]);
    if (std::string(source[1]) == "contacts") {
      CHECK(now.erase("personal/new-since.vcf") == 1);
    }
    CHECK(now == before[source[1]]);
  }
  CHECK(h.Status()["source_loss_suspected"].empty());
  for (const auto& entry : fs::recursive_directory_iterator(h.tree)) {
    CHECK_MESSAGE(entry.path().filename().string().rfind(".holdfast-", 0) != 0, entry.path().string());
  }

  ProcessResult after = h.Holdfast({"capture"});
  CHECK(after.exit_code == kExitOk);
  // The user's new card was captured before the restore; nothing is new now.
  CHECK_MESSAGE(NoItemChange(after.out), after.out);
  CHECK(h.Status()["kinds"]["contact"]["items"] == 201);
  ProcessResult again = h.Holdfast({"capture"});
  CHECK_MESSAGE(NoItemChange(again.out), again.out);

  // A second restore finds everything there and writes nothing.
  ProcessResult second = h.Holdfast({"restore-device"});
  CHECK(second.out.find("wrote 0 missing files and replaced 0") != std::string::npos);
  CHECK(second.out.find("wrote 1") == std::string::npos);
}

TEST_CASE("restore-device keeps a device file whose content differs unless --overwrite, and never deletes") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  const fs::path card = testing::FilesIn(h.tree / "contacts/work")[0];
  const std::string vault_copy = ReadFileBytes(card);
  WriteFileBytes(card, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Edited after the capture\r\nEND:VCARD\r\n");
  WriteFileBytes(h.tree / "contacts/work/extra.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Extra\r\nEND:VCARD\r\n");

  ProcessResult kept = h.Holdfast({"restore-device", "--source", "contacts"});
  REQUIRE(kept.exit_code == kExitOk);
  CHECK(kept.out.find("1 differ from the vault and were kept") != std::string::npos);
  CHECK(ReadFileBytes(card) != vault_copy);

  ProcessResult replaced = h.Holdfast({"restore-device", "--source", "contacts", "--overwrite"});
  REQUIRE(replaced.exit_code == kExitOk);
  CHECK(replaced.out.find("replaced 1") != std::string::npos);
  CHECK(ReadFileBytes(card) == vault_copy);
  CHECK(fs::exists(h.tree / "contacts/work/extra.vcf"));
  CHECK(h.Holdfast({"restore-device", "--source", "nope"}).exit_code == kExitNotFound);
}

TEST_CASE("restore-device --as-of brings back an item deleted since") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  const int64_t after_first = platform::NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  const fs::path note = testing::FilesIn(h.tree / "notes/journal")[0];
  const std::string bytes = ReadFileBytes(note);
  fs::remove(note);
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  REQUIRE(h.Status()["kinds"]["note"]["deleted_items"] == 1);

  ProcessResult now = h.Holdfast({"restore-device", "--source", "notes"});
  CHECK(now.out.find("wrote 0 missing files") != std::string::npos);
  CHECK_FALSE(fs::exists(note));
  ProcessResult then = h.Holdfast({"restore-device", "--source", "notes", "--as-of", platform::FormatUtc(after_first)});
  REQUIRE_MESSAGE(then.exit_code == kExitOk, then.err);
  CHECK(then.out.find("wrote 1 missing files") != std::string::npos);
  CHECK(ReadFileBytes(note) == bytes);
  // Capture sees it come back.
  CHECK(h.Holdfast({"capture", "--source", "notes"}).out.find("1 back") != std::string::npos);
}

TEST_CASE("single export files are rebuilt when gone and completed when items are missing") {
  Device device;
  const testing::TempDir& dir = device.dir;
  auto run = [&](std::vector<std::string> args) { return device.Run(std::move(args)); };
  std::string cards;
  for (int i = 0; i < 8; ++i) {
    cards += "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u" + std::to_string(i) + "\r\nFN:Person " + std::to_string(i) +
             "\r\nEND:VCARD\r\n";
  }
  const std::string zone =
      "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\n"
      "TZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";
  std::string calendar = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\n" + zone;
  for (int i = 0; i < 4; ++i) {
    calendar += "BEGIN:VEVENT\r\nUID:e" + std::to_string(i) + "\r\nDTSTART;TZID=Europe/Berlin:2026010" +
                std::to_string(i + 1) + "T100000\r\nSUMMARY:Event " + std::to_string(i) + "\r\nEND:VEVENT\r\n";
  }
  calendar += "END:VCALENDAR\r\n";
  WriteFileBytes(dir / "all.vcf", cards);
  WriteFileBytes(dir / "all.ics", calendar);
  REQUIRE(run({"init"}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "contacts", (dir / "all.vcf").string(), "--name", "book"}).exit_code ==
          kExitOk);
  REQUIRE(run({"source", "add", "--kind", "calendar", (dir / "all.ics").string(), "--name", "cal"}).exit_code ==
          kExitOk);
  REQUIRE(run({"capture"}).exit_code == kExitOk);

  fs::remove(dir / "all.vcf");
  fs::remove(dir / "all.ics");
  ProcessResult restored = run({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK(ReadFileBytes(dir / "all.vcf") == cards);
  CHECK(ReadFileBytes(dir / "all.ics") == calendar);
  ProcessResult capture = run({"capture"});
  CHECK_MESSAGE(NoItemChange(capture.out), capture.out);

  // Two cards and one event lost from the files: only they are added back.
  std::string fewer_cards = cards.substr(0, cards.find("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u6"));
  WriteFileBytes(dir / "all.vcf", fewer_cards);
  std::string fewer_events = calendar;
  size_t e3 = fewer_events.find("BEGIN:VEVENT\r\nUID:e3");
  fewer_events.erase(e3, fewer_events.find("END:VEVENT\r\n", e3) + 12 - e3);
  WriteFileBytes(dir / "all.ics", fewer_events);
  ProcessResult completed = run({"restore-device"});
  REQUIRE(completed.exit_code == kExitOk);
  CHECK(ReadFileBytes(dir / "all.vcf") == cards);
  const std::string ics = ReadFileBytes(dir / "all.ics");
  CHECK(ics.find("UID:e3") != std::string::npos);
  CHECK(ics.rfind(fewer_events.substr(0, fewer_events.size() - 15), 0) == 0);  // old bytes kept in front
  size_t zones = 0;
  for (size_t pos = ics.find("BEGIN:VTIMEZONE"); pos != std::string::npos; pos = ics.find("BEGIN:VTIMEZONE", pos + 1)) ++zones;
  CHECK(zones == 1);
  ProcessResult recapture = run({"capture"});
  CHECK_MESSAGE(recapture.out.find("0 deleted") != std::string::npos, recapture.out);
  CHECK(recapture.out.find("0 changed") != std::string::npos);
}

TEST_CASE("multi-item files in vdir folders come back whole: no new item and no deletion after a reset") {
  Device device;
  const testing::TempDir& dir = device.dir;
  auto run = [&](std::vector<std::string> args) { return device.Run(std::move(args)); };
  auto card = [](const std::string& uid, const std::string& name) {
    return "BEGIN:VCARD\r\nVERSION:3.0\r\n" + (uid.empty() ? "" : "UID:" + uid + "\r\n") + "FN:" + name +
           "\r\nEND:VCARD\r\n";
  };
  // Cards without UID (known by their place in the file), a UID twice, and
  // an event file of three events.
  const std::string no_uids = card("", "Zed") + card("", "Amy") + card("", "Kim");
  const std::string mixed = card("z-last", "Zoe") + card("a-first", "Al") + card("a-first", "Al's twin");
  std::string events = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\n";
  for (const char* uid : {"ev-2", "ev-1", "ev-3"}) {
    events += std::string("BEGIN:VEVENT\r\nUID:") + uid + "\r\nDTSTART:20260101T100000Z\r\nSUMMARY:" + uid +
              "\r\nEND:VEVENT\r\n";
  }
  events += "END:VCALENDAR\r\n";
  fs::create_directories(dir / "contacts/book");
  fs::create_directories(dir / "calendars/home");
  WriteFileBytes(dir / "contacts/book/export.vcf", no_uids);
  WriteFileBytes(dir / "contacts/book/mixed.vcf", mixed);
  WriteFileBytes(dir / "calendars/home/three.ics", events);
  REQUIRE(run({"init"}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "contacts", (dir / "contacts").string()}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "calendar", (dir / "calendars").string()}).exit_code == kExitOk);
  ProcessResult first = run({"capture"});
  REQUIRE_MESSAGE(first.exit_code == kExitOk, first.out);

  fs::remove_all(dir / "contacts/book");
  fs::remove_all(dir / "calendars/home");
  ProcessResult restored = run({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK(ReadFileBytes(dir / "contacts/book/export.vcf") == no_uids);
  CHECK(ReadFileBytes(dir / "contacts/book/mixed.vcf") == mixed);
  CHECK(testing::FilesIn(dir / "contacts/book").size() == 2);
  CHECK(testing::FilesIn(dir / "calendars/home").size() == 1);
  ProcessResult capture = run({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.out);
  CHECK_MESSAGE(NoItemChange(capture.out), capture.out);
}

TEST_CASE("a single export file is rebuilt in its own order: items without UID keep their identity") {
  Device device;
  const testing::TempDir& dir = device.dir;
  auto run = [&](std::vector<std::string> args) { return device.Run(std::move(args)); };
  // Not in uid order, and two events known only by their place in the file.
  std::string events = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\n";
  for (const char* uid : {"zulu", "", "alpha", ""}) {
    events += std::string("BEGIN:VEVENT\r\n") + (*uid ? std::string("UID:") + uid + "\r\n" : "") +
              "DTSTART:20260101T100000Z\r\nSUMMARY:event " + (*uid ? uid : "without uid") + "\r\nEND:VEVENT\r\n";
  }
  events += "END:VCALENDAR\r\n";
  WriteFileBytes(dir / "events.ics", events);
  REQUIRE(run({"init"}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "calendar", (dir / "events.ics").string()}).exit_code == kExitOk);
  REQUIRE(run({"capture"}).exit_code == kExitOk);
  fs::remove(dir / "events.ics");
  ProcessResult restored = run({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK(ReadFileBytes(dir / "events.ics") == events);
  ProcessResult capture = run({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.out);
  CHECK_MESSAGE(NoItemChange(capture.out), capture.out);
}

TEST_CASE("restore-device does not write through a collection folder replaced by a symbolic link") {
  Device device;
  const testing::TempDir& dir = device.dir;
  auto run = [&](std::vector<std::string> args) { return device.Run(std::move(args)); };
  fs::create_directories(dir / "contacts/book");
  fs::create_directories(dir / "contacts/work");
  fs::create_directories(dir / "outside");
  WriteFileBytes(dir / "contacts/book/ann.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann\r\nEND:VCARD\r\n");
  WriteFileBytes(dir / "contacts/work/bob.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:bob\r\nFN:Bob\r\nEND:VCARD\r\n");
  WriteFileBytes(dir / "outside/notes.txt", "not the agent's");
  REQUIRE(run({"init"}).exit_code == kExitOk);
  REQUIRE(run({"source", "add", "--kind", "contacts", (dir / "contacts").string()}).exit_code == kExitOk);
  REQUIRE(run({"capture"}).exit_code == kExitOk);
  fs::remove_all(dir / "contacts/book");
  fs::remove_all(dir / "contacts/work");
  fs::create_directory_symlink(dir / "outside", dir / "contacts/book");

  ProcessResult restored = run({"restore-device"});
  CHECK(restored.exit_code != kExitOk);
  const std::string said = restored.out + restored.err;
  CHECK_MESSAGE(said.find("symbolic link") != std::string::npos, said);
  CHECK(testing::FilesIn(dir / "outside").size() == 1);  // nothing written outside the source
  CHECK(ReadFileBytes(dir / "contacts/work/bob.vcf").find("UID:bob") != std::string::npos);  // the rest restored
}

}  // namespace
}  // namespace holdfast
