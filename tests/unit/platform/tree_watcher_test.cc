// The inotify watcher against real folders: what it reports for each kind of
// change a source sees, and what it must not report.
#include "platform/tree_watcher.h"

#include <doctest/doctest.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/temp_dir.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::WriteFileBytes;

// Waits (poll, up to 2 s) for events and reads them; an empty result when
// none came.
TreeWatcher::Events WaitForEvents(TreeWatcher& watcher, int timeout_ms = 2000) {
  struct pollfd p {watcher.fd(), POLLIN, 0};
  TreeWatcher::Events all;
  if (poll(&p, 1, timeout_ms) <= 0) return all;
  all = watcher.Read();
  // Events of one change may come in two reads: gather briefly.
  while (poll(&p, 1, 50) > 0) {
    TreeWatcher::Events more = watcher.Read();
    all.changed.insert(more.changed.begin(), more.changed.end());
    all.overflow = all.overflow || more.overflow;
    all.full.insert(more.full.begin(), more.full.end());
    for (auto& [tag, files] : more.files) all.files[tag].insert(files.begin(), files.end());
  }
  return all;
}

TEST_CASE("a file written, renamed into place, touched or deleted in a watched folder reports its root's tag") {
  TempDir dir;
  fs::create_directories(dir / "contacts");
  fs::create_directories(dir / "calendar");
  Result<TreeWatcher> watcher = TreeWatcher::Create();
  REQUIRE(watcher);
  CHECK(watcher->Watch(1, (dir / "contacts").string(), false, 1).empty());
  CHECK(watcher->Watch(2, (dir / "calendar").string(), false, 1).empty());

  WriteFileBytes(dir / "contacts" / "a.vcf", "BEGIN:VCARD\r\n");
  TreeWatcher::Events written = WaitForEvents(*watcher);
  CHECK(written.changed == std::set<int>{1});
  // A file written: only it needs a look.
  CHECK(written.full.empty());
  CHECK(written.files[1] == std::set<std::string>{"a.vcf"});

  WriteFileBytes(dir / "calendar" / ".tmp", "x");
  (void)WaitForEvents(*watcher);
  fs::rename(dir / "calendar" / ".tmp", dir / "calendar" / "e.ics");
  TreeWatcher::Events renamed = WaitForEvents(*watcher);
  CHECK(renamed.changed == std::set<int>{2});
  // The temporary name moved away: the whole folder needs a look.
  CHECK(renamed.full == std::set<int>{2});

  // `touch -d`: both times set (IN_ATTRIB). An mtime set alone is IN_MODIFY,
  // which is not watched (one per write): the rescan covers that case.
  const struct timespec times[2] = {{1600000000, 0}, {1600000000, 0}};
  REQUIRE(utimensat(AT_FDCWD, (dir / "contacts" / "a.vcf").c_str(), times, 0) == 0);
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{1});

  fs::remove(dir / "contacts" / "a.vcf");
  TreeWatcher::Events deleted = WaitForEvents(*watcher);
  CHECK(deleted.changed == std::set<int>{1});
  CHECK(deleted.full == std::set<int>{1});
  // Nothing happened since: nothing is reported (the negative case).
  CHECK(WaitForEvents(*watcher, 200).changed.empty());
}

TEST_CASE("a new subfolder is watched as it appears, down to the depth and not below") {
  TempDir dir;
  fs::create_directories(dir / "photos");
  Result<TreeWatcher> watcher = TreeWatcher::Create();
  REQUIRE(watcher);
  watcher->Watch(7, (dir / "photos").string(), false, 2);
  CHECK(watcher->watch_count() == 1);
  fs::create_directories(dir / "photos" / "2026");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{7});
  CHECK(watcher->watch_count() == 2);
  fs::create_directories(dir / "photos" / "2026" / "12");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{7});
  CHECK(watcher->watch_count() == 3);
  WriteFileBytes(dir / "photos" / "2026" / "12" / "p.jpg", "jpeg");
  TreeWatcher::Events photo = WaitForEvents(*watcher);
  CHECK(photo.changed == std::set<int>{7});
  CHECK(photo.full.empty());
  CHECK(photo.files[7] == std::set<std::string>{"2026/12/p.jpg"});
  // Depth 2 reached: a folder below is not watched, a file in it not seen.
  fs::create_directories(dir / "photos" / "2026" / "12" / "deep");
  (void)WaitForEvents(*watcher);
  CHECK(watcher->watch_count() == 3);
  WriteFileBytes(dir / "photos" / "2026" / "12" / "deep" / "q.jpg", "jpeg");
  CHECK(WaitForEvents(*watcher, 200).changed.empty());
}

TEST_CASE("a single-file source reports changes to that file only, including its replacement by rename") {
  TempDir dir;
  WriteFileBytes(dir / "all.vcf", "BEGIN:VCARD\r\n");
  Result<TreeWatcher> watcher = TreeWatcher::Create();
  REQUIRE(watcher);
  watcher->Watch(3, (dir / "all.vcf").string(), true, 0);
  WriteFileBytes(dir / "other.txt", "not ours");
  CHECK(WaitForEvents(*watcher, 300).changed.empty());
  WriteFileBytes(dir / "all.vcf.new", "BEGIN:VCARD\r\nEND:VCARD\r\n");
  (void)WaitForEvents(*watcher, 300);
  fs::rename(dir / "all.vcf.new", dir / "all.vcf");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{3});
}

TEST_CASE("a root that vanishes is reported, and its return is seen through the folder above it") {
  TempDir dir;
  fs::create_directories(dir / "card" / "contacts");
  Result<TreeWatcher> watcher = TreeWatcher::Create();
  REQUIRE(watcher);
  watcher->Watch(4, (dir / "card" / "contacts").string(), false, 1);
  fs::rename(dir / "card" / "contacts", dir / "elsewhere");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{4});

  // The agent watches again after a change (as it does after a capture).
  watcher->Clear();
  watcher->Watch(4, (dir / "card" / "contacts").string(), false, 1);
  WriteFileBytes(dir / "card" / "unrelated", "x");
  CHECK(WaitForEvents(*watcher, 300).changed.empty());
  fs::rename(dir / "elsewhere", dir / "card" / "contacts");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{4});
  // Back in place, the folder itself is watched again.
  WriteFileBytes(dir / "card" / "contacts" / "b.vcf", "BEGIN:VCARD\r\n");
  CHECK(WaitForEvents(*watcher).changed == std::set<int>{4});
}

TEST_CASE("a symlink to a folder is not followed") {
  TempDir dir;
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "outside");
  fs::create_directory_symlink(dir / "outside", dir / "src" / "link");
  Result<TreeWatcher> watcher = TreeWatcher::Create();
  REQUIRE(watcher);
  watcher->Watch(5, (dir / "src").string(), false, 3);
  CHECK(watcher->watch_count() == 1);
  WriteFileBytes(dir / "outside" / "x.vcf", "BEGIN:VCARD\r\n");
  CHECK(WaitForEvents(*watcher, 300).changed.empty());
}

}  // namespace
}  // namespace holdfast::platform
