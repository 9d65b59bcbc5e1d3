// Power cuts during the atomic writes of files outside SQLite
// (tests/crash/file_cut_shim.h): at every file event of each writer, under
// several seeds, the file or folder is afterwards the old one or the new one,
// whole, never a mix; and doing the work again gives the new one.
//   - platform::WriteFileAtomically replacing a file (the config file)
//   - export --format archive replacing an older archive (AtomicFile)
//   - export --format vdir --force replacing an older export (StagedFolder)
//   - restore-device writing missing and differing files (FileSet)
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>

#include "agent/archive/export.h"
#include "agent/device/restore.h"
#include "platform/files.h"
#include "storage/vault.h"
#include "tests/crash/crash_handset.h"
#include "tests/crash/file_cut_shim.h"
#include "tests/support/inventory.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

namespace fs = std::filesystem;
using storage::Vault;

constexpr int kCutExit = 42;

const UseTmpfsForTests use_tmpfs;

// A writer under test: runs in a child, in its own copy of the prepared folder.
struct Writer {
  std::string name;
  std::function<void(const fs::path& dir)> prepare;  // once, in the parent
  fs::path watched;                                   // relative to the run's folder
  std::function<std::string(const fs::path& dir)> write;  // "" or what went wrong
  // What is checked: the file or folder, as a map path -> bytes.
  std::function<std::map<std::string, std::string>(const fs::path& dir)> look;
};

// Runs `writer` in a child with the cut at `event` (0: none). Returns the
// child's exit code and, through a pipe, the events it counted.
std::pair<int, uint64_t> RunChild(const Writer& writer, const fs::path& dir, uint64_t event, uint64_t seed) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    FileCutPlan plan;
    plan.watched = dir / writer.watched;
    plan.cut_at_event = event;
    plan.seed = seed;
    ArmFileCuts(plan, [] { _exit(kCutExit); });
    std::string error = writer.write(dir);
    uint64_t events = FileCutEvents();
    DisarmFileCuts();
    std::string line = error.empty() ? std::to_string(events) : "error " + error;
    ssize_t ignored = ::write(fds[1], line.data(), line.size());
    (void)ignored;
    _exit(error.empty() ? 0 : 3);
  }
  close(fds[1]);
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fds[0], buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 3) FAIL_CHECK(writer.name << ": " << text);
  return {code, code == 0 ? std::strtoull(text.c_str(), nullptr, 10) : 0};
}

struct Figures {
  uint64_t events = 0;
  int cuts = 0;
  int old_whole = 0, new_whole = 0;
  std::vector<std::string> failures;
};

Figures CutEveryEvent(const Writer& writer, int seeds) {
  Figures figures;
  TempDir root;
  fs::path base = root / "base";
  fs::create_directories(base);
  writer.prepare(base);
  const auto before = writer.look(base);
  fs::path ref = root / "reference";
  fs::copy(base, ref, fs::copy_options::recursive);
  auto [code, events] = RunChild(writer, ref, 0, 0);
  REQUIRE(code == 0);
  const auto after = writer.look(ref);
  REQUIRE_MESSAGE(before != after, writer.name << ": the write changes nothing, so the test could not fail");
  figures.events = events;
  int run = 0;
  for (uint64_t event = 1; event <= events; ++event) {
    for (int k = 0; k < seeds; ++k) {
      uint64_t seed = k < 2 ? static_cast<uint64_t>(k) : 2 + event * 17 + static_cast<uint64_t>(k);
      fs::path dir = root / ("run" + std::to_string(++run));
      fs::copy(base, dir, fs::copy_options::recursive);
      auto [cut_code, ignored] = RunChild(writer, dir, event, seed);
      (void)ignored;
      std::string where = writer.name + " event " + std::to_string(event) + " seed " + std::to_string(seed);
      if (cut_code != kCutExit) figures.failures.push_back(where + ": the child was not cut (exit " + std::to_string(cut_code) + ")");
      ++figures.cuts;
      auto now = writer.look(dir);
      if (now == before) {
        ++figures.old_whole;
      } else if (now == after) {
        ++figures.new_whole;
      } else {
        // Per file for a folder of independent files (restore): each old or new.
        bool each_whole = true;
        std::map<std::string, std::string> keys;
        for (const std::map<std::string, std::string>* m :
             std::initializer_list<const std::map<std::string, std::string>*>{&before, &after, &now}) {
          for (const auto& entry : *m) keys[entry.first];
        }
        for (const auto& [path, unused] : keys) {
          auto get = [&path](const std::map<std::string, std::string>& m) -> std::optional<std::string> {
            auto it = m.find(path);
            return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
          };
          if (get(now) != get(before) && get(now) != get(after)) each_whole = false;
        }
        if (!each_whole || writer.name.find("restore") == std::string::npos) {
          figures.failures.push_back(where + ": neither the old nor the new content, whole");
        }
      }
      auto [again, unused_events] = RunChild(writer, dir, 0, 0);
      (void)unused_events;
      if (again != 0 || writer.look(dir) != after) figures.failures.push_back(where + ": doing it again did not give the new content");
      fs::remove_all(dir);
    }
  }
  std::cout << "file cuts: " << writer.name << ": " << figures.events << " file events, " << figures.cuts
            << " cuts, old whole " << figures.old_whole << ", new whole " << figures.new_whole << ", failures "
            << figures.failures.size() << "\n";
  return figures;
}

