// export and import as a user runs them, on generated handsets: every format
// round-trips, --as-of gives earlier contents back, and import refuses every
// kind of damaged archive without touching the vault.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "agent/exit_codes.h"
#include "platform/clock.h"
#include "platform/sha256.h"
#include "tests/support/handset.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitBadInput;
using agent::kExitIo;
using agent::kExitNotFound;
using agent::kExitOk;
using agent::kExitUsage;
using testing::TreeBytes;
using testing::Handset;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::RunProcess;
using testing::TempDir;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) ++n;
  return n;
}

// No temp or staging names left in a folder.
bool NoLeftovers(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().filename().string().rfind(".holdfast-", 0) == 0) return false;
  }
  return true;
}

struct Captured : Handset {
  Captured() {
    ProcessResult capture = Holdfast({"capture"});
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
  }
};

TEST_CASE("a vdir export right after a capture gives back every captured file byte for byte") {
  Captured h;
  ProcessResult exported = h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "out").string()});
  REQUIRE_MESSAGE(exported.exit_code == kExitOk, exported.err);
  for (const auto& source : testing::kHandsetSources) {
    CAPTURE(source[1]);
    const auto original = TreeBytes(h.tree / source[1]);
    const auto copy = TreeBytes(h.dir / "out" / source[1]);
    REQUIRE(!original.empty());
    CHECK(original.size() == copy.size());
    CHECK(original == copy);
  }
  CHECK(NoLeftovers(h.dir.path()));
}

TEST_CASE("vcf and ics exports hold every item once, each time zone once per calendar") {
  Captured h;
  nlohmann::json status = h.Status();
  REQUIRE(h.Holdfast({"export", "--format", "vcf", "--to", (h.dir / "vcf").string()}).exit_code == kExitOk);
  size_t cards = 0;
  for (const auto& [name, bytes] : TreeBytes(h.dir / "vcf")) {
    CHECK(name.size() > 4);
    CHECK(name.substr(name.size() - 4) == ".vcf");
    cards += Count(bytes, "BEGIN:VCARD") - Count(bytes, "BEGIN:VCARD\r\nVERSION:2.1\r\nAGENT");
  }
  CHECK(cards >= status["kinds"]["contact"]["items"].get<size_t>());
  // Every card of the address books appears verbatim in the export.
  const std::string personal = ReadFileBytes(h.dir / "vcf/personal.vcf");
  for (const fs::path& file : testing::FilesIn(h.tree / "contacts/personal")) {
    CHECK_MESSAGE(personal.find(ReadFileBytes(file)) != std::string::npos, file.string());
  }

  REQUIRE(h.Holdfast({"export", "--format", "ics", "--to", (h.dir / "ics").string()}).exit_code == kExitOk);
  size_t components = 0;
  for (const auto& [name, bytes] : TreeBytes(h.dir / "ics")) {
    CAPTURE(name);
    CHECK(bytes.rfind("BEGIN:VCALENDAR\r\n", 0) == 0);
    CHECK(Count(bytes, "BEGIN:VCALENDAR") == 1);
    CHECK(Count(bytes, "END:VCALENDAR") == 1);
    // Each TZID is defined once.
    std::map<std::string, int> zones;
    for (size_t pos = bytes.find("BEGIN:VTIMEZONE"); pos != std::string::npos;
         pos = bytes.find("BEGIN:VTIMEZONE", pos + 1)) {
      size_t tzid = bytes.find("TZID:", pos);
      REQUIRE(tzid != std::string::npos);
      ++zones[bytes.substr(tzid, bytes.find_first_of("\r\n", tzid) - tzid)];
    }
    for (const auto& [zone, n] : zones) CHECK_MESSAGE(n == 1, zone);
    components += Count(bytes, "BEGIN:VTODO") + Count(bytes, "BEGIN:VJOURNAL");
    components += Count(bytes, "BEGIN:VEVENT") - Count(bytes, "RECURRENCE-ID");
  }
  const int calendar_items = status["kinds"]["event"]["items"].get<int>() + status["kinds"]["task"]["items"].get<int>() +
                             status["kinds"]["note"]["items"].get<int>();
  CHECK(components == static_cast<size_t>(calendar_items));
}

