// File names are bytes: a device tree whose names are every shape a Linux
// file system can hold (Latin-1, invalid UTF-8, 1 and 255 bytes, names that
// differ only in case or only in what the safe-name mapping does to them,
// spaces, newlines, control bytes, a leading '-') goes through the real
// binaries: capture, push to a real server, wipe, check, recover, export in
// every format, import, device reset, restore-device and capture again.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/exit_codes.h"
#include "platform/pim/content_line.h"
#include "platform/wire_text.h"
#include "storage/sqlite_handle.h"
#include "tests/support/child_process.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using testing::ItemShas;
using testing::ProcessResult;
using testing::RunProcess;

// Names of photos, each a file of its own in DCIM/ (and two in a Latin-1 folder).
const std::vector<std::string>& HostilePhotoNames() {
  static const std::vector<std::string> names = {
      "caf\xe9.jpg",                 // Latin-1, as old cameras write it
      "na\xefve.jpg",                // another Latin-1 name: both map to U+FFFD when replaced
      "\xff\xfe\xfd",                // no UTF-8 at all
      "\xc3\x28 broken.jpg",         // a lead byte without its continuation
      "\xed\xa0\x80 surrogate.jpg",  // an encoded surrogate
      "x",                           // one byte
      std::string(255, 'n'),         // NAME_MAX
      std::string(250, 'm'),         // the size that broke restore-device
      std::string(254, '\xe9'),      // 254 Latin-1 bytes
      "IMG.jpg",  "img.jpg", "Img.JPG",  // differ only in case
      "a b.jpg",  "a_b.jpg", "a?b.jpg",  // the same after the safe-name mapping
      "line\nbreak.jpg", "tab\there.jpg", "\x01\x02\x1b[31m.jpg", "\x7f",
      "-rf", "--help", " lead space", "trail space ",
      "~b64:AAAA",                   // looks like the protocol's marker for encoded uids
      "~b64:w6k",                    // the marker form of a valid UTF-8 name ("\xc3\xa9")
      "\xc3\xa9",                    // that name itself
      "%2F.jpg", "back\\slash", "emoji \xf0\x9f\x93\xb7.jpg",
  };
  return names;
}

// vCard 3.0 must be UTF-8; a card from an old phone (2.1) may hold other bytes.
std::string Card(const std::string& uid, const std::string& name) {
  const char* version = platform::IsValidUtf8(uid) ? "3.0" : "2.1";
  return "BEGIN:VCARD\r\nVERSION:" + std::string(version) + "\r\nUID:" + uid + "\r\nFN:" + name + "\r\nN:" + name + ";;;;\r\nEND:VCARD\r\n";
}

std::string Event(const std::string& uid, const std::string& summary) {
  return "BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240102T100000Z\r\nSUMMARY:" +
         summary + "\r\nEND:VEVENT\r\n";
}

std::string Calendar(const std::string& events) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + events + "END:VCALENDAR\r\n";
}

// UIDs of contacts kept in one multi-item file: restore-device gives each a
// file of its own, named from the uid.
const std::vector<std::string>& HostileContactUids() {
  static const std::vector<std::string> uids = {
      "a b", "a_b", "a/b", "a?b", "A B", "a b.vcf", "a_b-2", std::string(300, 'u'), std::string(300, 'u') + "x",
      "caf\xc3\xa9", "na\xefve", ".hidden", "-rf", "x.vcf-2",  // a 2.1 card: Latin-1 read as such
  };
  return uids;
}

// The protocol's wire form of a uid (docs/protocol.md), written here from the
// document, not taken from the agent: valid UTF-8 that does not start with
// "~b64:" as it is, anything else "~b64:" + unpadded base64url of the bytes.
std::string WireUidOf(const std::string& uid) {
  if (platform::IsValidUtf8(uid) && uid.rfind("~b64:", 0) != 0) return uid;
  static const char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out = "~b64:";
  for (size_t i = 0; i < uid.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(uid[i])) << 16;
    if (i + 1 < uid.size()) v |= static_cast<uint32_t>(static_cast<unsigned char>(uid[i + 1])) << 8;
    if (i + 2 < uid.size()) v |= static_cast<unsigned char>(uid[i + 2]);
    out += kUrl[(v >> 18) & 63];
    out += kUrl[(v >> 12) & 63];
    if (i + 1 < uid.size()) out += kUrl[(v >> 6) & 63];
    if (i + 2 < uid.size()) out += kUrl[v & 63];
  }
  return out;
}

