// holdfast capture as a user runs it, on generated handsets.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "agent/exit_codes.h"
#include "storage/vault.h"
#include "tests/support/handset.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitNotFound;
using agent::kExitOk;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::RunProcess;
using testing::TempDir;

using testing::FilesIn;
using testing::Handset;
constexpr auto& kSources = testing::kHandsetSources;

TEST_CASE("the small handset is captured byte for byte and a rescan reads no file") {
  Handset h;
  ProcessResult capture = h.Holdfast({"capture"});
  REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));

  nlohmann::json status = h.Status();
  CHECK(status["kinds"]["contact"]["items"] == 200);
  CHECK(status["kinds"]["event"]["items"] == 300);
  CHECK(status["kinds"]["task"]["items"] == 50);
  CHECK(status["kinds"]["note"]["items"] == 20);
  CHECK(status["kinds"]["photo"]["items"] == 20);
  CHECK(status["capture_problems"].empty());
  CHECK(status["source_loss_suspected"].empty());

  // Every item against its file, byte for byte.
  {
    std::unique_ptr<storage::Vault> vault = *storage::Vault::Open(h.vault, storage::Vault::OpenMode::kExisting);
    size_t compared = 0;
    for (const storage::CollectionInfo& c : *vault->ListCollections()) {
      const char* folder = nullptr;
      for (const auto& source : kSources) {
        if (c.source == source[1]) folder = source[1];
      }
      REQUIRE(folder != nullptr);
      for (const storage::ItemRecord& item : *vault->ListItems(c.id)) {
        CAPTURE(item.source_path);
        const std::string file = ReadFileBytes(h.tree / folder / item.source_path);
        REQUIRE(!file.empty());
        CHECK(*vault->ReadRevisionBytes(item.head_revision_id, 1 << 26) == file);
        ++compared;
      }
    }
    CHECK(compared == 590);
    CHECK((*vault->Verify()).ok());
  }

  ProcessResult rescan = h.Holdfast({"capture"});
  CHECK(rescan.exit_code == kExitOk);
  size_t lines = 0;
  for (const auto& source : kSources) {
    CHECK_MESSAGE(rescan.out.find(std::string(source[1]) + ": ") != std::string::npos, rescan.out);
    ++lines;
  }
  CHECK(lines == 5);
  CHECK(rescan.out.find(" read,") != std::string::npos);
  size_t pos = 0;
  size_t zero_reads = 0;
  while ((pos = rescan.out.find("(0 read, ", pos)) != std::string::npos) {
    ++zero_reads;
    ++pos;
  }
  CHECK_MESSAGE(zero_reads == 5, rescan.out);
}

TEST_CASE("malformed files are reported with path and line by capture and status, and skipped") {
  Handset h(/*malformed=*/true);
  ProcessResult capture = h.Holdfast({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.err);
  CHECK(capture.out.find("skipped personal/malformed-truncated.vcf line 1: BEGIN:VCARD has no END:VCARD") !=
        std::string::npos);
  CHECK(capture.out.find("skipped personal/malformed-binary-junk.vcf") != std::string::npos);
  CHECK(capture.out.find("skipped home/malformed-empty.ics") != std::string::npos);
  ProcessResult status = h.Holdfast({"status"});
  CHECK(status.out.find("Skipped by the last capture") != std::string::npos);
  CHECK(status.out.find("contacts: personal/malformed-invalid-utf8.vcf line") != std::string::npos);
  // The valid whole-address-book export in the same folder was read item by item.
  nlohmann::json json = h.Status();
  CHECK(json["kinds"]["contact"]["items"].get<int>() > 200);
}

TEST_CASE("an emptied address book trips the guard; --accept-deletions records the deletions") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(h.tree / "contacts/work")) {
    fs::remove(entry.path());
    ++removed;
  }
  REQUIRE(removed > 5);
  ProcessResult guarded = h.Holdfast({"capture"});
  CHECK(guarded.exit_code == kExitAttention);
  CHECK(guarded.out.find("SOURCE LOSS SUSPECTED in 'work'") != std::string::npos);
  nlohmann::json status = h.Status();
  REQUIRE(status["source_loss_suspected"].size() == 1);
  CHECK(status["source_loss_suspected"][0]["items_missing"] == removed);
  CHECK(status["kinds"]["contact"]["deleted_items"] == 0);
  CHECK(h.Holdfast({"status"}).out.find("SOURCE LOSS SUSPECTED in 'work'") != std::string::npos);

  ProcessResult accepted = h.Holdfast({"capture", "--accept-deletions", "contacts"});
  CHECK_MESSAGE(accepted.exit_code == kExitOk, accepted.out);
  status = h.Status();
  CHECK(status["source_loss_suspected"].empty());
  CHECK(status["kinds"]["contact"]["deleted_items"] == removed);
  CHECK(status["kinds"]["contact"]["items"] == 200 - removed);
}

