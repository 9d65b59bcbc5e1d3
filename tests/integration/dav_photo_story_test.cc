// Photos to plain WebDAV servers (Apache mod_dav, nginx dav + dav_ext; issue
// 14), through the real holdfast binary: a photo folder with nested folders
// and awkward names (blanks, '#', '%', '?', UTF-8, a Latin-1 byte, the
// backend's own escape mark), an empty file and a multi-MiB one; push, check
// healthy, the photo collection deleted while the server runs and the whole
// store deleted while it is stopped: check says lost, recover says VERIFIED
// and the server's files (read from its storage folder, not through the
// agent) hold the same bytes; an unreachable server is unknown and starts
// nothing. Neither server gives an ETag in a PUT answer and nginx ignores
// If-None-Match and If-Match (docs/dav.md): another client's file at an
// acknowledged name, or at the name of a new photo, is never overwritten.
// A remote whose URL is a plain WebDAV folder takes photos; contacts there
// fail with a clear error.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "platform/sha256.h"
#include "tests/support/dav_device.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using agent::kExitRemote;
using testing::DavServerKind;
using testing::ProcessResult;
using testing::RunProcess;

// Bytes that differ per file (a counter through SHA-256), `size` long.
std::string Bytes(const std::string& seed, size_t size) {
  std::string out;
  out.reserve(size + 32);
  for (uint64_t i = 0; out.size() < size; ++i) {
    const platform::Digest d = platform::Sha256Of(seed + std::to_string(i));
    out.append(reinterpret_cast<const char*>(d.data()), d.size());
  }
  out.resize(size);
  return out;
}

std::string Sha(const std::string& bytes) { return platform::ToHex(platform::Sha256Of(bytes)); }

// Relative path -> SHA-256 of every regular file below `root`.
std::map<std::string, std::string> FilesBelow(const fs::path& root) {
  std::map<std::string, std::string> out;
  if (!fs::exists(root)) return out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    out[fs::relative(entry.path(), root).string()] = Sha(testing::ReadFileBytes(entry.path()));
  }
  return out;
}

struct PhotoStory : testing::DavDevice {
  fs::path photos = dir / "photos";
  // Relative path on the device -> bytes.
  std::map<std::string, std::string> files;

  explicit PhotoStory(DavServerKind kind) : DavDevice(kind) {
    holdfast_timeout_s = 300;
    files["top.jpg"] = Bytes("top", 3000);
    files["2024/summer trip/IMG 0001.jpg"] = Bytes("img1", 70000);
    files["2024/summer trip/#1 100% sure?.jpg"] = Bytes("odd", 5000);
    files["2024/caf\xC3\xA9/\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x93\xB7.jpg"] = Bytes("unicode", 4000);
    files["latin1/\xE9t\xE9.jpg"] = Bytes("latin1", 2000);
    files["empty/zero.jpg"] = "";
    files["big/clip.mp4"] = Bytes("big", (size_t{5} << 20) + 123);
    files["marks/~hf41.jpg"] = Bytes("mark", 1000);
    for (const auto& [path, bytes] : files) {
      fs::create_directories((photos / path).parent_path());
      testing::WriteFileBytes(photos / path, bytes);
    }
    Require({"init"});
    Require({"source", "add", "--kind", "photos", photos.string(), "--name", "photos"});
    Require({"capture"});
    // The URL is the WebDAV folder itself: no CardDAV/CalDAV there.
    AddRemote(server.url() + "/dav/", {"--photos-url", server.url() + "/dav/photos/"});
  }

  // The photo collection's folder in the server's storage ("" if none).
  fs::path CollectionDir() const {
    const fs::path root = server.storage_dir() / "photos";
    if (!fs::exists(root)) return {};
    for (const auto& entry : fs::directory_iterator(root)) {
      if (entry.path().filename().string().rfind("holdfast-photo-", 0) == 0) return entry.path();
    }
    return {};
  }

  // What the server should hold: the device's files under the names the
  // backend gives (docs/dav.md, "Photos": the escape mark is escaped).
  std::map<std::string, std::string> Expected() const {
    std::map<std::string, std::string> out;
    for (const auto& [path, bytes] : files) {
      std::string name = path;
      if (name == "marks/~hf41.jpg") name = "marks/~hf7e686634312e6a7067";
      out[name] = Sha(bytes);
    }
    return out;
  }

  std::map<std::string, std::string> OnServer() const {
    const fs::path collection = CollectionDir();
    return collection.empty() ? std::map<std::string, std::string>{} : FilesBelow(collection);
  }

  // curl `method` on the photo at `relative`: the status; `upload` as the
  // body when given.
  std::string CurlPhoto(const std::string& method, const std::string& relative, const std::string* upload = nullptr) {
    const std::string path = "/dav/photos/" + CollectionDir().filename().string() + "/" + relative;
    return Curl(method, path, nullptr, upload ? Upload(*upload) : std::vector<std::string>{}, 60);
  }
};