TEST_CASE("a json export has one line per item whose content hashes to its sha256") {
  Captured h;
  const fs::path out = h.dir / "items.jsonl";
  REQUIRE(h.Holdfast({"export", "--format", "json", "--to", out.string()}).exit_code == kExitOk);
  const std::string text = ReadFileBytes(out);
  size_t lines = 0, photos = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    REQUIRE(eol != std::string::npos);
    nlohmann::json line = nlohmann::json::parse(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++lines;
    std::string content;
    if (line.contains("content")) {
      content = line["content"].get<std::string>();
    } else {
      // Decode base64 with the coreutils tool, as a reader without Holdfast would.
      TempDir scratch;
      testing::WriteFileBytes(scratch / "b64", line["content_base64"].get<std::string>());
      ProcessResult decoded = RunProcess({"/usr/bin/base64", "-d", (scratch / "b64").string()});
      REQUIRE(decoded.exit_code == 0);
      content = decoded.out;
      if (line["kind"] == "photo") ++photos;
    }
    CHECK(platform::ToHex(platform::Sha256Of(content)) == line["sha256"].get<std::string>());
    CHECK(content.size() == line["size"].get<size_t>());
  }
  CHECK(lines == 590);
  CHECK(photos == 20);
}

TEST_CASE("an archive is checkable with plain tar and sha256sum, and imports into a new vault unchanged") {
  Captured h;
  for (bool zstd : {false, true}) {
    CAPTURE(zstd);
    const fs::path archive = h.dir / (zstd ? "all.tar.zst" : "all.tar");
    std::vector<std::string> args = {"export", "--format", "archive", "--to", archive.string()};
    if (zstd) args.push_back("--zstd");
    REQUIRE(h.Holdfast(args).exit_code == kExitOk);

    TempDir extract;
    ProcessResult untar = RunProcess({"/bin/tar", zstd ? "--zstd" : "--no-auto-compress", "-xf", archive.string(),
                                      "-C", extract.path().string()});
    REQUIRE_MESSAGE(untar.exit_code == 0, untar.err);
    CHECK(untar.err.empty());
    ProcessResult sums = RunProcess({"/bin/sh", "-c", "cd '" + (extract.path() / "holdfast-export").string() +
                                                          "' && sha256sum --quiet -c SHA256SUMS"});
    CHECK_MESSAGE(sums.exit_code == 0, (sums.out + sums.err));
    CHECK(TreeBytes(extract.path() / "holdfast-export/items/contacts") == TreeBytes(h.tree / "contacts"));

    const fs::path fresh = h.dir / (zstd ? "fresh-zstd.db" : "fresh.db");
    ProcessResult imported = RunProcess({testing::HoldfastBinary(), "--vault", fresh.string(), "import", archive.string()});
    REQUIRE_MESSAGE(imported.exit_code == kExitOk, imported.err);
    CHECK(imported.out.find("590 new") != std::string::npos);
    const fs::path out = h.dir / (zstd ? "reexport-zstd" : "reexport");
    REQUIRE(RunProcess({testing::HoldfastBinary(), "--vault", fresh.string(), "export", "--format", "vdir", "--to",
                        out.string()})
                .exit_code == kExitOk);
    for (const auto& source : testing::kHandsetSources) {
      CHECK(TreeBytes(out / source[1]) == TreeBytes(h.tree / source[1]));
    }
    ProcessResult verify = RunProcess({testing::HoldfastBinary(), "--vault", fresh.string(), "verify"});
    CHECK(verify.exit_code == kExitOk);
  }
}

TEST_CASE("importing the same archive twice changes nothing") {
  Captured h;
  const fs::path archive = h.dir / "all.tar";
  REQUIRE(h.Holdfast({"export", "--format", "archive", "--to", archive.string()}).exit_code == kExitOk);
  // Into the vault it came from: everything is already there.
  ProcessResult again = h.Holdfast({"import", archive.string()});
  REQUIRE_MESSAGE(again.exit_code == kExitOk, again.err);
  CHECK(again.out.find("0 new, 0 updated, 590 already there") != std::string::npos);
  nlohmann::json before = h.Status();
  ProcessResult third = h.Holdfast({"import", archive.string()});
  CHECK(third.out.find("0 new, 0 updated, 590 already there") != std::string::npos);
  nlohmann::json after = h.Status();
  CHECK(before["kinds"] == after["kinds"]);
}

