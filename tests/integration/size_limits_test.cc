// Every size limit of the protocol, the vault and the agent, walked at 0, 1,
// limit-1, limit and limit+1 for each kind of item it applies to, through the
// real binaries: capture, push to a real holdfast-server on 127.0.0.1, check,
// a server wipe and recover, export in every format, import, verify,
// reupload and restore-device onto an emptied device. At each step the
// SHA-256 of every item must be equal on the device, in the vault, on the
// server, in each export and on the restored device. The documented limits
// are in docs/protocol.md and docs/formats.md ("Sizes"); a size the docs
// refuse (a .vcf or .ics over 64 MiB) is reported as skipped and left on the
// device untouched.
//
// All sizes of a round go into one device tree, so that the whole table
// costs one pass of each command.
#include <doctest/doctest.h>

#include <climits>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/exit_codes.h"
#include "platform/base64.h"
#include "platform/sha256.h"
#include "tests/support/inventory.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitOk;
using nlohmann::json;
using testing::ProcessResult;
using testing::RunProcess;

constexpr uint64_t kKiB = 1024, kMiB = 1024 * 1024;
constexpr int kDeadlineS = 300;

// A limit, the kinds it applies to, and whether an item over it is refused.
struct Limit {
  const char* name;
  uint64_t bytes;
  std::set<std::string> kinds;
  bool refused_above = false;
};

// Each limit found in the code (docs/protocol.md and docs/formats.md, "Sizes").
const Limit kLimits[] = {
    // storage::BlobStore::kChunkSizeBytes: blob store chunks (photos, videos)
    {"vault chunk 256 KiB", 256 * kKiB, {"photo"}},
    // agent push kMaxInlineItemBytes and the server's kMaxInlineContentBytes:
    // larger content goes as a blob, whatever the vault keeps it as
    {"inline content 1 MiB", 1 * kMiB, {"contact", "event", "task", "note", "photo"}},
    // push kBlobChunkBytes and kMaxBatchInlineBytes
    {"blob chunk and batch inline bytes 4 MiB", 4 * kMiB, {"contact", "event", "task", "note", "photo"}},
    // FilePrefetcher::kMaxQueuedBytes and the server's kMaxChunkBytes
    {"prefetch queue and server chunk 8 MiB", 8 * kMiB, {"contact", "photo"}},
    // capture's and import's kMaxBlobBytesInBatch: larger photos stream in transactions of their own
    {"blob bytes in a batch 16 MiB", 16 * kMiB, {"photo"}},
    // platform::kMaxPimFileBytes: a larger .vcf/.ics is reported and skipped; photos have no such limit
    {"PIM file 64 MiB", 64 * kMiB, {"contact", "event"}, true},
};
// Photos have no 64 MiB limit: one just past it shows that (a row of its own, not a limit).
constexpr uint64_t kLargestPhoto = 64 * kMiB + 1;

struct KindInfo {
  const char* kind;
  const char* source_kind;  // for `source add --kind`
  const char* folder;
  const char* extension;
  const char* component;  // iCalendar component; null for vCard and photos
};
const KindInfo kKinds[] = {{"contact", "contacts", "contacts", ".vcf", nullptr},
                           {"event", "calendar", "calendars", ".ics", "VEVENT"},
                           {"task", "tasks", "tasks", ".ics", "VTODO"},
                           {"note", "notes", "notes", ".ics", "VJOURNAL"},
                           {"photo", "photos", "photos", ".jpg", nullptr}};

// Filler property lines ("X-P:aaa...\r\n", at most 77 bytes each) adding up to exactly `bytes` (0 or >= 6).
std::string Filler(uint64_t bytes) {
  std::string out;
  out.reserve(bytes);
  while (bytes > 0) {
    uint64_t line = std::min<uint64_t>(bytes, 77);
    if (bytes - line > 0 && bytes - line < 6) line = bytes - 6;
    out += "X-P:" + std::string(line - 6, 'a') + "\r\n";
    bytes -= line;
  }
  return out;
}

