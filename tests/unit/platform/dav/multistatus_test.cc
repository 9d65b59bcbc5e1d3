// platform::dav multistatus reading: bodies of the shapes Radicale 3,
// Xandikos, Apache mod_dav and nginx dav_ext send (written for these tests
// from RFC 4918 / 4791 / 6352 / 6578 and the servers' observed output), and
// malformed and hostile input.
#include "platform/dav/multistatus.h"

#include <doctest/doctest.h>

#include <string>

namespace holdfast::platform::dav {
namespace {

Multistatus MustParse(std::string_view body, const MultistatusLimits& limits = {}) {
  Result<Multistatus> ms = ParseMultistatus(body, limits);
  if (!ms) FAIL(ms.error().ToString());
  return std::move(*ms);
}

Status ParseError(std::string_view body, const MultistatusLimits& limits = {}) {
  Result<Multistatus> ms = ParseMultistatus(body, limits);
  REQUIRE_FALSE(ms.has_value());
  return ms.error();
}

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Radicale 3: default namespace DAV:, CR/CS prefixes, a 404 propstat for
// what it does not know, Depth 1 on an address book.
constexpr std::string_view kRadicaleAddressbook =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<multistatus xmlns=\"DAV:\" xmlns:CR=\"urn:ietf:params:xml:ns:carddav\" "
    "xmlns:CS=\"http://calendarserver.org/ns/\"><response><href>/alice/contacts/</href><propstat><prop>"
    "<resourcetype><CR:addressbook /><collection /></resourcetype>"
    "<CS:getctag>\"3f6a2c1d9b8e7f60\"</CS:getctag>"
    "<sync-token>http://radicale.org/ns/sync/3f6a2c1d9b8e7f60</sync-token>"
    "<displayname>Contacts</displayname></prop><status>HTTP/1.1 200 OK</status></propstat>"
    "<propstat><prop><getetag /></prop><status>HTTP/1.1 404 Not Found</status></propstat></response>"
    "<response><href>/alice/contacts/4b1e%20card.vcf</href><propstat><prop>"
    "<getetag>\"a1b2c3\"</getetag><resourcetype /></prop><status>HTTP/1.1 200 OK</status></propstat>"
    "<propstat><prop><CS:getctag /><sync-token /></prop><status>HTTP/1.1 404 Not Found</status></propstat>"
    "</response></multistatus>";

TEST_CASE("a Radicale Depth 1 PROPFIND gives the book's kind, ctag and token and each card's ETag") {
  Multistatus ms = MustParse(kRadicaleAddressbook);
  REQUIRE(ms.responses.size() == 2);
  const Response& book = ms.responses[0];
  CHECK(book.href == "/alice/contacts/");
  CHECK_FALSE(book.status.has_value());
  REQUIRE(book.Found() != nullptr);
  const Properties& p = *book.Found();
  CHECK(p.has_resource_type);
  CHECK(p.collection);
  CHECK(p.addressbook);
  CHECK_FALSE(p.calendar);
  CHECK(p.ctag == std::optional<std::string>("\"3f6a2c1d9b8e7f60\""));
  CHECK(p.sync_token == std::optional<std::string>("http://radicale.org/ns/sync/3f6a2c1d9b8e7f60"));
  CHECK(p.display_name == std::optional<std::string>("Contacts"));
  CHECK_FALSE(p.etag.has_value());
  CHECK(book.StatusOf(kGetEtag) == std::optional<int>(404));
  CHECK(book.StatusOf(kGetCtag) == std::optional<int>(200));
  CHECK_FALSE(book.StatusOf(kCalendarData).has_value());

  const Response& card = ms.responses[1];
  CHECK(card.href == "/alice/contacts/4b1e%20card.vcf");
  REQUIRE(card.Found() != nullptr);
  CHECK(card.Found()->etag == std::optional<std::string>("\"a1b2c3\""));
  CHECK(card.Found()->has_resource_type);
  CHECK_FALSE(card.Found()->collection);
  CHECK(card.propstats[1].names == std::vector<std::string>{"{http://calendarserver.org/ns/}getctag", "{DAV:}sync-token"});
}

// Xandikos: ElementTree's ns0/ns1 prefixes; calendar data with its CRs as
// character references; the supported component set.
constexpr std::string_view kXandikosMultiget =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<ns0:multistatus xmlns:ns0=\"DAV:\" xmlns:ns1=\"urn:ietf:params:xml:ns:caldav\">"
    "<ns0:response><ns0:href>/user/calendars/calendar/e1.ics</ns0:href><ns0:propstat><ns0:prop>"
    "<ns0:getetag>\"8d0ac9a0b7a2c2b9\"</ns0:getetag>"
    "<ns1:calendar-data>BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nBEGIN:VEVENT&#13;\nUID:e1&#13;\n"
    "SUMMARY:Tom &amp; Jerry &lt;3&#13;\nEND:VEVENT&#13;\nEND:VCALENDAR&#13;\n</ns1:calendar-data>"
    "</ns0:prop><ns0:status>HTTP/1.1 200 OK</ns0:status></ns0:propstat></ns0:response>"
    "<ns0:response><ns0:href>/user/calendars/calendar/gone.ics</ns0:href>"
    "<ns0:status>HTTP/1.1 404 Not Found</ns0:status></ns0:response></ns0:multistatus>";

TEST_CASE("a Xandikos calendar-multiget gives the exact calendar data and a 404 for a missing item") {
  Multistatus ms = MustParse(kXandikosMultiget);
  REQUIRE(ms.responses.size() == 2);
  const Properties* found = ms.responses[0].Found();
  REQUIRE(found != nullptr);
  CHECK(found->etag == std::optional<std::string>("\"8d0ac9a0b7a2c2b9\""));
  CHECK(found->calendar_data == std::optional<std::string>("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
                                                           "SUMMARY:Tom & Jerry <3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"));
  CHECK(ms.responses[1].status == std::optional<int>(404));
  CHECK(ms.responses[1].Found() == nullptr);
}

TEST_CASE("a calendar collection lists its supported components, upper-cased, in any case") {
  Multistatus ms = MustParse(
      "<d:multistatus xmlns:d='DAV:' xmlns:c='urn:ietf:params:xml:ns:caldav'><d:response><d:href>/cal/</d:href>"
      "<d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/></d:resourcetype>"
      "<c:supported-calendar-component-set><c:comp name='VEVENT'/><c:comp name='vtodo'/></c:supported-calendar-component-set>"
      "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>");
  const Properties* p = ms.responses.at(0).Found();
  REQUIRE(p != nullptr);
  CHECK(p->calendar);
  CHECK(p->components == std::optional<std::vector<std::string>>({"VEVENT", "VTODO"}));
}

// Apache mod_dav (a photo folder): lp1/lp2 prefixes declared on each
// response, a getetag, content type and length, a folder and a file.
constexpr std::string_view kApachePhotos =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:ns0=\"DAV:\">\n"
    "<D:response xmlns:lp1=\"DAV:\" xmlns:lp2=\"http://apache.org/dav/props/\">\n"
    "<D:href>/photos/2024/</D:href>\n<D:propstat>\n<D:prop>\n"
    "<lp1:resourcetype><D:collection/></lp1:resourcetype>\n"
    "<lp1:getlastmodified>Mon, 01 Jul 2024 10:00:00 GMT</lp1:getlastmodified>\n"
    "<lp1:getetag>\"1000-61c2f3a4b5c6d\"</lp1:getetag>\n"
    "<D:getcontenttype>httpd/unix-directory</D:getcontenttype>\n"
    "</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n"
    "<D:response xmlns:lp1=\"DAV:\" xmlns:lp2=\"http://apache.org/dav/props/\">\n"
    "<D:href>/photos/2024/IMG%200001.jpg</D:href>\n<D:propstat>\n<D:prop>\n"
    "<lp1:resourcetype/>\n<lp1:getcontentlength>2345678</lp1:getcontentlength>\n"
    "<lp1:getetag>\"23cace-61c2f3a4b5c6d\"</lp1:getetag>\n"
    "<lp2:executable>F</lp2:executable>\n"
    "<D:getcontenttype>image/jpeg</D:getcontenttype>\n"
    "</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n"
    "</D:multistatus>\n";

TEST_CASE("an Apache mod_dav listing gives folders, files, ETags, types and sizes") {
  Multistatus ms = MustParse(kApachePhotos);
  REQUIRE(ms.responses.size() == 2);
  CHECK(ms.responses[0].Found()->collection);
  CHECK(ms.responses[0].Found()->etag == std::optional<std::string>("\"1000-61c2f3a4b5c6d\""));
  const Properties& file = *ms.responses[1].Found();
  CHECK(ms.responses[1].href == "/photos/2024/IMG%200001.jpg");
  CHECK_FALSE(file.collection);
  CHECK(file.content_length == std::optional<int64_t>(2345678));
  CHECK(file.content_type == std::optional<std::string>("image/jpeg"));
  CHECK(file.etag == std::optional<std::string>("\"23cace-61c2f3a4b5c6d\""));
  CHECK(ms.responses[1].propstats[0].names.size() == 5);
}

// nginx dav_ext: pretty-printed with newlines around every value, no ETag,
// an empty resourcetype for a file.
constexpr std::string_view kNginxPhotos =
    "<?xml version=\"1.0\" encoding=\"utf-8\" ?>\n"
    "<D:multistatus xmlns:D=\"DAV:\">\n"
    "<D:response>\n<D:href>/photos/</D:href>\n<D:propstat>\n<D:prop>\n"
    "<D:displayname>photos</D:displayname>\n"
    "<D:getlastmodified>Mon, 01 Jul 2024 10:00:00 GMT</D:getlastmodified>\n"
    "<D:resourcetype><D:collection/></D:resourcetype>\n"
    "<D:lockdiscovery/>\n<D:supportedlock>\n</D:supportedlock>\n"
    "</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n"
    "<D:response>\n<D:href>/photos/caf%C3%A9.jpg</D:href>\n<D:propstat>\n<D:prop>\n"
    "<D:displayname>caf\xC3\xA9.jpg</D:displayname>\n"
    "<D:getcontentlength>5120</D:getcontentlength>\n"
    "<D:getlastmodified>Mon, 01 Jul 2024 10:00:01 GMT</D:getlastmodified>\n"
    "<D:resourcetype></D:resourcetype>\n"
    "<D:lockdiscovery/>\n<D:supportedlock>\n</D:supportedlock>\n"
    "</D:prop>\n<D:status>HTTP/1.1 200 OK</D:status>\n</D:propstat>\n</D:response>\n"
    "</D:multistatus>\n";

TEST_CASE("an nginx dav_ext listing gives names and sizes without ETags") {
  Multistatus ms = MustParse(kNginxPhotos);
  REQUIRE(ms.responses.size() == 2);
  CHECK(ms.responses[0].Found()->collection);
  const Properties& file = *ms.responses[1].Found();
  CHECK(file.display_name == std::optional<std::string>("caf\xC3\xA9.jpg"));
  CHECK(file.content_length == std::optional<int64_t>(5120));
  CHECK(file.last_modified == std::optional<std::string>("Mon, 01 Jul 2024 10:00:01 GMT"));
  CHECK_FALSE(file.etag.has_value());
  CHECK(file.has_resource_type);
  CHECK_FALSE(file.collection);
}

TEST_CASE("a sync-collection report gives changed and removed members and the new token") {
  Multistatus ms = MustParse(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:multistatus xmlns:D=\"DAV:\">\n"
      "  <D:response>\n    <D:href>\n      /book/new.vcf\n    </D:href>\n    <D:propstat><D:prop>"
      "<D:getetag>\"00001-abcd1\"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n"
      "  </D:response>\n"
      "  <D:response><D:href>/book/removed.vcf</D:href><D:status>HTTP/1.1 404 Not Found</D:status></D:response>\n"
      "  <D:sync-token>\n    http://example.com/ns/sync/1234\n  </D:sync-token>\n"
      "</D:multistatus>");
  REQUIRE(ms.responses.size() == 2);
  CHECK(ms.responses[0].href == "/book/new.vcf");
  CHECK(ms.responses[0].Found()->etag == std::optional<std::string>("\"00001-abcd1\""));
  CHECK(ms.responses[1].status == std::optional<int>(404));
  CHECK(ms.sync_token == std::optional<std::string>("http://example.com/ns/sync/1234"));
}

TEST_CASE("discovery properties: principal, home sets, and an unauthenticated principal") {
  Multistatus ms = MustParse(
      "<multistatus xmlns='DAV:' xmlns:C='urn:ietf:params:xml:ns:caldav' xmlns:A='urn:ietf:params:xml:ns:carddav'>"
      "<response><href>/principals/alice/</href><propstat><prop>"
      "<current-user-principal><href>/principals/alice/</href></current-user-principal>"
      "<A:addressbook-home-set><href>/alice/</href></A:addressbook-home-set>"
      "<C:calendar-home-set><href>/alice/</href><href>https://cal.example.com/shared/</href></C:calendar-home-set>"
      "<resourcetype><principal/><collection/></resourcetype>"
      "</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
      "<response><href>/</href><propstat><prop><current-user-principal><unauthenticated/></current-user-principal>"
      "</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>");
  const Properties& p = *ms.responses.at(0).Found();
  CHECK(p.current_user_principal == std::optional<std::string>("/principals/alice/"));
  CHECK(p.addressbook_home_set == std::vector<std::string>{"/alice/"});
  CHECK(p.calendar_home_set == std::vector<std::string>{"/alice/", "https://cal.example.com/shared/"});
  CHECK(p.principal);
  CHECK(ms.responses.at(1).Found()->current_user_principal == std::optional<std::string>(""));
}

TEST_CASE("an address-data multiget keeps CDATA and the card's bytes") {
  Multistatus ms = MustParse(
      "<d:multistatus xmlns:d='DAV:' xmlns:card='urn:ietf:params:xml:ns:carddav'><d:response>"
      "<d:href>/book/a.vcf</d:href><d:propstat><d:prop><d:getetag>W/\"w1\"</d:getetag>"
      "<card:address-data><![CDATA[BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A <b> & c\r\nEND:VCARD\r\n]]></card:address-data>"
      "</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>");
  const Properties& p = *ms.responses.at(0).Found();
  CHECK(p.etag == std::optional<std::string>("W/\"w1\""));
  // XML reads a CR-LF inside the document as LF: CDATA does not keep CRs.
  CHECK(p.address_data == std::optional<std::string>("BEGIN:VCARD\nVERSION:3.0\nFN:A <b> & c\nEND:VCARD\n"));
}

TEST_CASE("a precondition comes back from a DAV:error body and from a response's error") {
  Result<std::vector<std::string>> pre =
      ParseDavError("<?xml version=\"1.0\"?><D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>");
  REQUIRE(pre.has_value());
  CHECK(*pre == std::vector<std::string>{"{DAV:}valid-sync-token"});
  CHECK(ParseDavError("<D:multistatus xmlns:D=\"DAV:\"/>").error().code() == ErrorCode::kServerError);
  CHECK(ParseDavError("<html>Forbidden</html>").error().code() == ErrorCode::kServerError);

  Multistatus ms = MustParse(
      "<D:multistatus xmlns:D='DAV:'><D:response><D:href>/book/x.vcf</D:href>"
      "<D:status>HTTP/1.1 403 Forbidden</D:status><D:error><D:number-of-matches-within-limits/></D:error>"
      "</D:response></D:multistatus>");
  CHECK(ms.responses.at(0).error == std::optional<std::string>("{DAV:}number-of-matches-within-limits"));
  CHECK(ms.responses.at(0).status == std::optional<int>(403));
}

TEST_CASE("the body may come in any pieces, and the callback sees each response as it ends") {
  std::vector<std::string> hrefs;
  MultistatusParser parser([&](Response&& r) {
    hrefs.push_back(r.href);
    return Status::Ok();
  });
  for (char c : kApachePhotos) REQUIRE(parser.Feed(std::string_view(&c, 1)).ok());
  REQUIRE(parser.Finish().ok());
  CHECK(hrefs == std::vector<std::string>{"/photos/2024/", "/photos/2024/IMG%200001.jpg"});
  CHECK(parser.response_count() == 2);
}

TEST_CASE("an error from the callback stops the parse and is returned as is") {
  int seen = 0;
  MultistatusParser parser([&](Response&&) {
    ++seen;
    return Status(ErrorCode::kNoSpace, "vault full");
  });
  Status fed = parser.Feed(kApachePhotos);
  CHECK(fed.code() == ErrorCode::kNoSpace);
  CHECK(seen == 1);
  CHECK(parser.Finish().code() == ErrorCode::kNoSpace);
}

TEST_CASE("a truncated body is an error naming line and column") {
  const std::string_view cut = kApachePhotos.substr(0, kApachePhotos.size() / 2);
  Status s = ParseError(cut);
  CHECK(s.code() == ErrorCode::kServerError);
  CHECK(Contains(s.message(), "multistatus: line "));
  CHECK(Contains(s.message(), ", column "));
  CHECK(ParseError("").code() == ErrorCode::kServerError);
  CHECK(Contains(ParseError("<D:multistatus xmlns:D='DAV:'><D:response>").message(), "line 1"));
}

TEST_CASE("a root in the wrong namespace, or none, is refused") {
  CHECK(Contains(ParseError("<multistatus xmlns='urn:not-dav'/>").message(), "{urn:not-dav}multistatus"));
  CHECK(Contains(ParseError("<multistatus/>").message(), "not {DAV:}multistatus"));
  CHECK(Contains(ParseError("<html><body>502 Bad Gateway</body></html>").message(), "root element"));
  CHECK(ParseError("<D:multistatus>").code() == ErrorCode::kServerError);  // unbound prefix
  CHECK(ParseError("not xml at all").code() == ErrorCode::kServerError);
}

TEST_CASE("a response without an href, a propstat without a status, or a bad status line is refused") {
  CHECK(Contains(ParseError("<D:multistatus xmlns:D='DAV:'><D:response><D:status>HTTP/1.1 200 OK</D:status>"
                            "</D:response></D:multistatus>")
                     .message(),
                 "without an href"));
  CHECK(Contains(ParseError("<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href><D:propstat><D:prop/>"
                            "</D:propstat></D:response></D:multistatus>")
                     .message(),
                 "propstat without a status"));
  CHECK(Contains(ParseError("<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href>"
                            "<D:status>200 OK</D:status></D:response></D:multistatus>")
                     .message(),
                 "not an HTTP status line"));
  CHECK(Contains(ParseError("<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href></D:response>"
                            "</D:multistatus>")
                     .message(),
                 "without a status or a propstat"));
}

TEST_CASE("an entity bomb is refused at its DOCTYPE, quickly") {
  std::string bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n";
  bomb += "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    bomb += "<!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) bomb += "&lol" + std::to_string(i - 1) + ";";
    bomb += "\">\n";
  }
  bomb += "]>\n<D:multistatus xmlns:D='DAV:'><D:response><D:href>&lol9;</D:href></D:response></D:multistatus>";
  Status s = ParseError(bomb);
  CHECK(Contains(s.message(), "DOCTYPE"));
  CHECK(Contains(s.message(), "line 2"));
}

