// Wipes as they happen to real CardDAV servers (issue 14; docs/dav.md,
// "Wipes: what a client sees"), through the real holdfast binary, against
// Radicale and Xandikos each:
//   - the storage deleted while the server runs: Radicale answers 500 to
//     everything (unknown, never healthy or empty) until restarted, then the
//     loss shows and recovery verifies; Xandikos shows the loss at once, but
//     takes no writes until restarted (the recovery fails as unknown and
//     claims nothing), then recovery verifies;
//   - the storage replaced by an older copy, while running and while
//     stopped: the check names the items lost (missing, or held in an earlier
//     version this device had), says the server no longer knows the sync
//     token, and recovery puts the current content back, verified;
//   - change markers: a collection whose sync token and CTag are as recorded
//     is healthy without its inventory being listed (counted in the server's
//     log), and a change by someone else makes the check list it again;
//   - another client's edit is reported as a conflict, not a loss, and
//     nothing overwrites it;
//   - a push killed before its acknowledgements were recorded is no loss.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "agent/exit_codes.h"
#include "tests/support/dav_device.h"

namespace holdfast {
namespace {

namespace fs = std::filesystem;
using agent::kExitAttention;
using agent::kExitOk;
using agent::kExitRemote;
using testing::DavServerKind;
using testing::ProcessResult;

// vCard 3.0 that Radicale re-serialises (a long line, an escaped ';'):
// every comparison must go by "the same item", not bytes.
std::string Card(int i, const std::string& fn = "") {
  const std::string name = fn.empty() ? "Person " + std::to_string(i) : fn;
  return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:card-" + std::to_string(i) + "\r\nFN:" + name + "\r\nN:Person;" +
         std::to_string(i) + ";;;\r\nTEL;TYPE=CELL:+4930123456" + std::to_string(i) +
         "\r\nNOTE:a note long enough to be folded by a server that folds lines at seventy-five octets\\; "
         "with an escaped semicolon\r\nEND:VCARD\r\n";
}

// A device with a contacts vdir of `cards` cards, a vault, and the server as
// a DAV remote.
struct Device : testing::DavDevice {
  Device(DavServerKind kind, int cards) : DavDevice(kind) {
    fs::create_directories(dir / "contacts");
    for (int i = 0; i < cards; ++i) WriteCard(i);
    Require({"init"});
    Require({"source", "add", "--kind", "contacts", (dir / "contacts").string(), "--name", "contacts"});
    Capture();
    AddRemote(server.url() + server.base_path());
  }

  void WriteCard(int i, const std::string& fn = "") {
    testing::WriteFileBytes(dir / "contacts" / ("c" + std::to_string(i) + ".vcf"), Card(i, fn));
  }
  void Capture() { Require({"capture"}); }
  void Push() {
    ProcessResult push = Holdfast({"push"});
    REQUIRE_MESSAGE(push.exit_code == kExitOk, (push.out + push.err + server.ReadLog()));
  }

  std::string Home() const {
    return server.kind() == DavServerKind::kXandikos ? "/user/contacts/" : server.base_path();
  }

  // The paths PROPFIND Depth 1 lists under `path` (not counting itself).
  // 404 is "nothing there"; any other answer than 207 fails the test.
  std::vector<std::string> List(const std::string& path) {
    std::vector<std::string> paths;
    for (const std::string& href : Propfind(path, true)) {
      const size_t at = href.find(path);
      if (at == std::string::npos || href.size() - at <= path.size()) continue;
      paths.push_back(href.substr(at));
    }
    return paths;
  }

  // The address book Holdfast made (holdfast-contact-...), "" when none.
  std::string Book() {
    for (const std::string& path : List(Home())) {
      if (path.find("holdfast-contact-") != std::string::npos) return path;
    }
    return "";
  }

