// Staged writes: AtomicFile, StagedFolder and FileSet publish whole files or
// nothing, refuse to replace what they were not told to, and leave no
// ".holdfast-" temp file behind whether they commit or not.
#include "platform/staged_files.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace holdfast::platform {
namespace {

namespace fs = std::filesystem;
using testing::ReadFileBytes;
using testing::TempDir;
using testing::WriteFileBytes;

// Every name directly inside `dir`.
std::set<std::string> Names(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.insert(entry.path().filename().string());
  return names;
}

// Every path under `dir` (recursively) whose name starts with ".holdfast-".
std::vector<std::string> Leftovers(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().filename().string().rfind(".holdfast-", 0) == 0) found.push_back(entry.path().string());
  }
  return found;
}

int OpenFdCount() {
  int count = 0;
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}

// Lowers the soft limit on open files for one test, then puts it back.
class FdLimit {
 public:
  explicit FdLimit(rlim_t soft) {
    REQUIRE(getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    rlimit lowered = saved_;
    lowered.rlim_cur = soft < saved_.rlim_max ? soft : saved_.rlim_max;
    REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  }
  ~FdLimit() { setrlimit(RLIMIT_NOFILE, &saved_); }
  FdLimit(const FdLimit&) = delete;
  FdLimit& operator=(const FdLimit&) = delete;

 private:
  rlimit saved_{};
};

// --- UniqueFd and WriteFd ---------------------------------------------------

TEST_CASE("a UniqueFd closes its descriptor when destroyed, and a moved-from one closes nothing") {
  TempDir dir;
  WriteFileBytes(dir / "f", "x");
  const int before = OpenFdCount();
  {
    UniqueFd fd(open((dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd.get() >= 0);
    CHECK(OpenFdCount() == before + 1);
    UniqueFd moved(std::move(fd));
    CHECK(fd.get() == -1);
    CHECK(moved.get() >= 0);
    CHECK(fd.Close() == 0);  // nothing to close
    CHECK(OpenFdCount() == before + 1);
    UniqueFd assigned;
    assigned = std::move(moved);
    CHECK(moved.get() == -1);
    CHECK(assigned.get() >= 0);
  }
  CHECK(OpenFdCount() == before);
}

TEST_CASE("WriteFd writes every byte, and a failed write names the path") {
  TempDir dir;
  std::string bytes(5 << 20, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31 + 7);
  {
    UniqueFd fd(open((dir / "big").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    REQUIRE(fd.get() >= 0);
    REQUIRE(WriteFd(fd.get(), bytes, dir / "big").ok());
  }
  CHECK(ReadFileBytes(dir / "big") == bytes);

  UniqueFd read_only(open((dir / "big").c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(read_only.get() >= 0);
  Status status = WriteFd(read_only.get(), "x", dir / "big");
  REQUIRE_FALSE(status.ok());
  CHECK(status.message().find((dir / "big").string()) != std::string::npos);
}

// --- AtomicFile -------------------------------------------------------------

TEST_CASE("an AtomicFile committed publishes the whole content with the mode asked and no temp file") {
  TempDir dir;
  AtomicFile file;
  REQUIRE(file.Open(dir / "export.tar", /*replace=*/false, 0600).ok());
  // Before Commit nothing is under the final name.
  CHECK_FALSE(fs::exists(dir / "export.tar"));
  REQUIRE(file.Append("first part, ").ok());
  REQUIRE(WriteFd(file.fd(), "through the fd, ", dir / "export.tar").ok());
  REQUIRE(file.Append("last part").ok());
  REQUIRE(file.Commit().ok());
  CHECK(ReadFileBytes(dir / "export.tar") == "first part, through the fd, last part");
  struct stat st {};
  REQUIRE(stat((dir / "export.tar").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(Names(dir.path()) == std::set<std::string>{"export.tar"});
}

TEST_CASE("an AtomicFile left uncommitted leaves no file and no temp file behind") {
  TempDir dir;
  {
    AtomicFile file;
    REQUIRE(file.Open(dir / "export.tar", /*replace=*/false).ok());
    REQUIRE(file.Append("half of it").ok());
    // The temp file exists while writing, under a hidden .holdfast- name.
    CHECK(Leftovers(dir.path()).size() == 1);
  }
  CHECK(Names(dir.path()).empty());
}

TEST_CASE("an AtomicFile abandoned over an existing file leaves that file as it was") {
  TempDir dir;
  WriteFileBytes(dir / "notes.ics", "old content");
  {
    AtomicFile file;
    REQUIRE(file.Open(dir / "notes.ics", /*replace=*/true).ok());
    REQUIRE(file.Append("new content that is never committed").ok());
  }
  CHECK(ReadFileBytes(dir / "notes.ics") == "old content");
  CHECK(Names(dir.path()) == std::set<std::string>{"notes.ics"});
}

TEST_CASE("an AtomicFile refuses an existing file without replace and creates nothing") {
  TempDir dir;
  WriteFileBytes(dir / "export.tar", "keep me");
  AtomicFile file;
  Status status = file.Open(dir / "export.tar", /*replace=*/false);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kAlreadyExists);
  CHECK(status.message().find((dir / "export.tar").string()) != std::string::npos);
  CHECK(ReadFileBytes(dir / "export.tar") == "keep me");
  CHECK(Names(dir.path()) == std::set<std::string>{"export.tar"});
}

TEST_CASE("an AtomicFile with replace swaps an existing file for the new content") {
  TempDir dir;
  WriteFileBytes(dir / "export.tar", "old content, longer than the new one");
  AtomicFile file;
  REQUIRE(file.Open(dir / "export.tar", /*replace=*/true).ok());
  REQUIRE(file.Append("new").ok());
  // Until Commit the old file is untouched.
  CHECK(ReadFileBytes(dir / "export.tar") == "old content, longer than the new one");
  REQUIRE(file.Commit().ok());
  CHECK(ReadFileBytes(dir / "export.tar") == "new");
  CHECK(Names(dir.path()) == std::set<std::string>{"export.tar"});
}

TEST_CASE("an AtomicFile does not replace a file that appeared while it was written") {
  TempDir dir;
  AtomicFile file;
  REQUIRE(file.Open(dir / "export.tar", /*replace=*/false).ok());
  REQUIRE(file.Append("ours").ok());
  WriteFileBytes(dir / "export.tar", "someone else's");
  Status status = file.Commit();
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kAlreadyExists);
  CHECK(ReadFileBytes(dir / "export.tar") == "someone else's");
  CHECK(Names(dir.path()) == std::set<std::string>{"export.tar"});
}

TEST_CASE("an AtomicFile in a missing folder fails with kNotFound naming the file") {
  TempDir dir;
  AtomicFile file;
  Status status = file.Open(dir / "no-such-folder" / "export.tar", /*replace=*/false);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kNotFound);
  CHECK(status.message().find("export.tar") != std::string::npos);
  CHECK(Names(dir.path()).empty());
  // Append and Commit without a successful Open are refused, not crashes.
  CHECK(file.Append("x").code() == ErrorCode::kInternal);
  CHECK(file.Commit().code() == ErrorCode::kInternal);
}

// --- StagedFolder -----------------------------------------------------------

TEST_CASE("a StagedFolder committed puts the whole tree in place and leaves no staging folder") {
  TempDir dir;
  StagedFolder folder;
  REQUIRE(folder.Open(dir / "export", /*replace=*/false).ok());
  CHECK_FALSE(fs::exists(dir / "export"));
  REQUIRE(folder.WriteFile("contacts/all.vcf", "BEGIN:VCARD\r\nEND:VCARD\r\n").ok());
  REQUIRE(folder.WriteFile("photos/Kyōto 京都/a.jpg", std::string(70000, 'j')).ok());
  {
    Result<UniqueFd> fd = folder.CreateFile("manifest.json");
    REQUIRE(fd.has_value());
    REQUIRE(WriteFd(fd->get(), "{}", folder.root() / "manifest.json").ok());
  }
  // Before Commit the files exist only under the staging name.
  CHECK(ReadFileBytes(folder.root() / "manifest.json") == "{}");
  CHECK_FALSE(fs::exists(dir / "export"));
  REQUIRE(folder.Commit().ok());
  CHECK(ReadFileBytes(dir / "export" / "contacts" / "all.vcf") == "BEGIN:VCARD\r\nEND:VCARD\r\n");
  CHECK(ReadFileBytes(dir / "export" / "photos" / "Kyōto 京都" / "a.jpg") == std::string(70000, 'j'));
  CHECK(ReadFileBytes(dir / "export" / "manifest.json") == "{}");
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("a StagedFolder refuses an existing target without replace and leaves it untouched") {
  TempDir dir;
  fs::create_directory(dir / "export");
  WriteFileBytes(dir / "export" / "old.txt", "old");
  StagedFolder folder;
  Status status = folder.Open(dir / "export", /*replace=*/false);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kAlreadyExists);
  CHECK(status.message().find((dir / "export").string()) != std::string::npos);
  CHECK(ReadFileBytes(dir / "export" / "old.txt") == "old");
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
}

TEST_CASE("a StagedFolder with replace swaps the old tree for the new one whole") {
  TempDir dir;
  fs::create_directories(dir / "export" / "old-sub");
  WriteFileBytes(dir / "export" / "old.txt", "old");
  WriteFileBytes(dir / "export" / "old-sub" / "deep.txt", "old deep");
  WriteFileBytes(dir / "export" / "same.txt", "old same");
  StagedFolder folder;
  REQUIRE(folder.Open(dir / "export", /*replace=*/true).ok());
  REQUIRE(folder.WriteFile("new.txt", "new").ok());
  REQUIRE(folder.WriteFile("same.txt", "new same").ok());
  // Until Commit the old tree is what is there.
  CHECK(ReadFileBytes(dir / "export" / "old.txt") == "old");
  REQUIRE(folder.Commit().ok());
  CHECK(Names(dir / "export") == std::set<std::string>{"new.txt", "same.txt"});
  CHECK(ReadFileBytes(dir / "export" / "new.txt") == "new");
  CHECK(ReadFileBytes(dir / "export" / "same.txt") == "new same");
  // Neither the staging folder nor the old tree moved aside is left.
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("a StagedFolder with replace refuses a target that is a file, not a folder") {
  TempDir dir;
  WriteFileBytes(dir / "export", "a file");
  StagedFolder folder;
  Status status = folder.Open(dir / "export", /*replace=*/true);
  REQUIRE_FALSE(status.ok());
  CHECK(status.code() == ErrorCode::kAlreadyExists);
  CHECK(ReadFileBytes(dir / "export") == "a file");
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
}

TEST_CASE("a StagedFolder destroyed without Commit leaves nothing in its parent") {
  TempDir dir;
  {
    StagedFolder folder;
    REQUIRE(folder.Open(dir / "export", /*replace=*/false).ok());
    REQUIRE(folder.WriteFile("a/b/c.txt", "c").ok());
    REQUIRE(folder.WriteFile("d.txt", "d").ok());
    CHECK(Leftovers(dir.path()).size() >= 1);
  }
  CHECK(Names(dir.path()).empty());
}

TEST_CASE("a StagedFolder destroyed without Commit over an existing target leaves the old tree") {
  TempDir dir;
  fs::create_directory(dir / "export");
  WriteFileBytes(dir / "export" / "old.txt", "old");
  {
    StagedFolder folder;
    REQUIRE(folder.Open(dir / "export", /*replace=*/true).ok());
    REQUIRE(folder.WriteFile("new.txt", "new").ok());
  }
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
  CHECK(Names(dir / "export") == std::set<std::string>{"old.txt"});
}

// The pid of a process that has exited and been reaped.
pid_t DeadPid() {
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) _exit(0);
  int wstatus = 0;
  REQUIRE(waitpid(pid, &wstatus, 0) == pid);
  return pid;
}

TEST_CASE("an export killed after moving the old tree aside gets it back: a completed export is never lost") {
  // What a replacing export killed between its two renames leaves: no
  // target, the completed export under ".old", the new one staged.
  TempDir dir;
  const std::string dead = std::to_string(DeadPid());
  const fs::path old = dir / (".holdfast-export." + dead + ".old");
  const fs::path staged = dir / (".holdfast-export." + dead + ".staging");
  fs::create_directories(old / "sub");
  WriteFileBytes(old / "sub" / "card.vcf", "completed export");
  fs::create_directories(staged);
  WriteFileBytes(staged / "half.vcf", "half");
  {
    StagedFolder folder;
    REQUIRE(folder.Open(dir / "export", /*replace=*/true).ok());
    // The completed export is back under its name before anything else.
    CHECK(ReadFileBytes(dir / "export" / "sub" / "card.vcf") == "completed export");
    CHECK(Leftovers(dir.path()).size() == 1);  // this run's own staging folder
  }
  CHECK(Names(dir.path()) == std::set<std::string>{"export"});
  CHECK(ReadFileBytes(dir / "export" / "sub" / "card.vcf") == "completed export");
  // Without replace, the export put back is refused like any existing target.
  for (const char* name : {".old", ".staging"}) fs::create_directories(dir / (".holdfast-again." + dead + name));
  WriteFileBytes(dir / (".holdfast-again." + dead + ".old") / "x", "x");
  StagedFolder again;
  CHECK(again.Open(dir / "again", /*replace=*/false).code() == ErrorCode::kAlreadyExists);
  CHECK(ReadFileBytes(dir / "again" / "x") == "x");
}

TEST_CASE("a StagedFolder refuses paths that could leave the tree or are not plain") {
  TempDir dir;
  fs::create_directory(dir / "export-parent");
  StagedFolder folder;
  REQUIRE(folder.Open(dir / "export-parent" / "export", /*replace=*/false).ok());
  const std::vector<std::string_view> bad_paths = {
      "../x", "/abs", "a//b", ".", "..", "", "a/../../x", "a/./b", "a/", "x/..", std::string_view("a\0b", 3)};
  for (std::string_view bad : bad_paths) {
    CAPTURE(std::string(bad));
    Status status = folder.WriteFile(bad, "hostile");
    CHECK(status.code() == ErrorCode::kInvalidArgument);
    Result<UniqueFd> fd = folder.CreateFile(bad);
    REQUIRE_FALSE(fd.has_value());
    CHECK(fd.error().code() == ErrorCode::kInvalidArgument);
  }
  // Nothing escaped: the parent holds only the staging folder, and the
  // staging folder is empty.
  CHECK_FALSE(fs::exists(dir / "x"));
  CHECK_FALSE(fs::exists("/abs"));
  CHECK(Names(dir.path()) == std::set<std::string>{"export-parent"});
  CHECK(Names(folder.root()).empty());
  // A name that merely contains dots is fine.
  CHECK(folder.WriteFile("..a/b..c/.hidden", "ok").ok());
}

TEST_CASE("a StagedFolder refuses to write the same file twice and a missing parent folder") {
  TempDir dir;
  StagedFolder folder;
  REQUIRE(folder.Open(dir / "export", /*replace=*/false).ok());
  REQUIRE(folder.WriteFile("a.txt", "first").ok());
  Status again = folder.WriteFile("a.txt", "second");
  CHECK(again.code() == ErrorCode::kAlreadyExists);
  CHECK(ReadFileBytes(folder.root() / "a.txt") == "first");

  StagedFolder orphan;
  CHECK(orphan.Open(dir / "missing" / "export", /*replace=*/false).code() == ErrorCode::kNotFound);
  CHECK(orphan.Commit().code() == ErrorCode::kInternal);
}

// --- FileSet ----------------------------------------------------------------

TEST_CASE("a FileSet writes 3000 files without running out of descriptors and leaves no temp file") {
  TempDir dir;
  constexpr int kFiles = 3000;
  FdLimit limit(1024);
  const int fds_before = OpenFdCount();
  FileSet set;
  uint64_t bytes = 0;
  for (int i = 0; i < kFiles; ++i) {
    const std::string content = "BEGIN:VCARD\r\nUID:" + std::to_string(i) + "\r\nEND:VCARD\r\n";
    bytes += content.size();
    // Spread over several folders, some of which do not exist yet.
    Status status = set.Write(dir / ("vdir" + std::to_string(i % 7)) / (std::to_string(i) + ".vcf"), content);
    REQUIRE_MESSAGE(status.ok(), status.ToString());
  }
  CHECK(set.pending() == kFiles);
  CHECK(set.pending_bytes() == bytes);
  // At most the file being written and one descriptor per folder are open.
  CHECK(OpenFdCount() <= fds_before + 1 + 7);
  // Nothing is under a final name before Commit.
  CHECK_FALSE(fs::exists(dir / "vdir0" / "0.vcf"));
  Status status = set.Commit();
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  CHECK(set.pending() == 0);
  CHECK(set.pending_bytes() == 0);
  CHECK(OpenFdCount() == fds_before);
  for (int i = 0; i < kFiles; i += 97) {
    CAPTURE(i);
    CHECK(ReadFileBytes(dir / ("vdir" + std::to_string(i % 7)) / (std::to_string(i) + ".vcf")) ==
          "BEGIN:VCARD\r\nUID:" + std::to_string(i) + "\r\nEND:VCARD\r\n");
  }
  size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir.path())) count += entry.is_regular_file() ? 1 : 0;
  CHECK(count == kFiles);
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("a FileSet replaces an existing file on Commit") {
  TempDir dir;
  WriteFileBytes(dir / "a.ics", "old calendar");
  FileSet set;
  REQUIRE(set.Write(dir / "a.ics", "new calendar").ok());
  CHECK(ReadFileBytes(dir / "a.ics") == "old calendar");
  REQUIRE(set.Commit().ok());
  CHECK(ReadFileBytes(dir / "a.ics") == "new calendar");
  CHECK(Names(dir.path()) == std::set<std::string>{"a.ics"});
}

TEST_CASE("a FileSet that writes one path twice publishes the later content") {
  TempDir dir;
  FileSet set;
  REQUIRE(set.Write(dir / "a", "one").ok());
  REQUIRE(set.Write(dir / "a", "two").ok());
  REQUIRE(set.Commit().ok());
  CHECK(ReadFileBytes(dir / "a") == "two");
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    (void)entry;
    ++entries;
  }
  CHECK(entries == 1);
}

TEST_CASE("a FileSet abandoned removes its temp files and leaves existing files untouched") {
  TempDir dir;
  WriteFileBytes(dir / "keep.vcf", "old card");
  FileSet set;
  REQUIRE(set.Write(dir / "keep.vcf", "new card").ok());
  REQUIRE(set.Write(dir / "new.vcf", "another card").ok());
  Result<size_t> handle = set.Create(dir / "sub" / "streamed.vcf");
  REQUIRE(handle.has_value());
  REQUIRE(set.Append(*handle, "part 1, ").ok());
  REQUIRE(set.Append(*handle, "part 2").ok());
  CHECK(set.pending() == 3);
  CHECK(set.pending_bytes() == std::string("new cardanother cardpart 1, part 2").size());
  CHECK(Leftovers(dir.path()).size() == 3);
  set.Abandon();
  CHECK(set.pending() == 0);
  CHECK(set.pending_bytes() == 0);
  CHECK(Leftovers(dir.path()).empty());
  CHECK(ReadFileBytes(dir / "keep.vcf") == "old card");
  CHECK_FALSE(fs::exists(dir / "new.vcf"));
  CHECK_FALSE(fs::exists(dir / "sub" / "streamed.vcf"));
  // Committing after Abandon publishes nothing.
  REQUIRE(set.Commit().ok());
  CHECK(ReadFileBytes(dir / "keep.vcf") == "old card");
  CHECK_FALSE(fs::exists(dir / "new.vcf"));
}

TEST_CASE("a FileSet destroyed without Commit removes its temp files") {
  TempDir dir;
  WriteFileBytes(dir / "keep.vcf", "old card");
  {
    FileSet set;
    REQUIRE(set.Write(dir / "keep.vcf", "new card").ok());
    REQUIRE(set.Write(dir / "other.vcf", "other").ok());
  }
  CHECK(Names(dir.path()) == std::set<std::string>{"keep.vcf"});
  CHECK(ReadFileBytes(dir / "keep.vcf") == "old card");
}

TEST_CASE("a FileSet streams a file through Create and Append") {
  TempDir dir;
  FileSet set;
  Result<size_t> first = set.Create(dir / "one.txt");
  REQUIRE(first.has_value());
  REQUIRE(set.Append(*first, "one-a ").ok());
  REQUIRE(set.Append(*first, "one-b").ok());
  Result<size_t> second = set.Create(dir / "two.txt");
  REQUIRE(second.has_value());
  CHECK(*second != *first);
  REQUIRE(set.Append(*second, "two").ok());
  // The first file was closed by the second Create: it takes no more bytes.
  CHECK_FALSE(set.Append(*first, "late").ok());
  REQUIRE(set.Commit().ok());
  CHECK(ReadFileBytes(dir / "one.txt") == "one-a one-b");
  CHECK(ReadFileBytes(dir / "two.txt") == "two");
  CHECK(Names(dir.path()) == std::set<std::string>{"one.txt", "two.txt"});
}

TEST_CASE("every writer publishes a file whose name is 255 bytes, with temp names that fit in NAME_MAX") {
  TempDir dir;
  const std::string longest(255, 'n');
  const std::string latin1(254, '\xe9');
  {
    AtomicFile file;
    REQUIRE_MESSAGE(file.Open(dir / longest, /*replace=*/false).ok(), "AtomicFile");
    REQUIRE(file.Append("atomic").ok());
    REQUIRE(file.Commit().ok());
  }
  FileSet set;
  REQUIRE_MESSAGE(set.Write(dir / latin1, "set").ok(), "FileSet");
  REQUIRE(set.Commit().ok());
  {
    StagedFolder folder;
    REQUIRE_MESSAGE(folder.Open(dir / std::string(250, 's'), /*replace=*/false).ok(), "StagedFolder");
    REQUIRE(folder.WriteFile(longest, "staged").ok());
    REQUIRE(folder.Commit().ok());
  }
  CHECK(ReadFileBytes(dir / longest) == "atomic");
  CHECK(ReadFileBytes(dir / latin1) == "set");
  CHECK(ReadFileBytes(dir / std::string(250, 's') / longest) == "staged");
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("temp files of a dead process beside a 255-byte target are removed, and two long names keep theirs apart") {
  TempDir dir;
  const std::string a = std::string(200, 'x') + "a";
  const std::string b = std::string(200, 'x') + "b";
  // Leave what a killed writer of `a` leaves: take the temp name an
  // uncommitted AtomicFile of this process makes, then name it for a dead pid.
  std::string temp_of_a;
  {
    AtomicFile file;
    REQUIRE(file.Open(dir / a, /*replace=*/false).ok());
    const std::vector<std::string> left = Leftovers(dir.path());
    REQUIRE(left.size() == 1);
    temp_of_a = fs::path(left.front()).filename().string();
    CHECK(temp_of_a.size() <= 255);
    CHECK(temp_of_a.find(std::to_string(getpid())) != std::string::npos);
  }
  const std::string pid = std::to_string(getpid());
  std::string dead_temp = temp_of_a;
  dead_temp.replace(dead_temp.find(pid), pid.size(), std::to_string(DeadPid()));
  WriteFileBytes(dir / dead_temp, "left by a kill");
  // A writer of `b` (same first 200 bytes) leaves it alone: not its target.
  {
    AtomicFile file;
    REQUIRE(file.Open(dir / b, /*replace=*/false).ok());
    REQUIRE(file.Commit().ok());
  }
  CHECK(fs::exists(dir / dead_temp));
  // The next writer of `a` removes it.
  AtomicFile file;
  REQUIRE(file.Open(dir / a, /*replace=*/false).ok());
  REQUIRE(file.Commit().ok());
  CHECK_FALSE(fs::exists(dir / dead_temp));
  CHECK(Leftovers(dir.path()).empty());
}

TEST_CASE("a FileSet drops a file it could not write and still publishes the others") {
  TempDir dir;
  FileSet set;
  REQUIRE(set.Write(dir / "one.txt", "one").ok());
  Result<size_t> dropped = set.Create(dir / "dropped.txt");
  REQUIRE(dropped.has_value());
  REQUIRE(set.Append(*dropped, "half").ok());
  set.Discard(*dropped);
  WriteFileBytes(dir / "blocker", "a file where a folder should be");
  CHECK_FALSE(set.Write(dir / "blocker" / "three.txt", "three").ok());
  REQUIRE(set.Write(dir / "two.txt", "two").ok());
  REQUIRE(set.Commit().ok());
  CHECK(Names(dir.path()) == std::set<std::string>{"blocker", "one.txt", "two.txt"});
}

}  // namespace
}  // namespace holdfast::platform
