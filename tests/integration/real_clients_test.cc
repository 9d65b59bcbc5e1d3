// khard, khal and todoman (the Debian packages, installed by tools/dev.sh) read
// what `holdfast restore-device` wrote back into an emptied address book,
// calendar and task list of a generated handset.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "agent/exit_codes.h"
#include "tests/support/handset.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using testing::ProcessResult;
using testing::ReadFileBytes;
using testing::RunProcess;
using testing::TempDir;
using testing::WriteFileBytes;

constexpr const char* kKhard = "/usr/bin/khard";
constexpr const char* kKhal = "/usr/bin/khal";
constexpr const char* kTodoman = "/usr/bin/todoman";

// The generated events of the small profile start between 2016 and 2025 (the
// generator does not read the clock); `khal list --once` prints each event of
// this range once. khal parses every instance of a recurring event, day by day:
// these ten years take it about 15 s, a range of decades much longer.
constexpr const char* kFirstDay = "2016-01-01";
constexpr const char* kLastDay = "2026-01-01";

using testing::FilesIn;
using testing::Handset;

// The content lines of a vCard or iCalendar file, unfolded, without CR.
std::vector<std::string> ContentLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !lines.empty()) {
      lines.back() += line.substr(1);
    } else {
      lines.push_back(line);
    }
  }
  return lines;
}

// True for a vCard 2.1 with a quoted-printable soft line break (a line ending
// in '='). khard 0.18 reads cards with vobject.readOne(allowQP=False), which
// does not join such lines: a break inside a UTF-8 sequence raises a
// UnicodeDecodeError that aborts the whole `khard list`, even with
// --skip-unparsable; other breaks make the card unparsable.
bool HasSoftLineBreak(const std::string& card) {
  for (const std::string& line : ContentLines(card)) {
    std::string upper = line;
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
    if (upper.find("QUOTED-PRINTABLE") != std::string::npos && line.back() == '=') return true;
  }
  return false;
}

// The value of the first line starting with `prefix` (e.g. "SUMMARY:") directly
// in the named component ("VCARD", "VEVENT", "VTODO"), or "" when there is none
// or it has escapes (the clients print them unescaped).
std::string PlainValue(const std::string& text, const std::string& component, const std::string& prefix) {
  std::vector<std::string> open;
  for (const std::string& line : ContentLines(text)) {
    if (line.rfind("BEGIN:", 0) == 0) {
      open.push_back(line.substr(6));
    } else if (line.rfind("END:", 0) == 0) {
      if (!open.empty()) open.pop_back();
    } else if (!open.empty() && open.back() == component && line.rfind(prefix, 0) == 0) {
      std::string value = line.substr(prefix.size());
      return value.find('\\') == std::string::npos ? value : "";
    }
  }
  return "";
}

std::vector<std::string> SortedLines(const std::string& out) {
  std::vector<std::string> lines;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

bool Contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::binary_search(lines.begin(), lines.end(), line);
}

// khard, khal and todoman configured for one address book, one calendar and
// the task lists of the handset, run with HOME, XDG folders and caches in a
// temp dir and nothing else from this process's environment.
class Clients {
 public:
  Clients(const fs::path& address_book, const fs::path& calendar, const fs::path& task_lists) {
    for (const char* bin : {kKhard, kKhal, kTodoman}) {
      REQUIRE_MESSAGE(fs::exists(bin), bin << " is missing: tools/dev.sh installs khard, khal and todoman");
    }
    fs::create_directories(home_ / ".config");
    WriteFileBytes(khard_config_, "[addressbooks]\n[[personal]]\npath = " + address_book.string() +
                                      "\n[contact table]\ndisplay = formatted_name\n");
    WriteFileBytes(khal_config_, "[calendars]\n[[home]]\npath = " + calendar.string() +
                                     "\ntype = calendar\n"
                                     "[sqlite]\npath = " +
                                     (home_ / "khal.db").string() +
                                     "\n[locale]\n"
                                     "timeformat = %H:%M\ndateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\n"
                                     "datetimeformat = %Y-%m-%d %H:%M\nlongdatetimeformat = %Y-%m-%d %H:%M\n"
                                     "local_timezone = UTC\ndefault_timezone = UTC\n"
                                     "[default]\ndefault_calendar = home\n");
    // todoman's configuration is Python, loaded only from a file named *.py.
    WriteFileBytes(todoman_config_, "path = \"" + (task_lists / "*").string() +
                                        "\"\ndate_format = \"%Y-%m-%d\"\ntime_format = \"%H:%M\"\n"
                                        "cache_path = \"" +
                                        (home_ / "todoman.sqlite").string() + "\"\n");
  }

  // `khard list --parsable`: "UID<TAB>FN<TAB>address book" lines, sorted.
  std::vector<std::string> KhardContacts() const {
    ProcessResult listed = Run({kKhard, "-c", khard_config_.string(), "list", "--parsable"});
    // khard lists no contact with exit status 1 and, with --parsable, no word.
    if (listed.exit_code == 1 && listed.out.empty() && listed.err.empty()) return {};
    CHECK_MESSAGE(listed.exit_code == 0, listed.err);
    return SortedLines(listed.out);
  }