// Writes a copy of `archive` with `edit` applied to its bytes.
fs::path Damaged(const fs::path& archive, const fs::path& out, const std::function<void(std::string&)>& edit) {
  std::string bytes = ReadFileBytes(archive);
  edit(bytes);
  testing::WriteFileBytes(out, bytes);
  return out;
}

TEST_CASE("import refuses truncated, tampered, incomplete and foreign archives and imports nothing") {
  Captured h;
  const fs::path archive = h.dir / "all.tar";
  REQUIRE(h.Holdfast({"export", "--format", "archive", "--to", archive.string()}).exit_code == kExitOk);
  const std::string original = ReadFileBytes(archive);

  std::vector<std::pair<std::string, fs::path>> bad;
  bad.emplace_back("truncated", Damaged(archive, h.dir / "truncated.tar",
                                        [](std::string& b) { b.resize(b.size() / 2); }));
  bad.emplace_back("one byte of a card changed", Damaged(archive, h.dir / "tampered.tar", [](std::string& b) {
                     size_t fn = b.find("\nFN");
                     REQUIRE(fn != std::string::npos);
                     b[fn + 5] = b[fn + 5] == 'x' ? 'y' : 'x';
                   }));
  // Without its manifest (GNU tar deletes a member in place).
  fs::path no_manifest = Damaged(archive, h.dir / "no-manifest.tar", [](std::string&) {});
  REQUIRE(RunProcess({"/bin/tar", "--delete", "-f", no_manifest.string(), "holdfast-export/MANIFEST.jsonl"}).exit_code == 0);
  bad.emplace_back("no manifest", no_manifest);
  // A member missing that the manifest lists.
  fs::path missing = Damaged(archive, h.dir / "missing.tar", [](std::string&) {});
  std::string member = "holdfast-export/items/photos/";
  ProcessResult list = RunProcess({"/bin/tar", "-tf", archive.string()});
  size_t at = list.out.find(member);
  REQUIRE(at != std::string::npos);
  member = list.out.substr(at, list.out.find('\n', at) - at);
  REQUIRE(RunProcess({"/bin/tar", "--delete", "-f", missing.string(), member}).exit_code == 0);
  bad.emplace_back("a member missing", missing);
  // A member the manifest does not list.
  fs::path extra = Damaged(archive, h.dir / "extra.tar", [](std::string&) {});
  fs::create_directories(h.dir / "x/holdfast-export/items/contacts");
  testing::WriteFileBytes(h.dir / "x/holdfast-export/items/contacts/planted.vcf", "BEGIN:VCARD\r\nEND:VCARD\r\n");
  REQUIRE(RunProcess({"/bin/tar", "-rf", extra.string(), "-C", (h.dir / "x").string(),
                      "holdfast-export/items/contacts/planted.vcf"})
              .exit_code == 0);
  bad.emplace_back("an unlisted member", extra);
  // Somebody else's tar, and something that is not a tar at all.
  REQUIRE(RunProcess({"/bin/tar", "-cf", (h.dir / "foreign.tar").string(), "-C", h.tree.string(), "contacts"}).exit_code == 0);
  bad.emplace_back("a foreign tar", h.dir / "foreign.tar");
  testing::WriteFileBytes(h.dir / "notes.txt", "shopping list\n");
  bad.emplace_back("not an archive", h.dir / "notes.txt");

  nlohmann::json before = h.Status();
  for (const auto& [what, file] : bad) {
    CAPTURE(what);
    // Into a new vault: refused before the vault is even created.
    const fs::path fresh = h.dir / "fresh.db";
    ProcessResult refused = RunProcess({testing::HoldfastBinary(), "--vault", fresh.string(), "import", file.string()});
    CHECK(refused.exit_code == kExitBadInput);
    CHECK(refused.err.find("nothing was imported") != std::string::npos);
    CHECK(refused.err.find(file.string()) != std::string::npos);
    CHECK_FALSE(fs::exists(fresh));
    // Into the existing vault: nothing changes.
    CHECK(h.Holdfast({"import", file.string()}).exit_code == kExitBadInput);
  }
  CHECK(h.Status()["kinds"] == before["kinds"]);
  CHECK(ReadFileBytes(archive) == original);
}