ItemShas OnTheWire(const ItemShas& items) {
  ItemShas wire;
  for (const auto& [key, sha] : items) wire[{key.first, WireUidOf(key.second)}] = sha;
  return wire;
}

// A device with a vault, a config and (once Serve ran) a real server.
struct Device {
  testing::TempDir dir;
  fs::path root;
  std::string vault = (dir / "vault.db").string();
  std::string config = (dir / "config.json").string();
  std::string data = (dir / "server").string();
  std::unique_ptr<testing::ServerProcess> server;

  explicit Device(const std::string& root_name = "device") : root(dir / root_name) {
    fs::create_directories(root);
    REQUIRE(Holdfast({"init"}).exit_code == kExitOk);
  }
  ProcessResult Holdfast(std::vector<std::string> args, const std::string& vault_path = "") const {
    args.insert(args.begin(), {testing::HoldfastBinary(), "--vault", vault_path.empty() ? vault : vault_path,
                               "--config", config});
    return RunProcess(args);
  }
  void Write(const fs::path& relative, const std::string& bytes) const {
    fs::create_directories((root / relative).parent_path());
    testing::WriteFileBytes(root / relative, bytes);
  }
  void AddSource(const char* kind, const std::string& folder) const {
    ProcessResult added = Holdfast({"source", "add", "--kind", kind, (root / folder).string(), "--name", folder});
    REQUIRE_MESSAGE(added.exit_code == kExitOk, (added.out + added.err));
  }
  void Serve() {
    testing::WriteTokenFile(dir / "token", testing::AddAccount(data, "phone"));
    server = std::make_unique<testing::ServerProcess>(data);
    ProcessResult added = Holdfast({"remote", "add", "home", "--url", server->url(), "--account", "phone",
                                    "--token-file", (dir / "token").string()});
    REQUIRE_MESSAGE(added.exit_code == kExitOk, added.err);
  }
  void Capture(const char* when) const {
    ProcessResult capture = Holdfast({"capture"});
    INFO(when);
    REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
    CHECK_MESSAGE(capture.out.find("\n  skipped ") == std::string::npos, capture.out);
  }
  void Wipe() const {
    ProcessResult wiped = RunProcess({testing::ServerBinary(), "wipe", "--data", data, "--account", "phone"});
    REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  }
};

void WritePhotos(const Device& d) {
  int n = 0;
  for (const std::string& name : HostilePhotoNames()) d.Write(fs::path("photos/DCIM") / name, "photo " + std::to_string(n++));
  d.Write(fs::path("photos") / "\xe9t\xe9" / "caf\xe9.jpg", "summer photo");
  d.Write(fs::path("photos") / "\xe9t\xe9" / std::string(255, '\xe9'), "long summer photo");
}

void WriteContactsAndEvents(const Device& d) {
  std::string cards;
  int n = 0;
  for (const std::string& uid : HostileContactUids()) cards += Card(uid, "Person " + std::to_string(n++));
  d.Write("contacts/personal/multi.vcf", cards);
  d.Write(fs::path("contacts/personal") / "caf\xe9.vcf", Card("single-latin1", "Caf\xc3\xa9"));
  d.Write(fs::path("contacts/personal") / (std::string(251, 'c') + ".vcf"), Card("long-name", "Long"));
  d.Write("calendars/home/multi.ics", Calendar(Event("e 1", "one") + Event("e_1", "two") + Event("e/1", "three") +
                                               Event("E 1", "four") + Event(std::string(400, 'e'), "five")));
}

// The sum of "N deleted" over the sources of a capture's summary.
int CountDeleted(const std::string& capture_out) {
  int total = 0;
  for (size_t at = capture_out.find(" deleted;"); at != std::string::npos; at = capture_out.find(" deleted;", at + 1)) {
    size_t start = capture_out.rfind(' ', at - 1);
    total += std::stoi(capture_out.substr(start + 1, at - start - 1));
  }
  return total;
}

// Two photos with Latin-1 names, a server, and a first capture.
void CaptureTwoLatin1Photos(Device& d) {
  d.Write("photos/DCIM/caf\xe9.jpg", "first photo");
  d.Write("photos/DCIM/na\xefve.jpg", "second photo");
  d.AddSource("photos", "photos");
  d.Serve();
  d.Capture("first capture");
}