void Report(const Figures& figures) {
  for (size_t i = 0; i < figures.failures.size() && i < 5; ++i) MESSAGE(figures.failures[i]);
  CHECK(figures.failures.empty());
  CHECK(figures.cuts > 0);
}

int Seeds() {
  const char* env = std::getenv("HOLDFAST_POWER_CUT_SEEDS");
  return env != nullptr && std::atoi(env) > 0 ? std::atoi(env) + 2 : 4;
}

std::map<std::string, std::string> OneFile(const fs::path& path) {
  std::map<std::string, std::string> m;
  if (fs::exists(path)) m[path.filename().string()] = ReadFileBytes(path);
  return m;
}

// Visible files only: temp names are hidden and allowed to be left behind.
std::map<std::string, std::string> VisibleTree(const fs::path& root) {
  std::map<std::string, std::string> m;
  if (!fs::exists(root)) return m;
  for (const auto& [path, bytes] : TreeBytes(root)) {
    bool hidden = false;
    for (const auto& part : fs::path(path)) hidden = hidden || part.string().rfind(".", 0) == 0;
    if (!hidden) m[path] = bytes;
  }
  return m;
}

std::string Failed(const Status& status) { return status.ok() ? "" : status.ToString(); }

TEST_CASE("a file written atomically is old or new, whole, after a power cut at any step") {
  Writer w;
  w.name = "WriteFileAtomically";
  w.watched = "box";
  w.prepare = [](const fs::path& dir) {
    fs::create_directories(dir / "box");
    WriteFileBytes(dir / "box" / "config.json", "{\"old\": \"" + std::string(5000, 'o') + "\"}\n");
  };
  w.write = [](const fs::path& dir) {
    return Failed(platform::WriteFileAtomically(dir / "box" / "config.json", "{\"new\": \"" + std::string(9000, 'n') + "\"}\n"));
  };
  w.look = [](const fs::path& dir) { return OneFile(dir / "box" / "config.json"); };
  Report(CutEveryEvent(w, Seeds()));
}

// Two exports of the same vault: before (handset step 1) and after (step 2).
void PrepareExport(const fs::path& dir, agent::ExportFormat format, const fs::path& target) {
  MakeCapturedVault(dir, 1);
  fs::create_directories(dir / "out");
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  REQUIRE(vault);
  agent::ExportOptions options;
  options.format = format;
  options.to = dir / "out" / target;
  auto exported = agent::Export(**vault, options);
  REQUIRE_MESSAGE(exported, (exported ? "" : exported.error().ToString()));
  vault->reset();
  MakeCapturedVault(dir, 2);
}