  // `khal list --once` over the handset's years: "UID<TAB>title" lines, sorted.
  std::vector<std::string> KhalEvents() const {
    ProcessResult listed = Run({kKhal, "-c", khal_config_.string(), "list", "--once", "--day-format", "",
                                "--format", "{uid}\t{title}", kFirstDay, kLastDay});
    CHECK_MESSAGE(listed.exit_code == 0, listed.err);
    return SortedLines(listed.out);
  }

  // `todoman --porcelain list --status ANY`: one JSON object per task, without
  // todoman's cache id (renumbered when tasks leave and come back), sorted.
  std::vector<std::string> TodomanTasks() const {
    ProcessResult listed =
        Run({kTodoman, "--config", todoman_config_.string(), "--porcelain", "list", "--status", "ANY"});
    CHECK_MESSAGE(listed.exit_code == 0, listed.err);
    nlohmann::json tasks = nlohmann::json::parse(listed.out, nullptr, false);
    CHECK_MESSAGE(tasks.is_array(), listed.out);
    if (!tasks.is_array()) return {};
    std::vector<std::string> lines;
    for (nlohmann::json& task : tasks) {
      task.erase("id");
      lines.push_back(task.dump());
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }

 private:
  ProcessResult Run(std::vector<std::string> args) const {
    const std::string home = home_.string();
    args.insert(args.begin(),
                {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "TZ=UTC", "HOME=" + home,
                 "XDG_CONFIG_HOME=" + home + "/.config", "XDG_DATA_HOME=" + home + "/.local/share",
                 "XDG_CACHE_HOME=" + home + "/.cache", "XDG_CONFIG_DIRS=" + home + "/.config"});
    return RunProcess(args);
  }

  TempDir dir_;
  fs::path home_ = dir_ / "home";
  fs::path khard_config_ = dir_ / "khard.conf";
  fs::path khal_config_ = dir_ / "khal.conf";
  fs::path todoman_config_ = dir_ / "todoman.py";
};

// What each client must list for the files of a folder: the khard line of each
// card with a plain FN and a UID, the khal line of each event with a plain
// SUMMARY, the summary of each task.
std::vector<std::string> ExpectedContacts(const fs::path& folder) {
  std::vector<std::string> lines;
  for (const fs::path& file : FilesIn(folder)) {
    const std::string card = ReadFileBytes(file);
    const std::string uid = PlainValue(card, "VCARD", "UID:");
    const std::string name = PlainValue(card, "VCARD", "FN:");
    if (!uid.empty() && !name.empty()) lines.push_back(uid + "\t" + name + "\t" + folder.filename().string());
  }
  return lines;
}

std::vector<std::string> ExpectedEvents(const fs::path& folder) {
  std::vector<std::string> lines;
  for (const fs::path& file : FilesIn(folder)) {
    const std::string calendar = ReadFileBytes(file);
    const std::string uid = PlainValue(calendar, "VEVENT", "UID:");
    const std::string summary = PlainValue(calendar, "VEVENT", "SUMMARY:");
    if (!uid.empty() && !summary.empty()) lines.push_back(uid + "\t" + summary);
  }
  return lines;
}

std::vector<std::string> ExpectedTaskSummaries(const fs::path& folder) {
  std::vector<std::string> summaries;
  for (const fs::path& file : FilesIn(folder)) {
    const std::string summary = PlainValue(ReadFileBytes(file), "VTODO", "SUMMARY:");
    if (!summary.empty()) summaries.push_back(summary);
  }
  return summaries;
}

// How many of the expected lines (or, for tasks, summaries in a list) a
// listing holds.
size_t Found(const std::vector<std::string>& listed, const std::vector<std::string>& expected) {
  return static_cast<size_t>(std::count_if(expected.begin(), expected.end(),
                                           [&](const std::string& line) { return Contains(listed, line); }));
}

size_t FoundTasks(const std::vector<std::string>& listed, const std::string& list,
                  const std::vector<std::string>& summaries) {
  std::multiset<std::string> in_list;
  for (const std::string& line : listed) {
    nlohmann::json task = nlohmann::json::parse(line);
    if (task["list"] == list) in_list.insert(task["summary"].get<std::string>());
  }
  return static_cast<size_t>(std::count_if(summaries.begin(), summaries.end(),
                                           [&](const std::string& s) { return in_list.count(s) > 0; }));
}

TEST_CASE("khard, khal and todoman list the address book, calendar and task list restore-device wrote back") {
  Handset h;
  const fs::path address_book = h.tree / "contacts/personal";
  const fs::path calendar = h.tree / "calendars/home";
  std::vector<fs::path> lists;
  for (const auto& entry : fs::directory_iterator(h.tree / "tasks")) {
    if (entry.is_directory()) lists.push_back(entry.path());
  }
  std::sort(lists.begin(), lists.end());
  REQUIRE(!lists.empty());
  const fs::path task_list = lists[0];
  const std::string list_name = task_list.filename().string();

  // Cards khard cannot read (a limit of khard, see HasSoftLineBreak) leave the
  // device before the first capture, so that `khard list` runs at all.
  const fs::path set_aside = h.dir / "set-aside";
  fs::create_directories(set_aside);
  size_t cards_set_aside = 0;
  for (const fs::path& card : FilesIn(address_book)) {
    if (HasSoftLineBreak(ReadFileBytes(card))) {
      fs::rename(card, set_aside / card.filename());
      ++cards_set_aside;
    }
  }
  MESSAGE(cards_set_aside << " vCard 2.1 files with soft line breaks set aside for khard");
  ProcessResult capture = h.Holdfast({"capture"});
  REQUIRE_MESSAGE(capture.exit_code == kExitOk, (capture.out + capture.err));

  Clients clients(address_book, calendar, h.tree / "tasks");
  const std::vector<std::string> contacts = clients.KhardContacts();
  const std::vector<std::string> events = clients.KhalEvents();
  const std::vector<std::string> tasks = clients.TodomanTasks();
  MESSAGE("before: khard lists " << contacts.size() << " contacts of " << FilesIn(address_book).size()
                                 << " files, khal " << events.size() << " events of " << FilesIn(calendar).size()
                                 << ", todoman " << tasks.size() << " tasks of " << FilesIn(task_list).size());
  REQUIRE(contacts.size() > 10);
  REQUIRE(events.size() > 10);
  REQUIRE(tasks.size() > 10);

  // Names read from the files, listed by the clients before the loss.
  const std::vector<std::string> names = ExpectedContacts(address_book);
  const std::vector<std::string> titles = ExpectedEvents(calendar);
  const std::vector<std::string> summaries = ExpectedTaskSummaries(task_list);
  REQUIRE(names.size() > 10);
  REQUIRE(titles.size() > 10);
  REQUIRE(summaries.size() > 10);
  REQUIRE(Found(contacts, names) == names.size());
  REQUIRE(Found(events, titles) == titles.size());
  REQUIRE(FoundTasks(tasks, list_name, summaries) == summaries.size());

  // The loss: every file of the address book, the calendar and the task list.
  std::vector<size_t> removed;
  for (const fs::path& folder : {address_book, calendar, task_list}) {
    removed.push_back(0);
    for (const fs::path& file : FilesIn(folder)) removed.back() += fs::remove(file) ? 1 : 0;
  }
  const std::vector<std::string> contacts_lost = clients.KhardContacts();
  const std::vector<std::string> events_lost = clients.KhalEvents();
  const std::vector<std::string> tasks_lost = clients.TodomanTasks();
  CHECK(contacts_lost.size() < contacts.size());
  CHECK(events_lost.size() < events.size());
  CHECK(tasks_lost.size() < tasks.size());
  CHECK(Found(contacts_lost, names) == 0);
  CHECK(Found(events_lost, titles) == 0);
  CHECK(FoundTasks(tasks_lost, list_name, summaries) == 0);

  ProcessResult guarded = h.Holdfast({"capture"});
  CHECK_MESSAGE(guarded.exit_code == kExitAttention, (guarded.out + guarded.err));
  CHECK_MESSAGE(guarded.out.find("SOURCE LOSS SUSPECTED in 'personal'") != std::string::npos, guarded.out);
  CHECK_MESSAGE(guarded.out.find("SOURCE LOSS SUSPECTED in 'home'") != std::string::npos, guarded.out);
  CHECK_MESSAGE(guarded.out.find("SOURCE LOSS SUSPECTED in '" + list_name + "'") != std::string::npos,
                guarded.out);

  ProcessResult restored = h.Holdfast({"restore-device"});
  REQUIRE_MESSAGE(restored.exit_code == kExitOk, (restored.out + restored.err));
  CHECK_MESSAGE(
      restored.out.find("contacts: wrote " + std::to_string(removed[0]) + " missing files") != std::string::npos,
      restored.out);
  CHECK_MESSAGE(
      restored.out.find("calendars: wrote " + std::to_string(removed[1]) + " missing files") != std::string::npos,
      restored.out);
  CHECK_MESSAGE(
      restored.out.find("tasks: wrote " + std::to_string(removed[2]) + " missing files") != std::string::npos,
      restored.out);

  // What the clients list now is what they listed before the loss.
  const std::vector<std::string> contacts_back = clients.KhardContacts();
  const std::vector<std::string> events_back = clients.KhalEvents();
  const std::vector<std::string> tasks_back = clients.TodomanTasks();
  CHECK(contacts_back.size() == contacts.size());
  CHECK(events_back.size() == events.size());
  CHECK(tasks_back.size() == tasks.size());
  CHECK(contacts_back == contacts);
  CHECK(events_back == events);
  CHECK(tasks_back == tasks);
  CHECK(Found(contacts_back, names) == names.size());
  CHECK(Found(events_back, titles) == titles.size());
  CHECK(FoundTasks(tasks_back, list_name, summaries) == summaries.size());

  // The restore cleared the alerts: the next capture finds nothing missing.
  ProcessResult after = h.Holdfast({"capture"});
  CHECK_MESSAGE(after.exit_code == kExitOk, (after.out + after.err));
}

}  // namespace
}  // namespace holdfast
