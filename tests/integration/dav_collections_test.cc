// DAV collections the user names (`holdfast remote map`) and items a server
// refuses, through the real holdfast binary against real servers (issue 14):
//   - Xandikos's pre-made calendar and address book (--defaults) as the
//     vault's events, tasks and contacts: events and tasks share one calendar
//     and neither is taken for the other's, through push, check, a wipe and a
//     verified recovery;
//   - a mapped calendar whose supported-calendar-component-set lacks the
//     kind's component is refused before anything is sent;
//   - Radicale refusing a vCard it cannot parse: the good ones are stored, the
//     bad one is named by push and by status (text and JSON) and stays in the
//     vault; once the device fixes it, the refusal is gone.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "platform/dav/multistatus.h"
#include "tests/support/dav_device.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using agent::kExitRemote;
using testing::DavServer;
using testing::DavServerKind;
using testing::ProcessResult;

std::string Card(const std::string& uid, const std::string& extra = "") {
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + uid + "\r\nFN:Person " + uid + "\r\nN:Person;" + uid + ";;;\r\n" +
         extra + "END:VCARD\r\n";
}

std::string Calendar(const std::string& component, const std::string& uid) {
  return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//holdfast test//EN\r\nBEGIN:" + component + "\r\nUID:" + uid +
         "\r\nDTSTAMP:20240101T120000Z\r\n" +
         (component == "VEVENT" ? "DTSTART:20240102T090000Z\r\nDTEND:20240102T100000Z\r\n" : "") + "SUMMARY:" + uid +
         "\r\nEND:" + component + "\r\nEND:VCALENDAR\r\n";
}

// A device whose vdirs hold one collection per source (a subfolder), a
// vault, and the server as a DAV remote named "dav".
struct Device : testing::DavDevice {
  explicit Device(DavServer& s) : DavDevice(s) { Require({"init"}); }

  // Source `name` of `kind` whose collection `collection` holds `files`.
  void AddSource(const std::string& kind, const std::string& name, const std::string& collection,
                 const std::vector<std::pair<std::string, std::string>>& files) {
    fs::create_directories(dir / name / collection);
    for (const auto& [file, text] : files) testing::WriteFileBytes(dir / name / collection / file, text);
    Require({"source", "add", "--kind", kind, (dir / name).string(), "--name", name});
  }
  void AddRemote() { DavDevice::AddRemote(server.url() + server.base_path()); }

  // The members of the collection at `path` (PROPFIND Depth 1, by curl and
  // the multistatus parser): their hrefs. Anything but a 207 fails the test.
  std::vector<std::string> Members(const std::string& path) { return DavDevice::Members(path, false); }
  size_t Count(const std::string& path, const std::string& text) {
    size_t n = 0;
    for (const std::string& href : Members(path)) n += href.find(text) != std::string::npos;
    return n;
  }
};