std::string ExportAgain(const fs::path& dir, agent::ExportFormat format, const fs::path& target) {
  auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
  if (!vault) return vault.error().ToString();
  agent::ExportOptions options;
  options.format = format;
  options.to = dir / "out" / target;
  options.force = true;
  options.now_ms = kCrashNowMs;
  auto exported = agent::Export(**vault, options);
  return exported ? "" : exported.error().ToString();
}

TEST_CASE("an archive export replacing an older one is old or new, whole, after a power cut at any step") {
  Writer w;
  w.name = "export archive (AtomicFile)";
  w.watched = "out";
  w.prepare = [](const fs::path& dir) { PrepareExport(dir, agent::ExportFormat::kArchive, "backup.tar"); };
  w.write = [](const fs::path& dir) { return ExportAgain(dir, agent::ExportFormat::kArchive, "backup.tar"); };
  w.look = [](const fs::path& dir) { return OneFile(dir / "out" / "backup.tar"); };
  Report(CutEveryEvent(w, Seeds()));
}

TEST_CASE("a vdir export replacing an older one is the old or the new folder, whole, after a power cut at any step") {
  Writer w;
  w.name = "export vdir (StagedFolder)";
  w.watched = "out";
  w.prepare = [](const fs::path& dir) { PrepareExport(dir, agent::ExportFormat::kVdir, "folder"); };
  w.write = [](const fs::path& dir) { return ExportAgain(dir, agent::ExportFormat::kVdir, "folder"); };
  w.look = [](const fs::path& dir) { return VisibleTree(dir / "out" / "folder"); };
  Report(CutEveryEvent(w, Seeds()));
}

TEST_CASE("restore-device leaves each device file old or new, whole, after a power cut at any step") {
  Writer w;
  w.name = "restore-device (FileSet)";
  w.watched = "handset";
  w.prepare = [](const fs::path& dir) {
    MakeCapturedVault(dir, 2);
    // The reset: files gone, one changed on the device since.
    fs::remove(dir / "handset" / "contacts" / "personal" / "contact-0.vcf");
    fs::remove(dir / "handset" / "calendars" / "home" / "event-1.ics");
    fs::remove(dir / "handset" / "photos" / "DCIM" / "b.jpg");
    WriteFileBytes(dir / "handset" / "tasks" / "todo" / "task-0.ics", Calendar("VTODO", "task-0", "Edited since"));
  };
  w.write = [](const fs::path& dir) -> std::string {
    auto vault = Vault::Open(dir / "vault.db", Vault::OpenMode::kExisting);
    if (!vault) return vault.error().ToString();
    agent::RestoreOptions options;
    options.overwrite = true;
    auto report = agent::RestoreDevice(**vault, HandsetConfig(dir / "handset"), options);
    if (!report) return report.error().ToString();
    return report->ok() ? "" : "a source failed to restore";
  };
  w.look = [](const fs::path& dir) { return VisibleTree(dir / "handset"); };
  Report(CutEveryEvent(w, Seeds()));
}

TEST_CASE("negative control: a plain overwrite in place is caught as a mix of old and new") {
  Writer w;
  w.name = "overwrite in place (no temp file, no fsync)";
  w.watched = "box";
  w.prepare = [](const fs::path& dir) {
    fs::create_directories(dir / "box");
    WriteFileBytes(dir / "box" / "config.json", std::string(5000, 'o'));
  };
  w.write = [](const fs::path& dir) -> std::string {
    const std::string bytes(9000, 'n');
    int fd = open((dir / "box" / "config.json").c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) return "open failed";
    for (size_t done = 0; done < bytes.size(); done += 1000) {
      if (::write(fd, bytes.data() + done, 1000) != 1000) return "write failed";
    }
    close(fd);
    return "";
  };
  w.look = [](const fs::path& dir) { return OneFile(dir / "box" / "config.json"); };
  Figures figures = CutEveryEvent(w, Seeds());
  CHECK(figures.cuts > 0);
  CHECK_MESSAGE(!figures.failures.empty(), "the shim found nothing wrong with a non-atomic overwrite: it is broken");
}

}  // namespace
}  // namespace holdfast::testing