  // How often the server's log names a PROPFIND on `path` (the inventory
  // listing; the home sets' listing names another path).
  size_t Propfinds(const std::string& path) const {
    const std::string log = server.ReadLog();
    size_t count = 0;
    size_t line_start = 0;
    while (line_start < log.size()) {
      size_t end = log.find('\n', line_start);
      if (end == std::string::npos) end = log.size();
      const std::string line = log.substr(line_start, end - line_start);
      if (line.find("PROPFIND") != std::string::npos &&
          (line.find("'" + path + "'") != std::string::npos || line.find(" " + path + " ") != std::string::npos)) {
        ++count;
      }
      line_start = end + 1;
    }
    return count;
  }
};

// The radicale log must name requests for Propfinds to count anything.
void RequireRequestLog(Device& d, const std::string& book) {
  REQUIRE_MESSAGE(d.Propfinds(book) > 0, "the server's log names no PROPFIND on " << book << ":\n" << d.server.ReadLog());
}

void DeletedWhileRunning(DavServerKind kind) {
  Device d(kind, 3);
  CAPTURE(d.server.name());
  d.Push();
  ProcessResult healthy = d.Holdfast({"check"});
  REQUIRE_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));

  d.server.DeleteStorage();
  if (kind == DavServerKind::kRadicale) {
    // 500 to every request until restarted: unknown, never healthy or empty.
    ProcessResult unknown = d.Holdfast({"check"});
    CHECK_MESSAGE(unknown.exit_code == kExitRemote, (unknown.out + unknown.err));
    CHECK(unknown.out.find("UNKNOWN") != std::string::npos);
    CHECK(unknown.out.find("healthy") == std::string::npos);
    CHECK(unknown.out.find("lost") == std::string::npos);
    ProcessResult refused = d.Holdfast({"recover"});
    CHECK(refused.exit_code == kExitRemote);
    CHECK(refused.err.find("no recovery started") != std::string::npos);
    d.server.Stop();
    d.server.Start();
  }
  ProcessResult lost = d.Holdfast({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, (lost.out + lost.err));
  CHECK(lost.out.find("lost") != std::string::npos);
  for (const char* uid : {"'card-0'", "'card-1'", "'card-2'"}) CHECK_MESSAGE(lost.out.find(uid) != std::string::npos, lost.out);

  if (kind == DavServerKind::kXandikos) {
    // Running on, Xandikos has lost the principal and home sets too and
    // takes no writes (MKCOL 409, PUT 404): the recovery fails as unknown,
    // claims nothing, and resumes once the server was restarted.
    ProcessResult failed = d.Holdfast({"recover"});
    CHECK_MESSAGE(failed.exit_code == kExitRemote, (failed.out + failed.err));
    CHECK(failed.out.find("VERIFIED") == std::string::npos);
    CHECK(failed.err.find("resumes next time") != std::string::npos);
    d.server.Stop();
    d.server.Start();
  }
  ProcessResult recover = d.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err + d.server.ReadLog()));
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  const std::string book = d.Book();
  REQUIRE(!book.empty());
  CHECK(d.List(book).size() == 3);
  ProcessResult again = d.Holdfast({"check"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  CHECK(again.out.find("healthy") != std::string::npos);
}

TEST_CASE("radicale: storage deleted while it runs is unknown (500) until restarted, then lost, and recovery verifies") {
  DeletedWhileRunning(DavServerKind::kRadicale);
}

TEST_CASE("xandikos: storage deleted while it runs is lost at once; recovery fails as unknown until it is restarted, then verifies") {
  DeletedWhileRunning(DavServerKind::kXandikos);
}

// The older copy holds card-0 and card-1 as first pushed; since then card-2
// and card-3 were added and card-0 changed on the device and pushed.
void OlderCopy(DavServerKind kind, bool while_stopped) {
  Device d(kind, 2);
  CAPTURE(d.server.name());
  CAPTURE(while_stopped);
  d.Push();
  const fs::path older = d.dir / "older-copy";
  d.server.SaveStorage(older);
  d.WriteCard(2);
  d.WriteCard(3);
  d.WriteCard(0, "Changed On Device");
  d.Capture();
  d.Push();
  ProcessResult healthy = d.Holdfast({"check"});
  REQUIRE_MESSAGE(healthy.exit_code == kExitOk, (healthy.out + healthy.err));
  REQUIRE(healthy.out.find("healthy") != std::string::npos);

  if (while_stopped) {
    d.server.Stop();
    d.server.RestoreStorage(older);
    d.server.Start();
  } else {
    d.server.RestoreStorage(older);
  }
  ProcessResult lost = d.Holdfast({"check"});
  CHECK_MESSAGE(lost.exit_code == kExitAttention, (lost.out + lost.err));
  CHECK(lost.out.find("3 of 4 acknowledged items are missing or differ") != std::string::npos);
  CHECK_MESSAGE(lost.out.find("1 held in an earlier version this device had") != std::string::npos, lost.out);
  for (const char* uid : {"lost 'card-0'", "lost 'card-2'", "lost 'card-3'"}) {
    CHECK_MESSAGE(lost.out.find(uid) != std::string::npos, lost.out);
  }
  CHECK(lost.out.find("'card-1'") == std::string::npos);
  // The token recorded for the newer state is unknown to the older copy.
  CHECK_MESSAGE(lost.out.find("no longer knows the sync token") != std::string::npos, lost.out);
  ProcessResult json = d.Holdfast({"check", "--json"});
  CHECK(json.exit_code == kExitAttention);
  CHECK_MESSAGE(json.out.find("\"sync_token_unknown\":true") != std::string::npos, json.out);
  CHECK(json.out.find("{\"state\":\"lost\",\"uid\":\"card-0\"}") != std::string::npos);

  ProcessResult recover = d.Holdfast({"recover"});
  REQUIRE_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err + d.server.ReadLog()));
  CHECK(recover.out.find("VERIFIED") != std::string::npos);
  CHECK_MESSAGE(recover.out.find("REFUSED") == std::string::npos, recover.out);
  const std::string book = d.Book();
  REQUIRE(!book.empty());
  CHECK(d.List(book).size() == 4);
  std::string held;
  REQUIRE(d.Curl("GET", book + "card-0.vcf", &held) == "200");
  CHECK_MESSAGE(held.find("Changed On Device") != std::string::npos, held);
  ProcessResult again = d.Holdfast({"check"});
  CHECK_MESSAGE(again.exit_code == kExitOk, (again.out + again.err));
  CHECK(again.out.find("lost") == std::string::npos);
}

