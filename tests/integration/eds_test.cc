// Issue 16: the EDS source kind as a user meets it, with the real `holdfast`
// and holdfast-eds-tool (EDS's own libraries, the independent reference) in
// a private EDS session (tests/support/eds_session.h): a phone reset and its
// restore, a reset that also loses EDS's configuration, --overwrite, changes
// made through EDS, hostile photo links, and no session bus at all.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform/base64.h"
#include "tests/support/eds_session.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitAttention = 9;  // agent/exit_codes.h: a loss suspected, a source not captured

bool Contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// `holdfast --vault V --config C ...` run inside the EDS session.
class Holdfast {
 public:
  Holdfast(const EdsSession& eds, const fs::path& dir) : eds_(eds), dir_(dir) {}
  ProcessResult Run(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {HoldfastBinary(), "--vault", (dir_ / "vault.db").string(), "--config",
                                     (dir_ / "config.json").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return eds_.Run(argv);
  }
  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {HoldfastBinary(), "--vault", (dir_ / "vault.db").string(), "--config",
                                     (dir_ / "config.json").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  // Collection name -> {items, deleted_items}, from `status --json`.
  std::map<std::string, std::pair<int64_t, int64_t>> Counts() const {
    const ProcessResult status = Run({"status", "--json"});
    REQUIRE_MESSAGE(status.exit_code == kExitOk, status.err);
    const nlohmann::json doc = nlohmann::json::parse(status.out);
    std::map<std::string, std::pair<int64_t, int64_t>> counts;
    for (const auto& c : doc["collections"]) {
      counts[c["name"].get<std::string>()] = {c["items"].get<int64_t>(), c["deleted_items"].get<int64_t>()};
    }
    return counts;
  }
  // Every file `holdfast export --format vcf|ics` writes, concatenated and
  // unfolded (a folded line continues after CRLF + space).
  std::string Export(const std::string& format) const {
    const fs::path to = dir_ / ("export-" + format);
    const ProcessResult exported = Run({"export", "--format", format, "--to", to.string(), "--force"});
    REQUIRE_MESSAGE(exported.exit_code == kExitOk, (exported.out + exported.err));
    std::string all;
    for (const auto& entry : fs::recursive_directory_iterator(to)) {
      if (entry.is_regular_file()) all += ReadFileBytes(entry.path());
    }
    std::string unfolded;
    for (size_t i = 0; i < all.size(); ++i) {
      if (all.compare(i, 3, "\r\n ") == 0) {
        i += 2;
      } else if (all.compare(i, 2, "\n ") == 0) {
        i += 1;
      } else {
        unfolded += all[i];
      }
    }
    return unfolded;
  }

 private:
  const EdsSession& eds_;
  fs::path dir_;
};

std::string Dump(const EdsSession& eds, const std::vector<std::string>& extra = {"--all"}) {
  std::vector<std::string> args = {"dump"};
  args.insert(args.end(), extra.begin(), extra.end());
  const ProcessResult dump = eds.RunTool(args);
  REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
  return dump.out;
}

std::vector<fs::path> PhotoFiles(const fs::path& folder) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  return files;
}

// The value of NAME=... among env().
std::string EnvValue(const EdsSession& eds, const std::string& name) {
  for (const std::string& entry : eds.env()) {
    if (entry.compare(0, name.size() + 1, name + "=") == 0) return entry.substr(name.size() + 1);
  }
  FAIL("no " << name << " in the EDS session's environment");
  return "";
}

void Populate(const EdsSession& eds, const std::vector<std::string>& args) {
  std::vector<std::string> all = {"populate"};
  all.insert(all.end(), args.begin(), args.end());
  const ProcessResult populate = eds.RunTool(all);
  REQUIRE_MESSAGE(populate.exit_code == 0, populate.err);
}

void AddContacts(const EdsSession& eds, const fs::path& file, const std::string& vcards) {
  WriteFileBytes(file, vcards);
  const ProcessResult added = eds.RunTool({"add", "--kind", "contacts", file.string()});
  REQUIRE_MESSAGE(added.exit_code == 0, added.err);
}

TEST_CASE("EDS reset story: capture, reset, the guard holds, restore-device brings back every item and photo") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "300", "--photos", "30", "--events", "60", "--tasks", "10", "--memos", "10", "--seed",
                 "16"});
  const std::string dump_a = Dump(eds);
  CHECK(Contains(dump_a, " RECURRENCE-ID:"));
  CHECK(Contains(dump_a, "TZID="));
  const fs::path photos = eds.data_dir() / "addressbook/system/photos";
  REQUIRE(PhotoFiles(photos).size() == 30);

  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  const ProcessResult added = holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"});
  REQUIRE_MESSAGE(added.exit_code == kExitOk, (added.out + added.err));
  const ProcessResult first = holdfast.Run({"capture"});
  REQUIRE_MESSAGE(first.exit_code == kExitOk, (first.out + first.err));
  CHECK_MESSAGE(Contains(first.out, "items: 380 new, 0 changed"), first.out);
  CHECK_MESSAGE(Contains(first.out, "0 skipped"), first.out);
  // One vault item per UID: an overridden instance belongs to its series.
  const std::map<std::string, std::pair<int64_t, int64_t>> expected = {{"system-address-book", {300, 0}},
                                                                        {"system-calendar", {60, 0}},
                                                                        {"system-task-list", {10, 0}},
                                                                        {"system-memo-list", {10, 0}}};
  CHECK(holdfast.Counts() == expected);

  // The reset: EDS's data is gone; EDS starts again with its empty system collections.
  eds.Stop();
  fs::remove_all(eds.data_dir());
  eds.Restart();
  CHECK(eds.RunTool({"count"}).out ==
        "system-address-book contacts 0\nsystem-calendar events 0\nsystem-task-list tasks 0\nsystem-memo-list memos 0\n");

  const ProcessResult guarded = holdfast.Run({"capture"});
  CHECK_MESSAGE(guarded.exit_code == kExitAttention, (guarded.out + guarded.err));
  CHECK_MESSAGE(Contains(guarded.out, "SOURCE LOSS SUSPECTED"), guarded.out);
  CHECK_MESSAGE(Contains(guarded.out, "0 deleted"), guarded.out);
  CHECK(holdfast.Counts() == expected);

  const ProcessResult restored = holdfast.Run({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK_MESSAGE(Contains(restored.out, "phone: wrote 380 missing items and replaced 0"), restored.out);
  CHECK_MESSAGE(Contains(restored.out, "0 already there"), restored.out);
  CHECK_MESSAGE(Contains(restored.out, "source loss alert cleared"), restored.out);

  // What EDS's own library reads back is what it held before the reset.
  const std::string dump_b = Dump(eds);
  CHECK(dump_b == dump_a);
  // EDS moved the restored (inlined) photos into files of its own again.
  CHECK(PhotoFiles(photos).size() == 30);

  const ProcessResult after = holdfast.Run({"capture"});
  CHECK_MESSAGE(after.exit_code == kExitOk, (after.out + after.err));
  CHECK_MESSAGE(Contains(after.out, "items: 0 new, 0 changed, 0 back, 0 moved, 0 deleted; 0 skipped"), after.out);
  CHECK(holdfast.Counts() == expected);

  const ProcessResult again = holdfast.Run({"restore-device"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  CHECK_MESSAGE(Contains(again.out, "phone: wrote 0 missing items and replaced 0 (0 items, 0 bytes); 380 already there\n"),
                again.out);
  CHECK(Dump(eds) == dump_a);
}

TEST_CASE("EDS reset that also loses EDS's configuration: restore-device re-creates a second address book") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  const ProcessResult created = eds.RunTool({"create-book", "--uid", "holdfast-test-book", "--name", "Work people"});
  REQUIRE_MESSAGE(created.exit_code == 0, created.err);
  Populate(eds, {"--contacts", "40", "--photos", "4", "--events", "12", "--book", "holdfast-test-book", "--seed", "3"});
  const std::vector<std::string> book = {"--collection", "holdfast-test-book", "--kind", "contacts"};
  const std::vector<std::string> calendar = {"--collection", "system-calendar", "--kind", "events"};
  const std::string book_a = Dump(eds, book);
  const std::string calendar_a = Dump(eds, calendar);
  REQUIRE(Contains(book_a, "=== holdfast-test-book contacts 40\n"));

  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast
              .Run({"source", "add", "--kind", "eds", "--name", "phone", "--book", "holdfast-test-book", "--calendar",
                    "system-calendar"})
              .exit_code == kExitOk);
  const ProcessResult captured = holdfast.Run({"capture"});
  REQUIRE_MESSAGE(captured.exit_code == kExitOk, (captured.out + captured.err));
  CHECK_MESSAGE(Contains(captured.out, "items: 52 new"), captured.out);
  const auto counts = holdfast.Counts();
  CHECK(counts.size() == 2);
  CHECK(counts.at("holdfast-test-book").first == 40);
  CHECK(counts.at("system-calendar").first == 12);

  eds.Stop();
  fs::remove_all(eds.data_dir());
  fs::remove_all(fs::path(EnvValue(eds, "XDG_CONFIG_HOME")) / "evolution");
  eds.Restart();
  const ProcessResult gone = eds.RunTool({"count", "--collection", "holdfast-test-book", "--kind", "contacts"});
  REQUIRE_MESSAGE(gone.exit_code != 0, ("the address book survived the reset: " + gone.out));

  const ProcessResult restored = holdfast.Run({"restore-device"});
  CHECK_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK_MESSAGE(Contains(restored.out, "phone: wrote 52 missing items"), restored.out);
  CHECK(Dump(eds, book) == book_a);
  CHECK(Dump(eds, calendar) == calendar_a);
  CHECK(PhotoFiles(eds.data_dir() / "addressbook/holdfast-test-book/photos").size() == 4);
}

TEST_CASE("EDS restore-device keeps items changed on the phone unless --overwrite") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "30", "--photos", "3", "--events", "20", "--tasks", "3", "--memos", "3", "--seed", "5"});
  const std::string dump_a = Dump(eds);
  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"capture"}).exit_code == kExitOk);

  // Event 2 neither recurs nor is all-day (tools/eds/eds_gen.h).
  for (const std::vector<std::string>& change :
       {std::vector<std::string>{"modify", "--kind", "contacts", "--uid", "eds-contact-000007", "--text",
                                 "changed on the phone"},
        std::vector<std::string>{"modify", "--kind", "events", "--uid", "eds-event-000002", "--text",
                                 "moved by the phone"}}) {
    const ProcessResult modified = eds.RunTool(change);
    REQUIRE_MESSAGE(modified.exit_code == 0, modified.err);
  }
  const std::string changed = Dump(eds);
  REQUIRE(changed != dump_a);
  CHECK(Contains(changed, "NOTE:changed on the phone"));
  CHECK(Contains(changed, "SUMMARY:moved by the phone"));

  const ProcessResult kept = holdfast.Run({"restore-device"});
  CHECK_MESSAGE(kept.exit_code == kExitOk, (kept.out + kept.err));
  CHECK_MESSAGE(Contains(kept.out, "phone: wrote 0 missing items and replaced 0 (0 items, 0 bytes); 54 already there; "
                                   "2 differ from the vault and were kept (--overwrite replaces them)"),
                kept.out);
  CHECK(Dump(eds) == changed);

  const ProcessResult overwritten = holdfast.Run({"restore-device", "--overwrite"});
  CHECK_MESSAGE(overwritten.exit_code == kExitOk, (overwritten.out + overwritten.err));
  CHECK_MESSAGE(Contains(overwritten.out, "phone: wrote 0 missing items and replaced 2 (2 items, "), overwritten.out);
  CHECK_MESSAGE(Contains(overwritten.out, "; 54 already there\n"), overwritten.out);
  CHECK(Dump(eds) == dump_a);
}