void RunPhotoStory(DavServerKind kind) {
  PhotoStory s(kind);
  CAPTURE(s.server.name());
  // Capture kept every file, the Latin-1 name and the empty one included
  // (the vault read by the sqlite3 CLI, not by the agent).
  ProcessResult uids = RunProcess({"/usr/bin/sqlite3", s.vault, "SELECT uid FROM items ORDER BY uid"}, {}, 30);
  std::string expected_uids;
  for (const auto& [path, bytes] : s.files) expected_uids += path + "\n";
  REQUIRE(uids.out == expected_uids);

  ProcessResult push = s.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err + s.server.ReadLog()));
  CHECK(s.OnServer() == s.Expected());

  ProcessResult healthy = s.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));
  CHECK(healthy.out.find("healthy") != std::string::npos);

  // A second push of untouched photos sends nothing and stays healthy.
  ProcessResult again = s.Holdfast({"push"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  CHECK(s.Holdfast({"check"}).exit_code == kExitOk);

  // Wipe 1: the photo collection's folder deleted while the server runs.
  const fs::path collection = s.CollectionDir();
  REQUIRE(!collection.empty());
  fs::remove_all(collection);
  ProcessResult lost = s.Holdfast({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, (lost.out + lost.err));
  CHECK(lost.out.find("lost") != std::string::npos);
  ProcessResult recover = s.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err + s.server.ReadLog()));
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK(s.OnServer() == s.Expected());
  ProcessResult back = s.Holdfast({"check"});
  CHECK_MESSAGE(back.exit_code == kExitOk, (back.out + back.err));

  // Wipe 2: the whole store deleted while the server is stopped.
  s.server.Stop();
  s.server.DeleteStorage();
  s.server.Start();
  CHECK(s.OnServer().empty());
  ProcessResult lost_all = s.Holdfast({"check"});
  CHECK_MESSAGE(lost_all.exit_code == kExitAttention, (lost_all.out + lost_all.err));
  CHECK(lost_all.out.find("lost") != std::string::npos);
  ProcessResult recover_all = s.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover_all.exit_code == kExitOk, (recover_all.out + recover_all.err + s.server.ReadLog()));
  CHECK(recover_all.out.find("VERIFIED") != std::string::npos);
  CHECK(s.OnServer() == s.Expected());
  CHECK(s.Holdfast({"check"}).exit_code == kExitOk);

  // Unreachable: unknown, never lost, and recover starts nothing.
  s.server.Stop();
  ProcessResult unknown = s.Holdfast({"check"});
  CHECK(unknown.exit_code == kExitRemote);
  CHECK_MESSAGE(unknown.out.find("UNKNOWN") != std::string::npos, (unknown.out + unknown.err));
  CHECK(unknown.out.find("lost") == std::string::npos);
  ProcessResult refused = s.Holdfast({"recover"});
  CHECK(refused.exit_code == kExitRemote);
  CHECK(refused.err.find("no recovery started") != std::string::npos);
  CHECK(refused.out.find("VERIFIED") == std::string::npos);
}

// Another client replaces an acknowledged photo, and puts a file at the name
// of a photo the device has not pushed yet: check sees the first differ, and
// no push overwrites either (nginx ignores the preconditions that would have
// said so; the backend looks before it writes).
void RunPhotoConflict(DavServerKind kind) {
  PhotoStory s(kind);
  CAPTURE(s.server.name());
  ProcessResult push = s.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err + s.server.ReadLog()));

  const std::string theirs = Bytes("theirs", 4321);
  REQUIRE(s.CurlPhoto("PUT", "top.jpg", &theirs).front() == '2');
  // Another client's change: reported, not a loss (docs/dav.md, "Conflicts").
  ProcessResult differs = s.Holdfast({"check"});
  CHECK_MESSAGE(differs.exit_code == kExitOk, (differs.out + differs.err));
  CHECK(differs.out.find("changed on the server by another client") != std::string::npos);
  CHECK(differs.out.find("'top.jpg'") != std::string::npos);

  const std::string other_new = Bytes("their new", 777);
  REQUIRE(s.CurlPhoto("PUT", "new.jpg", &other_new).front() == '2');
  testing::WriteFileBytes(s.photos / "top.jpg", Bytes("mine", 5555));
  testing::WriteFileBytes(s.photos / "new.jpg", Bytes("my new", 888));
  REQUIRE(s.Holdfast({"capture"}).exit_code == kExitOk);
  ProcessResult conflict = s.Holdfast({"push"});
  CHECK_MESSAGE(conflict.exit_code == kExitRemote, (conflict.out + conflict.err));
  CHECK_MESSAGE(conflict.out.find("REFUSED") != std::string::npos, conflict.out);
  CHECK_MESSAGE(conflict.out.find("top.jpg") != std::string::npos, conflict.out);
  CHECK_MESSAGE(conflict.out.find("new.jpg") != std::string::npos, conflict.out);
  CHECK(testing::ReadFileBytes(s.CollectionDir() / "top.jpg") == theirs);
  CHECK(testing::ReadFileBytes(s.CollectionDir() / "new.jpg") == other_new);
  // The rest stayed as acknowledged.
  CHECK(testing::ReadFileBytes(s.CollectionDir() / "2024/summer trip/IMG 0001.jpg") ==
        s.files["2024/summer trip/IMG 0001.jpg"]);
}