TEST_CASE("--as-of exports an earlier revision and an item deleted since") {
  Captured h;
  const int64_t after_first = platform::NowMs();
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::vector<fs::path> cards = testing::FilesIn(h.tree / "contacts/personal");
  const std::string old_card = ReadFileBytes(cards[0]);
  std::string new_card = old_card;
  new_card.insert(new_card.rfind("END:VCARD"), "NOTE:changed later\r\n");
  testing::WriteFileBytes(cards[0], new_card);
  std::vector<fs::path> events = testing::FilesIn(h.tree / "calendars/home");
  const std::string deleted_event = ReadFileBytes(events[0]);
  fs::remove(events[0]);
  ProcessResult second = h.Holdfast({"capture"});
  REQUIRE_MESSAGE(second.exit_code == kExitOk, second.out);
  REQUIRE(h.Status()["kinds"]["event"]["deleted_items"] == 1);

  const std::string then = platform::FormatUtc(after_first);
  REQUIRE(h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "then").string(), "--as-of", then}).exit_code ==
          kExitOk);
  REQUIRE(h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "now").string()}).exit_code == kExitOk);
  const fs::path card_rel = fs::relative(cards[0], h.tree);
  const fs::path event_rel = fs::relative(events[0], h.tree);
  CHECK(ReadFileBytes(h.dir / "then" / card_rel) == old_card);
  CHECK(ReadFileBytes(h.dir / "now" / card_rel) == new_card);
  CHECK(ReadFileBytes(h.dir / "then" / event_rel) == deleted_event);
  CHECK_FALSE(fs::exists(h.dir / "now" / event_rel));
  // Before the first capture there was nothing.
  ProcessResult before_all = h.Holdfast({"export", "--format", "json", "--to", (h.dir / "none.jsonl").string(),
                                         "--as-of", "2001-01-01"});
  CHECK(before_all.exit_code == kExitOk);
  CHECK(ReadFileBytes(h.dir / "none.jsonl").empty());
  CHECK(
      h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "bad").string(), "--as-of", "yesterday"}).exit_code ==
      kExitUsage);
}

TEST_CASE("an existing target is refused without --force and replaced with it; filters narrow the export") {
  Captured h;
  const fs::path out = h.dir / "out";
  REQUIRE(h.Holdfast({"export", "--format", "vdir", "--to", out.string(), "--kind", "contact"}).exit_code == kExitOk);
  CHECK(fs::exists(out / "contacts"));
  CHECK_FALSE(fs::exists(out / "photos"));
  ProcessResult refused = h.Holdfast({"export", "--format", "vdir", "--to", out.string(), "--collection", "journal"});
  CHECK(refused.exit_code == kExitUsage);
  CHECK(refused.err.find("--force") != std::string::npos);
  CHECK(fs::exists(out / "contacts"));
  REQUIRE(h.Holdfast({"export", "--format", "vdir", "--to", out.string(), "--collection", "journal", "--force"})
              .exit_code == kExitOk);
  CHECK_FALSE(fs::exists(out / "contacts"));
  CHECK(fs::exists(out / "notes/journal"));
  CHECK(h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "o2").string(), "--collection", "nope"}).exit_code ==
        kExitUsage);
  CHECK(h.Holdfast({"export", "--format", "vdir", "--to", (h.dir / "missing/parent/o3").string()}).exit_code ==
        kExitNotFound);
  CHECK(NoLeftovers(h.dir.path()));
}

TEST_CASE("an export that fills the disk fails with no-space and leaves nothing behind") {
  Captured h;
  const fs::path small = h.dir.path() / "small-disk";
  fs::create_directories(small);
  if (mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1m") != 0) {
    FAIL_CHECK("cannot mount a 1 MiB tmpfs (this test needs root, as CI has): " << std::strerror(errno));
    return;
  }
  ProcessResult full = h.Holdfast({"export", "--format", "archive", "--to", (small / "all.tar").string()});
  ProcessResult full_dir = h.Holdfast({"export", "--format", "vdir", "--to", (small / "tree").string()});
  std::vector<std::string> left;
  for (const auto& entry : fs::directory_iterator(small)) left.push_back(entry.path().filename().string());
  umount(small.c_str());
  CHECK(full.exit_code == kExitIo);
  CHECK(full.err.find("no-space") != std::string::npos);
  CHECK(full_dir.exit_code == kExitIo);
  CHECK_MESSAGE(left.empty(), left.size() << " entries left, first: " << (left.empty() ? "" : left[0]));
}

}  // namespace
}  // namespace holdfast