TEST_CASE("EDS additions and deletions are captured, and export writes the EDS items with their photos") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "20", "--photos", "2", "--events", "10", "--seed", "9"});
  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"capture"}).exit_code == kExitOk);

  std::string cards;
  for (int i = 1; i <= 3; ++i) {
    cards += "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:added-" + std::to_string(i) + "\r\nFN:Added Person " +
             std::to_string(i) + "\r\nN:Person;Added;;;\r\nEND:VCARD\r\n";
  }
  AddContacts(eds, dir / "added.vcf", cards);
  const ProcessResult removed = eds.RunTool({"remove", "--kind", "contacts", "eds-contact-000004", "eds-contact-000005"});
  REQUIRE_MESSAGE(removed.exit_code == 0, removed.err);

  const ProcessResult captured = holdfast.Run({"capture"});
  CHECK_MESSAGE(captured.exit_code == kExitOk, (captured.out + captured.err));
  // EDS's address-book revision is "<UTC second>(<counter>)" and the counter
  // restarts at 0 whenever the backend is opened again, so the states after
  // the capture, the add and the remove can share one revision within a
  // second. This failed in 8 of 12 runs while capture trusted any revision as
  // recorded; it trusts one only once its second is over (EdsRevisionSettled).
  CHECK_MESSAGE(Contains(captured.out, "items: 3 new, 0 changed, 0 back, 0 moved, 2 deleted; 0 skipped"),
                ("changes through EDS not captured (the EDS revision repeated within one second?): " + captured.out));
  const auto counts = holdfast.Counts();
  CHECK(counts.at("system-address-book") == std::make_pair<int64_t, int64_t>(21, 2));

  const std::string vcf = holdfast.Export("vcf");
  CHECK(Contains(vcf, "UID:added-2\r\n"));
  CHECK(Contains(vcf, "UID:eds-contact-000001\r\n"));
  CHECK_FALSE(Contains(vcf, "UID:eds-contact-000004\r\n"));
  // The photos EDS keeps as files are in the exported vCards, as data.
  const auto photos = PhotoFiles(eds.data_dir() / "addressbook/system/photos");
  REQUIRE(photos.size() == 2);
  for (const fs::path& photo : photos) {
    CHECK_MESSAGE(Contains(vcf, platform::Base64Encode(ReadFileBytes(photo))), photo);
  }
  CHECK_FALSE(Contains(vcf, "file://"));
  const std::string ics = holdfast.Export("ics");
  CHECK(Contains(ics, "UID:eds-event-000010\r\n"));
  CHECK(Contains(ics, "RECURRENCE-ID"));
}