TEST_CASE("an external entity is never read") {
  Status s = ParseError(
      "<?xml version=\"1.0\"?><!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
      "<D:multistatus xmlns:D='DAV:'><D:response><D:href>&x;</D:href></D:response></D:multistatus>");
  CHECK(Contains(s.message(), "DOCTYPE"));
  CHECK_FALSE(Contains(s.message(), "root:"));
  // Without a DOCTYPE, an entity reference is simply undefined.
  CHECK(ParseError("<D:multistatus xmlns:D='DAV:'><D:response><D:href>&x;</D:href></D:response></D:multistatus>")
            .code() == ErrorCode::kServerError);
}

TEST_CASE("a value over the text limit is refused") {
  MultistatusLimits limits;
  limits.max_text_bytes = 1000;
  const std::string body = "<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href><D:propstat><D:prop>"
                           "<D:getetag>\"" + std::string(2000, 'e') + "\"</D:getetag></D:prop>"
                           "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
  CHECK(Contains(ParseError(body, limits).message(), "a value over 1000 bytes"));
  // The default limit (16 MiB) holds a large vCard but not a larger one.
  CHECK(MustParse(body).responses.size() == 1);
  const std::string huge = "<D:multistatus xmlns:D='DAV:' xmlns:C='urn:ietf:params:xml:ns:carddav'><D:response>"
                           "<D:href>/a</D:href><D:propstat><D:prop><C:address-data>" +
                           std::string((size_t{16} << 20) + 1, 'v') + "</C:address-data></D:prop>"
                           "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
  CHECK(Contains(ParseError(huge).message(), "a value over 16777216 bytes"));
}

