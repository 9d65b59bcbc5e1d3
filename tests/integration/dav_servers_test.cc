// Issue 14: the real servers the DAV backend is tested against
// (tests/support/dav_server.h), and what each one answers after its storage
// is wiped. Each expectation here is a row of docs/dav.md: when a server
// changes behaviour (a new Debian version), this test fails and the doc is
// measured again with tools/dav/probe.sh.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tests/support/dav_server.h"
#include "tests/support/temp_dir.h"

namespace holdfast::testing {
namespace {

struct Answer {
  int status = 0;  // 0: no HTTP answer (curl failed to connect)
  std::string headers;
  std::string body;
};

// Sends one request with the curl program (tests use no HTTP library of their
// own), with the server's credentials.
class Client {
 public:
  explicit Client(const DavServer& server) : server_(server) {}

  Answer Send(const std::string& method, const std::string& path, const std::string& body = "",
              const std::vector<std::string>& headers = {}, bool with_auth = true) {
    std::vector<std::string> argv = {"/usr/bin/curl", "-s", "-X", method, "-o", (dir_ / "body").string(), "-D",
                                     (dir_ / "headers").string(), "-w", "%{http_code}"};
    if (with_auth && server_.has_auth()) {
      argv.insert(argv.end(), {"-u", server_.user() + ":" + server_.password()});
    }
    for (const std::string& h : headers) argv.insert(argv.end(), {"-H", h});
    if (!body.empty() || method == "PUT") {
      WriteFileBytes(dir_ / "request", body);
      argv.insert(argv.end(), {"--data-binary", "@" + (dir_ / "request").string()});
    }
    argv.push_back(server_.url() + path);
    std::filesystem::remove(dir_ / "body");
    std::filesystem::remove(dir_ / "headers");
    ProcessResult run = RunProcess(argv, {}, 30);
    Answer answer;
    answer.status = std::atoi(run.out.c_str());
    answer.headers = ReadFileBytes(dir_ / "headers");
    answer.body = ReadFileBytes(dir_ / "body");
    return answer;
  }

  Answer Put(const std::string& path, const std::string& body, const std::string& type,
             std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: " + type);
    return Send("PUT", path, body, headers);
  }

  Answer Propfind(const std::string& path, int depth) {
    return Send("PROPFIND", path,
                "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\"><d:prop><d:getetag/><d:resourcetype/>"
                "</d:prop></d:propfind>",
                {"Depth: " + std::to_string(depth), "Content-Type: application/xml; charset=utf-8"});
  }

  Answer MakeAddressBook(const std::string& path) {
    return Send("MKCOL", path,
                "<?xml version=\"1.0\"?><d:mkcol xmlns:d=\"DAV:\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\">"
                "<d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>"
                "</d:prop></d:set></d:mkcol>",
                {"Content-Type: application/xml; charset=utf-8"});
  }