// A file of exactly `size` bytes holding one item of the kind (or, below the
// smallest well-formed item, `size` bytes that are not one: refused as malformed).
std::string ItemFile(const KindInfo& k, uint64_t size) {
  const std::string uid = "u" + std::to_string(size);
  if (std::string(k.kind) == "photo") {
    std::string bytes(size, '\0');
    for (uint64_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    return bytes;
  }
  std::string head, tail;
  if (k.component == nullptr) {
    head = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:" + uid + "\r\n";
    tail = "END:VCARD\r\n";
  } else {
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//holdfast//sizes//EN\r\nBEGIN:" + std::string(k.component) +
           "\r\nUID:" + uid + "\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:" + uid + "\r\n";
    tail = "END:" + std::string(k.component) + "\r\nEND:VCALENDAR\r\n";
  }
  if (size < head.size() + tail.size() + 6) return std::string(size, 'x');
  return head + Filler(size - head.size() - tail.size()) + tail;
}

bool WellFormed(const KindInfo& k, uint64_t size) {
  return std::string(k.kind) == "photo" || (size >= 256 && ItemFile(k, 256).rfind("BEGIN:", 0) == 0);
}

// HOLDFAST_SIZE_LIMITS_UP_TO_MIB=N leaves out the limits above N MiB (the
// sanitizer run sets 16: its 64 MiB files took most of its four minutes; the
// normal run walks every limit).
uint64_t LargestLimitWalked() {
  const char* text = std::getenv("HOLDFAST_SIZE_LIMITS_UP_TO_MIB");
  if (text == nullptr || *text == '\0') return UINT64_MAX;
  char* end = nullptr;
  const unsigned long long mib = std::strtoull(text, &end, 10);
  REQUIRE_MESSAGE(*end == '\0', "HOLDFAST_SIZE_LIMITS_UP_TO_MIB=" << text << " is not a whole number");
  return mib * kMiB;
}

// The sizes of one kind: 0, 1, and limit-1, limit, limit+1 of each limit that applies.
std::set<uint64_t> SizesOf(const KindInfo& k) {
  const uint64_t ceiling = LargestLimitWalked();
  std::set<uint64_t> sizes = {0, 1};
  for (const Limit& l : kLimits) {
    if (l.kinds.count(k.kind) == 0 || l.bytes > ceiling) continue;
    for (uint64_t s : {l.bytes - 1, l.bytes, l.bytes + 1}) sizes.insert(s);
  }
  if (std::string(k.kind) == "photo" && kLargestPhoto <= ceiling) sizes.insert(kLargestPhoto);
  return sizes;
}

bool Refused(const KindInfo& k, uint64_t size) {
  if (!WellFormed(k, size)) return true;
  for (const Limit& l : kLimits) {
    if (l.refused_above && l.kinds.count(k.kind) != 0 && size > l.bytes) return true;
  }
  return false;
}

std::multiset<std::string> ShasOf(const testing::ItemShas& items) {
  std::multiset<std::string> out;
  for (const auto& [key, sha] : items) out.insert(sha);
  return out;
}

std::multiset<std::string> ShasOf(const std::map<std::string, std::string>& tree) {
  std::multiset<std::string> out;
  for (const auto& [path, bytes] : tree) out.insert(platform::ToHex(platform::Sha256Of(bytes)));
  return out;
}

struct Device {
  testing::TempDir dir;
  fs::path tree = dir / "device";
  std::string vault = (dir / "vault.db").string();

  ProcessResult Run(std::vector<std::string> args, const std::string& vault_path = "") const {
    std::vector<std::string> argv = {"/usr/bin/timeout",
                                     std::to_string(kDeadlineS),
                                     testing::HoldfastBinary(),
                                     "--vault",
                                     vault_path.empty() ? vault : vault_path,
                                     "--config",
                                     (dir / "config.json").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    ProcessResult result = RunProcess(argv);
    INFO("holdfast " << args[0]);
    CHECK_MESSAGE(result.exit_code != 124, "timed out");
    return result;
  }
  void Must(std::vector<std::string> args) const {
    ProcessResult result = Run(args);
    REQUIRE_MESSAGE(result.exit_code == kExitOk, args[0] << ": " << result.out << result.err);
  }
};

TEST_CASE("every kind at every size limit goes through every path with its SHA-256 intact") {
  Device d;
  d.Must({"init"});
  std::multiset<std::string> expected;  // the SHA-256 of every item the device holds
  std::map<std::string, std::string> refused;  // path -> bytes, left on the device
  size_t rows = 0;
  for (const KindInfo& k : kKinds) {
    const fs::path folder = std::string(k.kind) == "photo" ? d.tree / k.folder : d.tree / k.folder / "sizes";
    fs::create_directories(folder);
    for (uint64_t size : SizesOf(k)) {
      const std::string name = "s" + std::to_string(size) + k.extension;
      const std::string bytes = ItemFile(k, size);
      REQUIRE(bytes.size() == size);
      testing::WriteFileBytes(folder / name, bytes);
      ++rows;
      if (Refused(k, size)) {
        refused[fs::relative(folder / name, d.tree).string()] = bytes;
      } else {
        expected.insert(platform::ToHex(platform::Sha256Of(bytes)));
      }
    }
    d.Must({"source", "add", "--kind", k.source_kind, (d.tree / k.folder).string(), "--name", k.folder});
  }
  MESSAGE(rows << " sizes, " << expected.size() << " items, " << refused.size() << " refused");
  const auto device_before = testing::TreeBytes(d.tree);

  // Capture: every item in the vault, every refusal reported.
  ProcessResult capture = d.Run({"capture"});
  CHECK_MESSAGE(capture.exit_code == kExitOk, capture.out << capture.err);
  CHECK(ShasOf(testing::VaultLiveItems(d.vault)) == expected);
  const json status = json::parse(d.Run({"status", "--json"}).out, nullptr, false);
  REQUIRE(status.is_object());
  for (const auto& [path, bytes] : refused) {
    CAPTURE(path);
    CHECK(status.dump().find(fs::path(path).filename().string()) != std::string::npos);
  }

  // Push, check, a wipe and recover.
  const std::string data = (d.dir / "server").string();
  const std::string token = testing::AddAccount(data, "phone");
  testing::ServerProcess server(data);
  testing::WriteTokenFile(d.dir / "token", token);
  d.Must({"remote", "add", "home", "--url", server.url(), "--account", "phone", "--token-file",
          (d.dir / "token").string()});
  d.Must({"push"});
  CHECK(ShasOf(testing::ServerItems(data)) == expected);
  CHECK(testing::ServerItems(data) == testing::VaultLiveItems(d.vault));
  ProcessResult check = d.Run({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, check.out << check.err);
  REQUIRE(RunProcess({testing::ServerBinary(), "wipe", "--data", data, "--account", "phone"}).exit_code == 0);
  ProcessResult recover = d.Run({"recover"});
  CHECK_MESSAGE(recover.exit_code == kExitOk, recover.out << recover.err);
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK(testing::ServerItems(data) == testing::VaultLiveItems(d.vault));

  // Exports: vdir gives the device's files back; json's content hashes to each item.
  d.Must({"export", "--format", "vdir", "--to", (d.dir / "vdir").string()});
  CHECK(ShasOf(testing::TreeBytes(d.dir / "vdir")) == expected);
  d.Must({"export", "--format", "vcf", "--to", (d.dir / "all.vcf").string()});
  d.Must({"export", "--format", "ics", "--to", (d.dir / "all.ics").string()});
  d.Must({"export", "--format", "json", "--to", (d.dir / "all.jsonl").string()});
  {
    std::multiset<std::string> shas;
    std::string text = testing::ReadFileBytes(d.dir / "all.jsonl");
    for (size_t pos = 0; pos < text.size();) {
      const size_t eol = text.find('\n', pos);
      REQUIRE(eol != std::string::npos);
      const json line = json::parse(text.substr(pos, eol - pos), nullptr, false);
      pos = eol + 1;
      REQUIRE(line.is_object());
      std::string content;
      if (line.contains("content")) {
        content = line["content"].get<std::string>();
      } else {
        std::optional<std::string> decoded = platform::Base64Decode(line["content_base64"].get<std::string>());
        REQUIRE(decoded.has_value());
        content = std::move(*decoded);
      }
      CHECK(platform::ToHex(platform::Sha256Of(content)) == line["sha256"].get<std::string>());
      shas.insert(line["sha256"].get<std::string>());
    }
    CHECK(shas == expected);
  }
  std::string vcf, ics;
  for (const auto& [path, bytes] : testing::TreeBytes(d.dir / "all.vcf")) vcf += bytes;
  for (const auto& [path, bytes] : testing::TreeBytes(d.dir / "all.ics")) ics += bytes;
  for (const KindInfo& k : kKinds) {
    if (std::string(k.kind) == "photo") continue;
    for (uint64_t size : SizesOf(k)) {
      if (Refused(k, size)) continue;
      CAPTURE(size);
      CHECK((k.component == nullptr ? vcf : ics).find("UID:u" + std::to_string(size) + "\r\n") != std::string::npos);
    }
  }

  // The archive, imported into a new vault, holds the same items.
  d.Must({"export", "--format", "archive", "--to", (d.dir / "all.tar").string()});
  const std::string imported = (d.dir / "imported.db").string();
  ProcessResult import = d.Run({"import", (d.dir / "all.tar").string()}, imported);
  CHECK_MESSAGE(import.exit_code == kExitOk, import.out << import.err);
  CHECK(testing::VaultLiveItems(imported) == testing::VaultLiveItems(d.vault));

  d.Must({"verify"});
  ProcessResult reupload = d.Run({"reupload"});
  CHECK_MESSAGE(reupload.exit_code == kExitOk, reupload.out << reupload.err);
  CHECK(testing::ServerItems(data) == testing::VaultLiveItems(d.vault));

  // The device loses every item it had; restore-device puts each back byte
  // for byte, and the refused files were never touched.
  for (const KindInfo& k : kKinds) {
    for (const auto& entry : fs::recursive_directory_iterator(d.tree / k.folder)) {
      if (!entry.is_regular_file()) continue;
      if (refused.count(fs::relative(entry.path(), d.tree).string()) == 0) fs::remove(entry.path());
    }
  }
  ProcessResult restored = d.Run({"restore-device"});
  CHECK_MESSAGE(restored.exit_code == kExitOk, restored.out << restored.err);
  CHECK(testing::TreeBytes(d.tree) == device_before);
  ProcessResult again = d.Run({"capture"});
  CHECK_MESSAGE(again.exit_code == kExitOk, again.out << again.err);
  CHECK(ShasOf(testing::VaultLiveItems(d.vault)) == expected);
}

}  // namespace
}  // namespace holdfast