TEST_CASE("nesting deeper than the limit is refused") {
  std::string body = "<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href><D:propstat><D:prop>";
  for (int i = 0; i < 100; ++i) body += "<x>";
  CHECK(Contains(ParseError(body).message(), "nested deeper than 32"));
}

TEST_CASE("10,000 responses are read; more than max_responses are refused") {
  std::string body = "<D:multistatus xmlns:D='DAV:'>";
  for (int i = 0; i < 10000; ++i) {
    body += "<D:response><D:href>/book/" + std::to_string(i) + ".vcf</D:href><D:propstat><D:prop><D:getetag>\"" +
            std::to_string(i) + "\"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>";
  }
  body += "</D:multistatus>";
  Multistatus ms = MustParse(body);
  REQUIRE(ms.responses.size() == 10000);
  CHECK(ms.responses[9999].href == "/book/9999.vcf");
  CHECK(ms.responses[9999].Found()->etag == std::optional<std::string>("\"9999\""));
  MultistatusLimits limits;
  limits.max_responses = 5000;
  CHECK(Contains(ParseError(body, limits).message(), "more than 5000 responses"));
}

TEST_CASE("too many entries in one response, or an over-long property name, are refused") {
  std::string body = "<D:multistatus xmlns:D='DAV:' xmlns:X='urn:x'><D:response><D:href>/a</D:href><D:propstat><D:prop>";
  for (int i = 0; i < 2000; ++i) body += "<X:p" + std::to_string(i) + "/>";
  body += "</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
  CHECK(Contains(ParseError(body).message(), "more than 1024 entries in one response"));

  const std::string long_ns = "<D:multistatus xmlns:D='DAV:' xmlns:X='urn:" + std::string(5000, 'n') +
                              "'><D:response><D:href>/a</D:href><D:propstat><D:prop><X:p/></D:prop>"
                              "<D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response></D:multistatus>";
  CHECK(Contains(ParseError(long_ns).message(), "a property name over 1024 bytes"));
}

TEST_CASE("unknown elements anywhere are skipped, not misread") {
  Multistatus ms = MustParse(
      "<D:multistatus xmlns:D='DAV:' xmlns:Z='urn:z'><Z:extra><D:response><D:href>/no</D:href></D:response></Z:extra>"
      "<D:response><Z:x><D:href>/nested</D:href></Z:x><D:href>/yes</D:href><D:propstat><D:prop>"
      "<Z:getetag>\"not-dav\"</Z:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
      "<D:responsedescription>fine</D:responsedescription></D:response>"
      "<D:responsedescription>all fine</D:responsedescription></D:multistatus>");
  REQUIRE(ms.responses.size() == 1);
  CHECK(ms.responses[0].href == "/yes");
  CHECK_FALSE(ms.responses[0].Found()->etag.has_value());
  CHECK(ms.responses[0].propstats[0].names == std::vector<std::string>{"{urn:z}getetag"});
}

}  // namespace
}  // namespace holdfast::platform::dav