TEST_CASE("radicale: an older copy of the storage put back while it runs is lost, named, and recovered with the current content") {
  OlderCopy(DavServerKind::kRadicale, false);
}
TEST_CASE("radicale: an older copy of the storage put back while it is stopped is lost, named, and recovered") {
  OlderCopy(DavServerKind::kRadicale, true);
}
TEST_CASE("xandikos: an older copy of the storage put back while it runs is lost, named, and recovered with the current content") {
  OlderCopy(DavServerKind::kXandikos, false);
}
TEST_CASE("xandikos: an older copy of the storage put back while it is stopped is lost, named, and recovered") {
  OlderCopy(DavServerKind::kXandikos, true);
}

void MarkersUnchanged(DavServerKind kind) {
  Device d(kind, 3);
  CAPTURE(d.server.name());
  d.Push();
  ProcessResult first = d.Holdfast({"check"});  // lists the inventory, records the markers
  REQUIRE_MESSAGE(first.exit_code == kExitOk, (first.out + first.err));
  const std::string book = d.Book();
  REQUIRE(!book.empty());
  RequireRequestLog(d, book);
  const size_t before = d.Propfinds(book);

  ProcessResult cheap = d.Holdfast({"check"});
  CHECK_MESSAGE(cheap.exit_code == kExitOk, (cheap.out + cheap.err));
  CHECK(cheap.out.find("healthy") != std::string::npos);
  CHECK(cheap.out.find("unchanged since it was last found healthy") != std::string::npos);
  CHECK_MESSAGE(d.Propfinds(book) == before, d.server.ReadLog());

  // Control: another client adds an item of its own; the markers change and
  // the inventory is listed again (still healthy: nothing of ours is lost).
  std::string foreign = Card(9);
  foreign.replace(foreign.find("UID:card-9"), 10, "UID:foreign-9");
  const std::string put = d.PutVCard(book + "foreign-9", foreign);
  REQUIRE_MESSAGE((put == "201" || put == "204"), put);
  const size_t after_put = d.Propfinds(book);
  ProcessResult listed = d.Holdfast({"check"});
  CHECK_MESSAGE(listed.exit_code == kExitOk, (listed.out + listed.err));
  CHECK(listed.out.find("unchanged since") == std::string::npos);
  CHECK(d.Propfinds(book) > after_put);
}

TEST_CASE("radicale: a check whose recorded sync token and CTag are unchanged sends no inventory PROPFIND and says healthy") {
  MarkersUnchanged(DavServerKind::kRadicale);
}
TEST_CASE("xandikos: a check whose recorded sync token and CTag are unchanged sends no inventory PROPFIND and says healthy") {
  MarkersUnchanged(DavServerKind::kXandikos);
}