TEST_CASE("xandikos: events and tasks mapped to its one default calendar, contacts to its address book: push, "
          "healthy, wipe is lost, recover verifies, and neither kind is taken for the other") {
  DavServer server(DavServerKind::kXandikos);
  Device d(server);
  const std::string calendar = "/user/calendars/calendar/";
  const std::string book = "/user/contacts/addressbook/";
  // What the pre-made calendar says it takes (docs/dav.md: every Xandikos
  // calendar reports VEVENT VTODO VJOURNAL VFREEBUSY).
  std::string props;
  REQUIRE(d.Curl("PROPFIND", calendar, &props, {"-H", "Depth: 0"}) == "207");
  auto declared = platform::dav::ParseMultistatus(props);
  REQUIRE(declared);
  REQUIRE(!declared->responses.empty());
  const platform::dav::Properties* found = declared->responses.front().Found();
  REQUIRE(found != nullptr);
  if (found->components) {
    const auto& c = *found->components;
    REQUIRE(std::find(c.begin(), c.end(), "VEVENT") != c.end());
    REQUIRE(std::find(c.begin(), c.end(), "VTODO") != c.end());
  }

  d.AddSource("contacts", "contacts", "people", {{"a.vcf", Card("card-a")}, {"b.vcf", Card("card-b")}});
  d.AddSource("calendar", "calendar", "work",
              {{"e1.ics", Calendar("VEVENT", "event-1")}, {"e2.ics", Calendar("VEVENT", "event-2")}});
  d.AddSource("tasks", "tasks", "todo", {{"t1.ics", Calendar("VTODO", "task-1")}});
  d.Require({"capture"});
  d.AddRemote();
  const std::string base = server.url();
  d.Require({"remote", "map", "dav", "--source", "contacts", "--collection", "people", "--url", base + book});
  d.Require({"remote", "map", "dav", "--source", "calendar", "--collection", "work", "--url", base + calendar});
  d.Require({"remote", "map", "dav", "--source", "tasks", "--collection", "todo", "--url", base + calendar});
  const std::string config = testing::ReadFileBytes(d.config);
  CHECK(config.find("\"collections\"") != std::string::npos);
  ProcessResult listed = d.Holdfast({"remote", "list"});
  CHECK_MESSAGE(listed.out.find("tasks/todo -> " + base + calendar) != std::string::npos, listed.out);

  ProcessResult push = d.Holdfast({"push"});
  REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err + server.ReadLog()));
  CHECK(d.Count(calendar, "event-") == 2);
  CHECK(d.Count(calendar, "task-1") == 1);
  CHECK(d.Count(book, "card-") == 2);
  // Nothing made beside them: the mapped URLs are used, not discovery's homes.
  CHECK(d.Count("/user/calendars/", "holdfast-") == 0);
  CHECK(d.Count("/user/contacts/", "holdfast-") == 0);

  ProcessResult healthy = d.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));
  CHECK(healthy.out.find("lost") == std::string::npos);

  // Wiped while stopped: --defaults makes the calendar and the address book
  // again, empty.
  server.Stop();
  server.DeleteStorage();
  server.Start();
  CHECK(d.Members(calendar).empty());
  ProcessResult lost = d.Holdfast({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, (lost.out + lost.err));
  CHECK(lost.out.find("lost") != std::string::npos);

  ProcessResult recover = d.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err + server.ReadLog()));
  CHECK_MESSAGE(recover.out.find("VERIFIED") != std::string::npos, recover.out);
  CHECK(recover.out.find("NOT VERIFIED") == std::string::npos);
  CHECK(d.Count(calendar, "event-") == 2);
  CHECK(d.Count(calendar, "task-1") == 1);
  CHECK(d.Count(book, "card-") == 2);
  ProcessResult again = d.Holdfast({"check"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  // A second recovery's read-back deletes nothing of the other kind.
  ProcessResult reupload = d.Holdfast({"reupload"});
  CHECK_MESSAGE(reupload.exit_code == kExitOk, (reupload.out + reupload.err));
  CHECK(d.Count(calendar, "event-") == 2);
  CHECK(d.Count(calendar, "task-1") == 1);
}

// A uid that was an event (deleted on the device) and is now a task, in one
// calendar mapped for both: the events' read-back must not take the task for
// its own deleted event and delete it on the server.
TEST_CASE("xandikos: in a calendar mapped for events and tasks, a task is never deleted as the events' deleted item "
          "of the same uid") {
  DavServer server(DavServerKind::kXandikos);
  Device d(server);
  const std::string calendar = "/user/calendars/calendar/";
  // Tasks first: their collection is read back before the events'.
  d.AddSource("tasks", "tasks", "todo", {{"t1.ics", Calendar("VTODO", "task-1")}});
  d.AddSource("calendar", "calendar", "work", {{"dup.ics", Calendar("VEVENT", "dup")}});
  d.Require({"capture"});
  d.AddRemote();
  d.Require({"remote", "map", "dav", "--source", "tasks", "--collection", "todo", "--url", server.url() + calendar});
  d.Require({"remote", "map", "dav", "--source", "calendar", "--collection", "work", "--url", server.url() + calendar});
  d.Require({"push"});
  REQUIRE(d.Count(calendar, "/dup") == 1);

  fs::remove(d.dir / "calendar" / "work" / "dup.ics");
  testing::WriteFileBytes(d.dir / "calendar" / "work" / "e1.ics", Calendar("VEVENT", "event-1"));
  d.Require({"capture"});
  d.Require({"push"});
  REQUIRE(d.Count(calendar, "/dup") == 0);
  testing::WriteFileBytes(d.dir / "tasks" / "todo" / "dup.ics", Calendar("VTODO", "dup"));
  d.Require({"capture"});
  d.Require({"push"});
  REQUIRE(d.Count(calendar, "/dup") == 1);

  ProcessResult reupload = d.Holdfast({"reupload"});
  CHECK_MESSAGE(reupload.exit_code == kExitOk, (reupload.out + reupload.err));
  std::string held;
  CHECK(d.Curl("GET", calendar + "dup.ics", &held) == "200");
  CHECK_MESSAGE(held.find("BEGIN:VTODO") != std::string::npos, held);
  ProcessResult healthy = d.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));
}