 private:
  const DavServer& server_;
  TempDir dir_;
};

// The value of header `name` (lower case) in a response, or "".
std::string Header(const Answer& answer, const std::string& name) {
  std::string lower;
  for (char c : answer.headers) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const size_t at = lower.find("\n" + name + ":");
  if (at == std::string::npos) return "";
  size_t start = at + name.size() + 2;
  while (start < answer.headers.size() && answer.headers[start] == ' ') ++start;
  const size_t end = answer.headers.find_first_of("\r\n", start);
  return answer.headers.substr(start, end - start);
}

std::string VCard(const std::string& uid, const std::string& version = "3.0", const std::string& photo = "") {
  return "BEGIN:VCARD\r\nVERSION:" + version + "\r\nUID:" + uid + "\r\nFN:Ada Probe\r\nN:Probe;Ada;;;\r\n" + photo +
         "END:VCARD\r\n";
}

// A JPEG-looking file of 100 KB whose bytes are not text.
std::string Photo(char seed) {
  std::string bytes = "\xFF\xD8\xFF\xE0";
  for (int i = 0; i < 100000; ++i) bytes += static_cast<char>((i * 31 + seed) & 0xFF);
  return bytes + "\xFF\xD9";
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the launcher stops each server with its workers and starts it again on the same storage") {
  for (DavServerKind kind : kAllDavServerKinds) {
    CAPTURE(DavServerName(kind));
    DavServer server(kind);
    Client client(server);
    CHECK(client.Propfind(server.base_path(), 0).status == 207);
    server.Stop();
    CHECK_FALSE(server.running());
    // Negative control of the answers below: a stopped server answers nothing.
    CHECK(client.Propfind(server.base_path(), 0).status == 0);
    server.Start();
    CHECK(client.Propfind(server.base_path(), 0).status == 207);
  }
}

TEST_CASE("radicale 3.1.8 rewrites vCards, loses a vCard 4 data: photo, and answers 500 once its storage is deleted") {
  DavServer server(DavServerKind::kRadicale);
  Client client(server);
  const std::string book = server.base_path() + "contacts/";
  REQUIRE(client.MakeAddressBook(book).status == 201);

  const std::string note = "NOTE:Met at the conference\\, then again in Lyon; she prefers email over phone calls\r\n";
  Answer put = client.Put(book + "a.vcf", VCard("hf-a", "3.0", note), "text/vcard", {"If-None-Match: *"});
  CHECK(put.status == 201);
  CHECK(Header(put, "etag").rfind('"', 0) == 0);  // a strong ETag
  CHECK(client.Put(book + "a.vcf", VCard("hf-a"), "text/vcard", {"If-None-Match: *"}).status == 412);
  CHECK(client.Put(book + "a.vcf", VCard("hf-a"), "text/vcard", {"If-Match: \"other\""}).status == 412);
  Answer got = client.Send("GET", book + "a.vcf");
  CHECK(got.status == 200);
  CHECK(Header(got, "etag") == Header(put, "etag"));
  CHECK(Contains(got.body, "UID:hf-a\r\n"));
  // Re-serialised: the long line folded at 75 octets, ';' in text escaped.
  CHECK(Contains(got.body, "NOTE:Met at the conference\\, then again in Lyon\\; she prefers email over ph\r\n one"));
  // The same UID under a second name is refused (CardDAV no-uid-conflict).
  CHECK(client.Put(book + "b.vcf", VCard("hf-a"), "text/vcard").status == 409);
  // vobject cuts a data: URI at its comma: the photo is gone from the stored card.
  const std::string photo = "PHOTO:data:image/jpeg;base64,QUJDREVGRw==\r\n";
  CHECK(client.Put(book + "c.vcf", VCard("hf-c", "4.0", photo), "text/vcard").status == 201);
  got = client.Send("GET", book + "c.vcf");
  CHECK(Contains(got.body, "PHOTO:data:image/jpeg\\;base64\r\n"));
  CHECK_FALSE(Contains(got.body, "QUJDREVGRw=="));
  // Radicale (Python's wsgiref) answers HTTP/1.0: the connection closes after each answer.
  CHECK(got.headers.rfind("HTTP/1.0 200", 0) == 0);

  CHECK(client.Propfind(book, 1).status == 207);
  server.DeleteStorage();
  CHECK(client.Propfind(book, 1).status == 500);
  CHECK(client.Send("GET", book + "a.vcf").status == 500);
  CHECK(client.Put(book + "d.vcf", VCard("hf-d"), "text/vcard").status == 500);
  // Restarted on an empty storage: the collection is simply gone.
  server.Stop();
  server.Start();
  CHECK(client.Propfind(book, 1).status == 404);
  CHECK(client.Propfind(server.base_path(), 0).status == 207);
}

TEST_CASE("radicale answers an older copy of its storage with the older CTag and refuses the newer sync token") {
  DavServer server(DavServerKind::kRadicale);
  Client client(server);
  TempDir copies;
  const std::string book = server.base_path() + "contacts/";
  REQUIRE(client.MakeAddressBook(book).status == 201);
  REQUIRE(client.Put(book + "a.vcf", VCard("hf-a"), "text/vcard").status == 201);
  const std::string ctag_body = "<?xml version=\"1.0\"?><d:propfind xmlns:d=\"DAV:\" "
                                "xmlns:cs=\"http://calendarserver.org/ns/\"><d:prop><cs:getctag/></d:prop></d:propfind>";
  const std::string old_ctag = client.Send("PROPFIND", book, ctag_body, {"Depth: 0"}).body;
  server.SaveStorage(copies / "older");
  REQUIRE(client.Put(book + "b.vcf", VCard("hf-b"), "text/vcard").status == 201);
  const std::string sync_body = "<?xml version=\"1.0\"?><d:sync-collection xmlns:d=\"DAV:\"><d:sync-token/>"
                                "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>";
  Answer sync = client.Send("REPORT", book, sync_body, {"Depth: 1"});
  REQUIRE(sync.status == 207);
  const size_t at = sync.body.find("<sync-token>");
  REQUIRE(at != std::string::npos);
  const std::string token = sync.body.substr(at + 12, sync.body.find('<', at + 12) - at - 12);
  CHECK(client.Send("PROPFIND", book, ctag_body, {"Depth: 0"}).body != old_ctag);

  server.RestoreStorage(copies / "older");
  // The CTag is a hash of the content: the older one comes back.
  CHECK(client.Send("PROPFIND", book, ctag_body, {"Depth: 0"}).body == old_ctag);
  CHECK(client.Send("GET", book + "b.vcf").status == 404);
  std::string stale = sync_body;
  stale.replace(stale.find("<d:sync-token/>"), 15, "<d:sync-token>" + token + "</d:sync-token>");
  Answer refused = client.Send("REPORT", book, stale, {"Depth: 1"});
  CHECK(refused.status == 403);
  CHECK(Contains(refused.body, "valid-sync-token"));
}

TEST_CASE("xandikos 0.2.8 keeps vCards byte for byte, has no authentication, and answers a 207 holding a 404 once "
          "its storage is deleted") {
  DavServer server(DavServerKind::kXandikos);
  Client client(server);
  const std::string book = server.base_path() + "contacts/hf/";
  REQUIRE(client.MakeAddressBook(book).status == 201);
  const std::string card = VCard("hf-a", "4.0", "PHOTO:data:image/jpeg;base64,QUJDREVGRw==\r\n");
  Answer put = client.Put(book + "a.vcf", card, "text/vcard", {"If-None-Match: *"});
  CHECK(put.status == 201);
  CHECK(Header(put, "etag").rfind('"', 0) == 0);
  CHECK(client.Put(book + "a.vcf", card, "text/vcard", {"If-None-Match: *"}).status == 412);
  Answer got = client.Send("GET", book + "a.vcf");
  CHECK(got.status == 200);
  CHECK(got.body == card);
  CHECK(client.Send("PROPFIND", book, "", {"Depth: 0"}, /*with_auth=*/false).status == 207);
  // A sync token it never gave: 500, not the RFC 6578 403.
  CHECK(client.Send("REPORT", book,
                    "<?xml version=\"1.0\"?><d:sync-collection xmlns:d=\"DAV:\"><d:sync-token>nope</d:sync-token>"
                    "<d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>",
                    {"Depth: 1", "Content-Type: application/xml; charset=utf-8"})
            .status == 500);

  CHECK(client.Propfind(book, 0).status == 207);
  server.DeleteStorage();
  Answer gone = client.Propfind(book, 0);
  CHECK(gone.status == 207);
  CHECK(Contains(gone.body, "404 Not Found"));
  CHECK_FALSE(Contains(gone.body, "200 OK"));
  CHECK(client.Send("GET", book + "a.vcf").status == 404);
  CHECK(client.Put(book + "b.vcf", VCard("hf-b"), "text/vcard").status == 404);
}

TEST_CASE("apache mod_dav keeps photos byte for byte, honours preconditions, and answers 405 on a folder once its "
          "storage is deleted") {
  DavServer server(DavServerKind::kApache);
  Client client(server);
  TempDir copies;
  const std::string folder = server.base_path() + "photos/";
  REQUIRE(client.Send("MKCOL", folder).status == 201);
  CHECK(client.Send("MKCOL", folder + "a/b/").status == 409);  // MKCOL makes one level at a time
  Answer put = client.Put(folder + "one.jpg", Photo('1'), "image/jpeg", {"If-None-Match: *"});
  CHECK(put.status == 201);
  CHECK(Header(put, "etag") == "");  // PUT answers without an ETag
  CHECK(client.Put(folder + "one.jpg", Photo('1'), "image/jpeg", {"If-None-Match: *"}).status == 412);
  Answer got = client.Send("GET", folder + "one.jpg");
  CHECK(got.status == 200);
  CHECK(got.body == Photo('1'));
  CHECK(client.Send("GET", folder + "one.jpg", "", {}, /*with_auth=*/false).status == 401);
  server.SaveStorage(copies / "older");
  REQUIRE(client.Put(folder + "two.jpg", Photo('2'), "image/jpeg").status == 201);

  server.RestoreStorage(copies / "older");
  Answer older = client.Propfind(folder, 1);
  CHECK(older.status == 207);
  CHECK(Contains(older.body, "/dav/photos/one.jpg"));
  CHECK_FALSE(Contains(older.body, "/dav/photos/two.jpg"));

  server.DeleteStorage();
  CHECK(client.Propfind(folder, 1).status == 405);
  CHECK(client.Send("GET", folder + "one.jpg").status == 404);
  CHECK(client.Put(folder + "three.jpg", Photo('3'), "image/jpeg").status == 405);
}

TEST_CASE("nginx dav ignores If-None-Match and If-Match, and answers 404 on a folder once its storage is deleted") {
  DavServer server(DavServerKind::kNginx);
  Client client(server);
  const std::string folder = server.base_path() + "photos/";
  REQUIRE(client.Send("MKCOL", folder).status == 201);
  Answer put = client.Put(folder + "one.jpg", Photo('1'), "image/jpeg", {"If-None-Match: *"});
  CHECK(put.status == 201);
  CHECK(Header(put, "etag") == "");
  // Overwritten although the client asked for a new file only.
  CHECK(client.Put(folder + "one.jpg", Photo('2'), "image/jpeg", {"If-None-Match: *"}).status == 204);
  Answer got = client.Send("GET", folder + "one.jpg");
  CHECK(got.status == 200);
  CHECK(got.body == Photo('2'));
  CHECK(client.Send("DELETE", folder + "one.jpg", "", {"If-Match: \"not-its-etag\""}).status == 204);
  CHECK(client.Send("GET", folder + "one.jpg").status == 404);
  CHECK(client.Send("GET", folder + "one.jpg", "", {}, /*with_auth=*/false).status == 401);
  REQUIRE(client.Put(folder + "one.jpg", Photo('1'), "image/jpeg").status == 201);

  CHECK(client.Propfind(folder, 1).status == 207);
  server.DeleteStorage();
  CHECK(client.Propfind(folder, 1).status == 404);
  CHECK(client.Send("GET", folder + "one.jpg").status == 404);
  CHECK(client.Put(folder + "two.jpg", Photo('2'), "image/jpeg").status == 500);
}

}  // namespace holdfast::testing