// Apache's ETag is weak while a file's mtime is less than a second before
// the request (docs/dav.md), and a weak tag never satisfies If-Match. A file
// whose mtime lies ahead keeps it weak: the acknowledged version is then a
// weak tag's text, and a change of the photo must still be stored, not
// refused as another client's.
TEST_CASE("apache: a photo acknowledged under a weak ETag can be changed") {
  PhotoStory s(DavServerKind::kApache);
  ProcessResult push = s.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err + s.server.ReadLog()));
  const fs::path top = s.CollectionDir() / "top.jpg";
  REQUIRE(RunProcess({"/usr/bin/touch", "-m", "-d", "+1 hour", top.string()}).exit_code == 0);
  // Another mtime is another ETag: check reads the photo, finds the bytes it
  // acknowledged, and records the (weak) tag it reads now.
  ProcessResult same = s.Holdfast({"check"});
  CHECK_MESSAGE(same.exit_code == kExitOk, (same.out + same.err));
  CHECK(same.out.find("changed on the server") == std::string::npos);

  const std::string mine = Bytes("changed on the device", 6001);
  testing::WriteFileBytes(s.photos / "top.jpg", mine);
  REQUIRE(s.Holdfast({"capture"}).exit_code == kExitOk);
  ProcessResult change = s.Holdfast({"push"});
  CHECK_MESSAGE(change.exit_code == kExitOk, (change.out + change.err));
  CHECK_MESSAGE(change.out.find("REFUSED") == std::string::npos, change.out);
  CHECK(testing::ReadFileBytes(top) == mine);
  CHECK(s.Holdfast({"check"}).exit_code == kExitOk);
}

// A DAV remote on a plain WebDAV server: contacts find no CardDAV there and
// the push says so; it does not crash or pretend.
void RunContactsWithoutCardDav(DavServerKind kind) {
  PhotoStory s(kind);
  CAPTURE(s.server.name());
  fs::create_directories(s.dir / "contacts");
  testing::WriteFileBytes(s.dir / "contacts" / "a.vcf",
                          "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:a\r\nFN:A\r\nN:A;;;;\r\nEND:VCARD\r\n");
  REQUIRE(s.Holdfast({"source", "add", "--kind", "contacts", (s.dir / "contacts").string(), "--name", "contacts"})
              .exit_code == kExitOk);
  REQUIRE(s.Holdfast({"capture"}).exit_code == kExitOk);
  ProcessResult push = s.Holdfast({"push"});
  CHECK_MESSAGE(push.exit_code == kExitRemote, (push.out + push.err));
  CHECK_MESSAGE(push.out.find("REFUSED contact collection 'contacts'") != std::string::npos, push.out);
  CHECK_MESSAGE(push.out.find("offers no CardDAV address book") != std::string::npos, (push.out + push.err));
  // The photos went all the same, byte for byte.
  CHECK(s.OnServer() == s.Expected());
}

TEST_CASE("apache: photos in a folder tree: push, healthy, both wipes lost, recover verifies with equal bytes, "
          "unreachable is unknown") {
  RunPhotoStory(DavServerKind::kApache);
}

TEST_CASE("nginx: photos in a folder tree: push, healthy, both wipes lost, recover verifies with equal bytes, "
          "unreachable is unknown") {
  RunPhotoStory(DavServerKind::kNginx);
}

TEST_CASE("nginx: another client's file at an acknowledged or a new photo's name is never overwritten") {
  RunPhotoConflict(DavServerKind::kNginx);
}

TEST_CASE("apache: another client's file at an acknowledged or a new photo's name is never overwritten") {
  RunPhotoConflict(DavServerKind::kApache);
}

TEST_CASE("apache: contacts on a plain WebDAV remote are refused with a clear error, and the photos go") {
  RunContactsWithoutCardDav(DavServerKind::kApache);
}

TEST_CASE("nginx: contacts on a plain WebDAV remote are refused with a clear error, and the photos go") {
  RunContactsWithoutCardDav(DavServerKind::kNginx);
}

}  // namespace
}  // namespace holdfast