TEST_CASE("radicale: tasks mapped to a calendar that takes only VEVENT are refused before anything is sent") {
  DavServer server(DavServerKind::kRadicale);
  Device d(server);
  const std::string events_only = server.base_path() + "events-only/";
  const std::string made = d.Curl(
      "MKCALENDAR", events_only, nullptr,
      {"-H", "Content-Type: application/xml", "--data",
       "<?xml version=\"1.0\"?><c:mkcalendar xmlns:d=\"DAV:\" xmlns:c=\"urn:ietf:params:xml:ns:caldav\"><d:set>"
       "<d:prop><c:supported-calendar-component-set><c:comp name=\"VEVENT\"/></c:supported-calendar-component-set>"
       "</d:prop></d:set></c:mkcalendar>"});
  REQUIRE(made == "201");
  d.AddSource("tasks", "tasks", "todo", {{"t1.ics", Calendar("VTODO", "task-1")}});
  d.Require({"capture"});
  d.AddRemote();
  d.Require({"remote", "map", "dav", "--source", "tasks", "--collection", "todo", "--url", server.url() + events_only});
  ProcessResult push = d.Holdfast({"push"});
  CHECK(push.exit_code != kExitOk);
  CHECK_MESSAGE(push.err.find("takes only VEVENT") != std::string::npos, push.err);
  CHECK_MESSAGE(push.err.find("not VTODO") != std::string::npos, push.err);
  CHECK(d.Members(events_only).empty());
}

TEST_CASE("radicale refuses a vCard it cannot parse: the good ones are stored, the refused one is named by push and "
          "status and stays in the vault until fixed") {
  DavServer server(DavServerKind::kRadicale);
  Device d(server);
  // An unterminated quoted parameter: Holdfast keeps the file, Radicale
  // answers 400 Bad Request.
  const std::string bad = Card("card-bad", "X-BROKEN;PARAM=\"unterminated:value\r\n");
  d.AddSource("contacts", "contacts", "people",
              {{"a.vcf", Card("card-a")}, {"b.vcf", Card("card-b")}, {"bad.vcf", bad}});
  d.Require({"capture"});
  REQUIRE_MESSAGE(d.Holdfast({"status", "--json"}).out.find("\"items\": 3") != std::string::npos,
                  d.Holdfast({"status"}).out);
  d.AddRemote();
  ProcessResult push = d.Holdfast({"push"});
  CHECK_MESSAGE(push.exit_code == kExitRemote, (push.out + push.err));
  CHECK_MESSAGE(push.out.find("card-bad") != std::string::npos, push.out);
  CHECK(push.out.find("400") != std::string::npos);
  CHECK(push.out.find("card-a") == std::string::npos);

  ProcessResult status = d.Holdfast({"status"});
  CHECK_MESSAGE(status.out.find("REFUSED by the server (1 items") != std::string::npos, status.out);
  CHECK(status.out.find("item 'card-bad' in contacts/people") != std::string::npos);
  CHECK(status.out.find("HTTP 400") != std::string::npos);
  nlohmann::json json = nlohmann::json::parse(d.Holdfast({"status", "--json"}).out, nullptr, false);
  REQUIRE(json.is_object());
  const nlohmann::json& refused = json["remotes"][0]["refused"];
  REQUIRE(refused.is_array());
  REQUIRE(refused.size() == 1);
  CHECK(refused[0]["uid"] == "card-bad");
  CHECK(refused[0]["collection"] == "people");
  CHECK(refused[0]["sha256"].get<std::string>().size() == 64);
  CHECK(refused[0]["reason"].get<std::string>().find("HTTP 400") == 0);
  CHECK(json["remotes"][0]["acknowledged"] == 2);

  ProcessResult healthy = d.Holdfast({"check"});
  CHECK_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));

  // Fixed on the device: stored, and the refusal is gone.
  testing::WriteFileBytes(d.dir / "contacts" / "people" / "bad.vcf", Card("card-bad"));
  d.Require({"capture"});
  ProcessResult fixed = d.Holdfast({"push"});
  CHECK_MESSAGE(fixed.exit_code == kExitOk, (fixed.out + fixed.err));
  CHECK(d.Holdfast({"status"}).out.find("REFUSED") == std::string::npos);
  nlohmann::json after = nlohmann::json::parse(d.Holdfast({"status", "--json"}).out, nullptr, false);
  CHECK(after["remotes"][0]["refused"].empty());
}

}  // namespace
}  // namespace holdfast