TEST_CASE("EDS photo links outside EDS's data, through a link, or too large stay links and are reported") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "5", "--photos", "1", "--seed", "2"});  // makes the photos folder
  const fs::path photos = eds.data_dir() / "addressbook/system/photos";
  REQUIRE(fs::is_directory(photos));

  const std::string secret = "SECRET-holdfast-eds-0123456789-do-not-copy";
  const fs::path secret_file = dir / "secret.jpg";
  WriteFileBytes(secret_file, secret);
  fs::create_symlink(secret_file, photos / "link.jpg");
  std::string big(17u << 20, '\xAB');
  big.replace(0, 4, "\xFF\xD8\xFF\xE0");
  WriteFileBytes(photos / "big.jpg", big);
  const std::string uri_outside = "file://" + secret_file.string();
  const std::string uri_link = "file://" + (photos / "link.jpg").string();
  const std::string uri_big = "file://" + (photos / "big.jpg").string();
  auto card = [](const std::string& uid, const std::string& uri) {
    return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + uid + "\r\nPHOTO;VALUE=uri:" + uri +
           "\r\nEND:VCARD\r\n";
  };
  AddContacts(eds, dir / "hostile.vcf",
              card("hostile-outside", uri_outside) + card("hostile-link", uri_link) + card("hostile-big", uri_big));

  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"}).exit_code == kExitOk);
  const ProcessResult captured = holdfast.Run({"capture"});
  CHECK_MESSAGE(captured.exit_code == kExitOk, (captured.out + captured.err));
  CHECK_MESSAGE(Contains(captured.out, "items: 8 new, 0 changed, 0 back, 0 moved, 0 deleted; 3 skipped"), captured.out);
  // One problem line per link, naming the contact and why.
  CHECK_MESSAGE(Contains(captured.out, "contact 'hostile-outside': PHOTO " + uri_outside +
                                           ": outside EDS's data folder " + eds.data_dir().string() + "; kept as a link"),
                captured.out);
  CHECK_MESSAGE(Contains(captured.out, "Too many levels of symbolic links; kept as a link"), captured.out);
  CHECK_MESSAGE(Contains(captured.out, "contact 'hostile-link': PHOTO file://" + photos.string()), captured.out);
  CHECK_MESSAGE(Contains(captured.out, "contact 'hostile-big': PHOTO file://" + photos.string()), captured.out);
  CHECK_MESSAGE(Contains(captured.out, "larger than 16 MiB; kept as a link"), captured.out);

  const std::string vcf = holdfast.Export("vcf");
  CHECK_FALSE(Contains(vcf, secret));
  CHECK_FALSE(Contains(vcf, platform::Base64Encode(secret)));
  CHECK_FALSE(Contains(vcf, platform::Base64Encode(big.substr(0, 3000))));
  CHECK(Contains(vcf, "PHOTO;VALUE=uri:" + uri_outside + "\r\n"));
  // EDS hard-links a photo file named inside its photos folder to a name of
  // its own (for link.jpg: the symbolic link itself), so the vault keeps
  // EDS's URI, not ours.
  for (const char* uid : {"hostile-link", "hostile-big"}) {
    const size_t at = vcf.find(std::string("UID:") + uid + "\r\n");
    REQUIRE_MESSAGE(at != std::string::npos, uid);
    const size_t begin = vcf.rfind("BEGIN:VCARD", at);
    const std::string card = vcf.substr(begin, vcf.find("END:VCARD", at) - begin);
    CHECK_MESSAGE(Contains(card, "PHOTO;VALUE=uri:file://" + photos.string() + "/"), card);
    CHECK_MESSAGE(!Contains(card, "ENCODING=b"), card);
  }
  // The vault itself never took the secret's bytes.
  CHECK_FALSE(Contains(ReadFileBytes(dir / "vault.db"), secret));
}