void OtherClientEdit(DavServerKind kind) {
  Device d(kind, 3);
  CAPTURE(d.server.name());
  d.Push();
  REQUIRE(d.Holdfast({"check"}).exit_code == kExitOk);
  const std::string book = d.Book();
  REQUIRE(!book.empty());
  const std::string put = d.PutVCard(book + "card-0.vcf", Card(0, "Changed Elsewhere"));
  REQUIRE_MESSAGE((put == "201" || put == "204"), put);

  ProcessResult check = d.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, (check.out + check.err));
  CHECK(check.out.find("lost") == std::string::npos);
  CHECK_MESSAGE(check.out.find("changed on the server by another client (kept there; not a loss): 'card-0'") !=
                    std::string::npos,
                check.out);
  ProcessResult json = d.Holdfast({"check", "--json"});
  CHECK(json.exit_code == kExitOk);
  CHECK_MESSAGE(json.out.find("{\"state\":\"changed_elsewhere\",\"uid\":\"card-0\"}") != std::string::npos, json.out);

  ProcessResult recover = d.Holdfast({"recover"});
  CHECK_MESSAGE(recover.exit_code == kExitOk, (recover.out + recover.err));
  CHECK(recover.out.find("Nothing to recover") != std::string::npos);
  // A push that writes to the same collection records no markers over the
  // conflict: the next check still reports it.
  d.WriteCard(5);
  d.Capture();
  d.Push();
  ProcessResult still = d.Holdfast({"check"});
  CHECK_MESSAGE(still.exit_code == kExitOk, (still.out + still.err));
  CHECK_MESSAGE(still.out.find("changed on the server by another client (kept there; not a loss): 'card-0'") !=
                    std::string::npos,
                still.out);
  std::string held;
  REQUIRE(d.Curl("GET", book + "card-0.vcf", &held) == "200");
  CHECK_MESSAGE(held.find("Changed Elsewhere") != std::string::npos, held);
}

TEST_CASE("radicale: another client's edit of an acknowledged item is a conflict, not a loss, and nothing overwrites it") {
  OtherClientEdit(DavServerKind::kRadicale);
}
TEST_CASE("xandikos: another client's edit of an acknowledged item is a conflict, not a loss, and nothing overwrites it") {
  OtherClientEdit(DavServerKind::kXandikos);
}

// The server stored card-0's new content, and the push was killed before the
// vault recorded it: the ledger still names the old content and ETag (and,
// as a killed push leaves them, no change markers). The server's ETag then
// differs from the ledger's and is no SHA-256: the content decides, and it
// is the vault's current one, so nothing is lost.
void KilledPushIsNoLoss(DavServerKind kind) {
  Device d(kind, 2);
  CAPTURE(d.server.name());
  d.Push();
  const std::string where = " WHERE item_id = (SELECT id FROM items WHERE uid = 'card-0')";
  const std::string old_row = d.Sql("SELECT 'X''' || hex(sha256) || ''', ''' || version || '''' FROM ledger" + where);
  REQUIRE(old_row.size() > 10);
  d.WriteCard(0, "Changed On Device");
  d.Capture();
  d.Push();
  const std::string values = old_row.substr(0, old_row.size() - 1);  // no newline
  const std::string sha = values.substr(0, values.find(", "));
  const std::string version = values.substr(values.find(", ") + 2);
  d.Sql("UPDATE ledger SET sha256 = " + sha + ", version = " + version + where + "; DELETE FROM remote_collections;");

  ProcessResult check = d.Holdfast({"check"});
  CHECK_MESSAGE(check.exit_code == kExitOk, (check.out + check.err));
  CHECK(check.out.find("lost") == std::string::npos);
  CHECK(check.out.find("healthy") != std::string::npos);
}

TEST_CASE("radicale: a push killed before its acknowledgements were recorded is no loss at check") {
  KilledPushIsNoLoss(DavServerKind::kRadicale);
}
TEST_CASE("xandikos: a push killed before its acknowledgements were recorded is no loss at check") {
  KilledPushIsNoLoss(DavServerKind::kXandikos);
}

}  // namespace
}  // namespace holdfast