TEST_CASE("photos with Latin-1 names are each stored on the server, and a wipe of them is found and recovered") {
  Device d;
  CaptureTwoLatin1Photos(d);
  ProcessResult push = d.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  CHECK(testing::ServerItems(d.data).size() == 2);
  CHECK(testing::ServerItems(d.data) == OnTheWire(testing::VaultLiveItems(d.vault)));
  CHECK(testing::ServerInventory(d.data) == testing::VaultInventory(d.vault));
  ProcessResult healthy = d.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, healthy.out);

  d.Wipe();
  ProcessResult check = d.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitAttention, check.out);
  ProcessResult recover = d.Holdfast({"recover"});
  CHECK_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK_MESSAGE(recover.out.find("VERIFIED") != std::string::npos, recover.out);
  CHECK(recover.out.find("NOT VERIFIED") == std::string::npos);
  CHECK(testing::ServerItems(d.data) == OnTheWire(testing::VaultLiveItems(d.vault)));
  ProcessResult after = d.Holdfast({"check"});
  CHECK_MESSAGE(after.exit_code == kExitOk, after.out);
}

TEST_CASE("a card whose UID is too long for the protocol is pushed under a path-derived uid") {
  Device d;
  const std::string long_uid(platform::kMaxWireUidBytes + 1, 'u');
  const std::string longest_kept(platform::kMaxWireUidBytes, 'k');
  d.Write("contacts/personal/long.vcf", Card(long_uid, "Long UID"));
  d.Write("contacts/personal/longest.vcf", Card(longest_kept, "Longest kept UID"));
  d.AddSource("contacts", "contacts");
  d.Serve();
  d.Capture("first capture");
  ProcessResult push = d.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
  CHECK_MESSAGE(push.out.find("refused") == std::string::npos, push.out);
  const ItemShas vault_items = testing::VaultLiveItems(d.vault);
  REQUIRE(vault_items.size() == 2);
  for (const auto& [key, sha] : vault_items) CHECK(key.second != long_uid);
  CHECK(vault_items.count({testing::RemoteCollectionIdOf("contacts", "personal"), longest_kept}) == 1);
  CHECK(testing::ServerItems(d.data) == OnTheWire(vault_items));
  ProcessResult check = d.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, check.out);
}

TEST_CASE("a partial loss of a Latin-1 photo on the server is named lost, not healthy") {
  Device d;
  CaptureTwoLatin1Photos(d);
  REQUIRE(d.Holdfast({"push"}).exit_code == kExitOk);
  // The server loses one of the two photos, the epoch unchanged.
  {
    auto opened = storage::Db::Open("file:" + d.data + "/server.db", SQLITE_OPEN_READWRITE);
    REQUIRE(opened);
    sqlite3_busy_timeout((*opened)->get(), 5000);
    REQUIRE((*opened)->Exec("DELETE FROM items WHERE rowid = (SELECT MIN(rowid) FROM items)").ok());
  }
  ProcessResult check = d.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitAttention, check.out);
  CHECK(check.out.find("healthy") == std::string::npos);
  ProcessResult recover = d.Holdfast({"recover"});
  CHECK_MESSAGE(recover.out.find("NOT VERIFIED") == std::string::npos, recover.out);
  CHECK(testing::ServerItems(d.data).size() == 2);
}

TEST_CASE("export --format json keeps names that are not UTF-8, one-to-one") {
  Device d;
  WritePhotos(d);
  WriteContactsAndEvents(d);
  d.AddSource("photos", "photos");
  d.AddSource("contacts", "contacts");
  d.Capture("capture");
  ProcessResult exported = d.Holdfast({"export", "--format", "json", "--to", (d.dir / "out.jsonl").string()});
  REQUIRE_MESSAGE(exported.exit_code == kExitOk, (exported.out + exported.err));
  std::set<std::string> uids;
  std::set<std::string> paths;
  std::string text = testing::ReadFileBytes(d.dir / "out.jsonl");
  size_t lines = 0;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    nlohmann::json line = nlohmann::json::parse(text.substr(start, end - start));
    start = end + 1;
    ++lines;
    auto bytes_of = [&](const char* key) {
      if (line.contains(key)) return line[key].get<std::string>();
      REQUIRE(line.contains(std::string(key) + "_hex"));
      const std::string hex = line[std::string(key) + "_hex"].get<std::string>();
      std::string out;
      for (size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
      return out;
    };
    uids.insert(bytes_of("uid"));
    paths.insert(bytes_of("path"));
  }
  std::set<std::string> expected;
  for (const auto& [key, sha] : testing::VaultLiveItems(d.vault)) expected.insert(key.second);
  CHECK(lines == expected.size());
  CHECK(uids == expected);
  CHECK(paths.size() == lines);
  CHECK(paths.count("DCIM/caf\xe9.jpg") == 1);
}