TEST_CASE("status counts items per collection, in text and JSON, deletions included") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  std::map<std::string, int64_t> on_device;  // collection folder -> files
  for (const char* book : {"personal", "work"}) {
    on_device[book] = static_cast<int64_t>(FilesIn(h.tree / "contacts" / book).size());
  }
  REQUIRE(on_device["personal"] > 1);
  fs::remove(FilesIn(h.tree / "contacts/personal").front());
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);

  nlohmann::json status = h.Status();
  int64_t total = 0;
  bool saw_personal = false, saw_work = false;
  for (const nlohmann::json& c : status["collections"]) {
    total += c["items"].get<int64_t>();
    if (c["kind"] != "contact") continue;
    CAPTURE(c.dump());
    if (c["name"] == "personal") {
      saw_personal = true;
      CHECK(c["items"] == on_device["personal"] - 1);
      CHECK(c["deleted_items"] == 1);
    } else if (c["name"] == "work") {
      saw_work = true;
      CHECK(c["items"] == on_device["work"]);
      CHECK(c["deleted_items"] == 0);
    }
  }
  CHECK((saw_personal && saw_work));
  CHECK(total == 589);  // 590 captured, one deleted
  const std::string text = h.Holdfast({"status"}).out;
  CHECK_MESSAGE(text.find("personal\t(from contacts)\t" + std::to_string(on_device["personal"] - 1) +
                          " items, 1 deleted") != std::string::npos,
                text);
}

TEST_CASE("edits, renames and single deletions on a generated handset; a 30% loss trips the guard") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  nlohmann::json before = h.Status();

  // An edit: a card gains a NOTE line before its END:VCARD.
  std::vector<fs::path> cards = FilesIn(h.tree / "contacts/personal");
  REQUIRE(cards.size() > 10);
  std::string card = ReadFileBytes(cards[0]);
  size_t end = card.rfind("END:VCARD");
  REQUIRE(end != std::string::npos);
  card.insert(end, "NOTE:edited on the device\r\n");
  testing::WriteFileBytes(cards[0], card);
  // A rename: an event file gets a new name in the same calendar.
  std::vector<fs::path> events = FilesIn(h.tree / "calendars/home");
  REQUIRE(events.size() > 10);
  fs::rename(events[0], h.tree / "calendars/home/renamed-by-the-user.ics");
  // A single deletion: one task.
  std::vector<fs::path> tasks = FilesIn(h.tree / "tasks");
  if (tasks.empty()) {
    for (const auto& entry : fs::directory_iterator(h.tree / "tasks")) {
      if (entry.is_directory()) tasks = FilesIn(entry.path());
    }
  }
  REQUIRE(!tasks.empty());
  fs::remove(tasks[0]);

  ProcessResult capture = h.Holdfast({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.out);
  CHECK_MESSAGE(capture.out.find("items: 0 new, 1 changed, 0 back, 0 moved, 0 deleted") != std::string::npos,
                capture.out);
  CHECK_MESSAGE(capture.out.find("items: 0 new, 0 changed, 0 back, 1 moved, 0 deleted") != std::string::npos,
                capture.out);
  CHECK_MESSAGE(capture.out.find("items: 0 new, 0 changed, 0 back, 0 moved, 1 deleted") != std::string::npos,
                capture.out);
  nlohmann::json after = h.Status();
  CHECK(after["kinds"]["contact"]["revisions"] == before["kinds"]["contact"]["revisions"].get<int>() + 1);
  CHECK(after["kinds"]["event"]["revisions"] == before["kinds"]["event"]["revisions"]);
  CHECK(after["kinds"]["event"]["items"] == 300);
  CHECK(after["kinds"]["task"]["deleted_items"] == 1);
  CHECK(after["kinds"]["task"]["items"] == 49);

  // 30% of the work calendar gone in one scan: no deletion, an alert.
  std::vector<fs::path> work = FilesIn(h.tree / "calendars/work");
  const size_t lose = work.size() * 3 / 10;
  REQUIRE(lose > 5);
  for (size_t i = 0; i < lose; ++i) fs::remove(work[i]);
  ProcessResult guarded = h.Holdfast({"capture"});
  CHECK(guarded.exit_code == kExitAttention);
  CHECK_MESSAGE(guarded.out.find("SOURCE LOSS SUSPECTED in 'work': " + std::to_string(lose) + " of " +
                                 std::to_string(work.size())) != std::string::npos,
                guarded.out);
  CHECK(h.Status()["kinds"]["event"]["deleted_items"] == 0);
  ProcessResult accepted = h.Holdfast({"capture", "--accept-deletions", "calendars"});
  CHECK_MESSAGE(accepted.exit_code == kExitOk, accepted.out);
  CHECK(h.Status()["kinds"]["event"]["deleted_items"] == lose);
}

TEST_CASE("a missing source folder is reported, exits 9, and records no deletion") {
  Handset h;
  REQUIRE(h.Holdfast({"capture"}).exit_code == kExitOk);
  fs::rename(h.tree / "calendars", h.dir / "unmounted");
  ProcessResult capture = h.Holdfast({"capture"});
  CHECK(capture.exit_code == kExitAttention);
  CHECK(capture.out.find("calendars: NOT CAPTURED") != std::string::npos);
  CHECK(capture.out.find("no deletion was recorded") != std::string::npos);
  nlohmann::json status = h.Status();
  CHECK(status["kinds"]["event"]["items"] == 300);
  CHECK(status["kinds"]["event"]["deleted_items"] == 0);
}

TEST_CASE("capture without a vault or without sources says what to do") {
  Handset h;
  ProcessResult no_vault = RunProcess({testing::HoldfastBinary(), "--vault", (h.dir / "none.db").string(),
                                       "--config", h.config, "capture"});
  CHECK(no_vault.exit_code == kExitNotFound);
  CHECK(no_vault.err.find("holdfast init") != std::string::npos);
  ProcessResult no_sources = RunProcess({testing::HoldfastBinary(), "--vault", h.vault, "--config",
                                         (h.dir / "empty.json").string(), "capture"});
  CHECK(no_sources.exit_code == kExitNotFound);
  CHECK(no_sources.err.find("holdfast source add") != std::string::npos);
}

}  // namespace
}  // namespace holdfast