TEST_CASE("EDS capture without a session bus fails naming the bus and records no deletion") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "12", "--events", "6", "--seed", "4"});
  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"capture"}).exit_code == kExitOk);
  const auto before = holdfast.Counts();

  std::vector<std::string> env;
  for (const std::string& entry : eds.env()) {
    if (entry.rfind("DBUS_SESSION_BUS_ADDRESS=", 0) != 0) env.push_back(entry);
  }
  env.push_back("DBUS_SESSION_BUS_ADDRESS=unix:path=" + (dir / "no-such-bus-socket").string());
  const ProcessResult captured = RunProcess(holdfast.Argv({"capture"}), env);
  CHECK(captured.exit_code != kExitOk);
  CHECK_MESSAGE(Contains(captured.out + captured.err, "session bus"), (captured.out + captured.err));
  CHECK_MESSAGE(Contains(captured.out + captured.err, "no deletion was recorded"), (captured.out + captured.err));
  CHECK(holdfast.Counts() == before);
  CHECK(before.at("system-address-book").second == 0);
}

// EDS support is a module holdfast loads when an eds source is used
// (platform/eds/eds_module.cc): one that cannot be loaded is named, and the
// source is not captured, as with no EDS at all.
TEST_CASE("EDS capture with its module missing names the module and records no deletion") {
  TempDir dir;
  EdsSession eds(dir.path());
  Holdfast holdfast(eds, dir.path());
  Populate(eds, {"--contacts", "5", "--seed", "6"});
  REQUIRE(holdfast.Run({"init"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"source", "add", "--kind", "eds", "--name", "phone"}).exit_code == kExitOk);
  REQUIRE(holdfast.Run({"capture"}).exit_code == kExitOk);
  const auto before = holdfast.Counts();
  REQUIRE(before.at("system-address-book").first == 5);

  const std::string missing = (dir / "no-such-holdfast-eds.so").string();
  std::vector<std::string> env;
  for (const std::string& entry : eds.env()) {
    if (entry.rfind("HOLDFAST_EDS_MODULE=", 0) != 0) env.push_back(entry);
  }
  env.push_back("HOLDFAST_EDS_MODULE=" + missing);
  const ProcessResult captured = RunProcess(holdfast.Argv({"capture"}), env);
  const std::string said = captured.out + captured.err;
  CHECK(captured.exit_code != kExitOk);
  CHECK_MESSAGE(Contains(said, "cannot load holdfast's Evolution Data Server module"), said);
  CHECK_MESSAGE(Contains(said, missing), said);
  CHECK_MESSAGE(Contains(said, "no deletion was recorded"), said);
  CHECK(holdfast.Counts() == before);
}

}  // namespace
}  // namespace holdfast::testing