TEST_CASE("status --json and verify --json do not abort on names that are not UTF-8") {
  Device d;
  WritePhotos(d);
  d.AddSource("photos", "photos");
  d.Capture("capture");
  ProcessResult status = d.Holdfast({"status", "--json"});
  CHECK_MESSAGE(status.exit_code == kExitOk, status.err);
  CHECK(!nlohmann::json::parse(status.out, nullptr, false).is_discarded());
  ProcessResult verify = d.Holdfast({"verify", "--json"});
  CHECK_MESSAGE(verify.exit_code == kExitOk, verify.err);
}

TEST_CASE("a source whose path is not UTF-8 is stored byte-exactly and captured") {
  Device d("h\xe9ndy \xff");
  d.Write("photos \xe9t\xe9/caf\xe9.jpg", "a photo");
  d.Write("contacts \xe9/personal/a.vcf", Card("a", "A"));
  d.AddSource("photos", "photos \xe9t\xe9");
  d.AddSource("contacts", "contacts \xe9");
  ProcessResult list = d.Holdfast({"source", "list"});
  CHECK(list.exit_code == kExitOk);
  ProcessResult capture = d.Holdfast({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
  CHECK(testing::VaultLiveItems(d.vault).size() == 2);
  // Saved again by another change of the config, the path stays the same.
  REQUIRE(d.Holdfast({"source", "add", "--kind", "notes", (d.root / "notes").string(), "--name", "notes"}).exit_code ==
          kExitOk);
  fs::create_directories(d.root / "notes");
  ProcessResult again = d.Holdfast({"capture"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  CHECK(testing::VaultLiveItems(d.vault).size() == 2);
}

TEST_CASE("contacts whose uids make the same safe file name are restored to files that capture reads back") {
  Device d;
  std::string cards;
  for (const char* uid : {"x", "x.vcf", "x vcf", "x_vcf", "X"}) cards += Card(uid, uid);
  d.Write("contacts/personal/all.vcf", cards);
  d.AddSource("contacts", "contacts");
  d.Capture("first capture");
  const ItemShas before = testing::VaultLiveItems(d.vault);
  REQUIRE(before.size() == 5);
  fs::remove_all(d.root / "contacts");
  fs::create_directories(d.root / "contacts");
  ProcessResult restored = d.Holdfast({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  for (const auto& entry : fs::recursive_directory_iterator(d.root / "contacts")) {
    if (entry.is_regular_file()) CHECK_MESSAGE(entry.path().extension() == ".vcf", entry.path());
  }
  ProcessResult capture = d.Holdfast({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.out);
  CHECK_MESSAGE(CountDeleted(capture.out) == 0, capture.out);
  CHECK(testing::VaultLiveItems(d.vault) == before);
}

TEST_CASE("a photo with a 250-byte name is restored, and so are the others of its source") {
  Device d;
  d.Write("photos/" + std::string(250, 'm'), "long");
  d.Write("photos/" + std::string(255, 'n'), "longest");
  d.Write("photos/short.jpg", "short");
  d.AddSource("photos", "photos");
  d.Capture("first capture");
  const std::map<std::string, std::string> tree = testing::TreeBytes(d.root);
  fs::remove_all(d.root / "photos");
  fs::create_directories(d.root / "photos");
  ProcessResult restored = d.Holdfast({"restore-device"});
  CHECK_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK(testing::TreeBytes(d.root) == tree);
}

TEST_CASE("a photo that cannot be written does not silently skip the rest of its source") {
  Device d;
  d.Write("photos/a/one.jpg", "one");
  d.Write("photos/b/two.jpg", "two");
  d.AddSource("photos", "photos");
  d.Capture("first capture");
  fs::remove_all(d.root / "photos");
  fs::create_directories(d.root / "photos");
  // A plain file where folder a/ should be: one.jpg cannot be written.
  testing::WriteFileBytes(d.root / "photos/a", "in the way");
  ProcessResult restored = d.Holdfast({"restore-device"});
  CHECK(restored.exit_code != kExitOk);
  CHECK_MESSAGE(restored.out.find("one.jpg") != std::string::npos, (restored.out + restored.err));
  CHECK(testing::ReadFileBytes(d.root / "photos/b/two.jpg") == "two");
}

TEST_CASE("a device tree of hostile names survives push, wipe, recover, every export, import and restore-device") {
  Device d;
  WritePhotos(d);
  WriteContactsAndEvents(d);
  d.AddSource("photos", "photos");
  d.AddSource("contacts", "contacts");
  d.AddSource("calendar", "calendars");
  d.Serve();
  d.Capture("first capture");
  const ItemShas held = testing::VaultLiveItems(d.vault);
  const std::map<std::string, std::string> tree = testing::TreeBytes(d.root);
  std::string listed;
  for (const auto& [key, sha] : held) listed += WireUidOf(key.second) + "\n";
  REQUIRE_MESSAGE(held.size() == HostilePhotoNames().size() + 2 + HostileContactUids().size() + 2 + 5, listed);

  SUBCASE("push, wipe, check, recover") {
    ProcessResult push = d.Holdfast({"push"});
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err));
    CHECK(testing::ServerItems(d.data) == OnTheWire(held));
    CHECK(testing::ServerInventory(d.data) == testing::VaultInventory(d.vault));
    CHECK(d.Holdfast({"check"}).exit_code == kExitOk);
    d.Wipe();
    ProcessResult check = d.Holdfast({"check"});
    CHECK_MESSAGE(check.exit_code == kExitAttention, check.out);
    CHECK(check.out.find("healthy") == std::string::npos);
    ProcessResult recover = d.Holdfast({"recover"});
    CHECK_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
    CHECK(recover.out.find("NOT VERIFIED") == std::string::npos);
    CHECK(recover.out.find("VERIFIED") != std::string::npos);
    CHECK(testing::ServerItems(d.data) == OnTheWire(held));
    CHECK(d.Holdfast({"check"}).exit_code == kExitOk);
  }
  SUBCASE("export in every format, import the archive into a new vault") {
    for (const char* format : {"vdir", "vcf", "ics", "json", "archive"}) {
      const fs::path to = d.dir / (std::string("export-") + format);
      ProcessResult exported = d.Holdfast({"export", "--format", format, "--to", to.string()});
      CHECK_MESSAGE(exported.exit_code == kExitOk, format << ": " << exported.out << exported.err);
    }
    // The vdir export holds every photo under its own name.
    for (const std::string& name : HostilePhotoNames()) {
      CHECK_MESSAGE(fs::exists(d.dir / "export-vdir/photos/DCIM" / name), name);
    }
    const std::string other = (d.dir / "other.db").string();
    REQUIRE(d.Holdfast({"init"}, other).exit_code == kExitOk);
    ProcessResult imported = d.Holdfast({"import", (d.dir / "export-archive").string()}, other);
    CHECK_MESSAGE(imported.exit_code == kExitOk, (imported.out + imported.err));
    CHECK(testing::VaultLiveItems(other) == held);
  }
  SUBCASE("device reset, restore-device, capture") {
    for (const char* folder : {"photos", "contacts", "calendars"}) {
      fs::remove_all(d.root / folder);
      fs::create_directories(d.root / folder);
    }
    ProcessResult restored = d.Holdfast({"restore-device"});
    CHECK_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
    ProcessResult capture = d.Holdfast({"capture"});
    CHECK_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));
    CHECK_MESSAGE(CountDeleted(capture.out) == 0, capture.out);
    CHECK(testing::VaultLiveItems(d.vault) == held);
    // Photos and files with their own name come back under it, byte for byte.
    std::map<std::string, std::string> now = testing::TreeBytes(d.root);
    for (const auto& [path, bytes] : tree) {
      if (path.find("multi.") != std::string::npos) continue;  // split into one file per item
      CHECK_MESSAGE(now.count(path) == 1, path);
      if (now.count(path) == 1) CHECK(now[path] == bytes);
    }
  }
}

}  // namespace
}  // namespace holdfast
