// platform::dav request bodies: their exact shape, escaping, and refusals.
// Each body is also read back by the multistatus reader's XML layer where
// that can check it (ParseDavError refuses any body that is not XML with a
// syntax error, and names the root otherwise).
#include "platform/dav/request_body.h"

#include <doctest/doctest.h>

#include <array>
#include <string>

#include "platform/dav/multistatus.h"

namespace holdfast::platform::dav {
namespace {

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// Well-formed, namespace-correct XML whose root is `root` ("{ns}local"):
// ParseDavError reads it and says which root it found.
void CheckWellFormed(const std::string& body, const std::string& root) {
  Result<std::vector<std::string>> read = ParseDavError(body);
  REQUIRE_FALSE(read.has_value());
  INFO(read.error().message());
  CHECK(Contains(read.error().message(), "the root element is " + root));
}

TEST_CASE("PROPFIND names each property with the right prefix, and any namespace") {
  const std::array<PropName, 4> props = {kGetEtag, kGetCtag, kAddressbookHomeSet, PropName{"urn:x&y", "color"}};
  Result<std::string> body = PropfindBody(props);
  REQUIRE(body.has_value());
  CHECK(Contains(*body, "<d:prop><d:getetag/><cs:getctag/><card:addressbook-home-set/>"
                        "<x:color xmlns:x=\"urn:x&amp;y\"/></d:prop>"));
  CheckWellFormed(*body, "{DAV:}propfind");
  Result<std::string> all = PropfindBody({});
  REQUIRE(all.has_value());
  CHECK(Contains(*all, "<d:allprop/>"));
  const std::array<PropName, 1> bad = {PropName{kDavNs, "get etag"}};
  CHECK(PropfindBody(bad).error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("a multiget lists its hrefs escaped, and needs at least one") {
  const std::array<PropName, 2> props = {kGetEtag, kAddressData};
  const std::array<std::string, 2> hrefs = {"/book/a.vcf", "/book/b&c%20d.vcf"};
  Result<std::string> body = AddressbookMultigetBody(props, hrefs);
  REQUIRE(body.has_value());
  CHECK(*body ==
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<card:addressbook-multiget xmlns:d=\"DAV:\" xmlns:card=\"urn:ietf:params:xml:ns:carddav\" "
        "xmlns:cal=\"urn:ietf:params:xml:ns:caldav\" xmlns:cs=\"http://calendarserver.org/ns/\">"
        "<d:prop><d:getetag/><card:address-data/></d:prop>"
        "<d:href>/book/a.vcf</d:href><d:href>/book/b&amp;c%20d.vcf</d:href></card:addressbook-multiget>\n");
  CheckWellFormed(*body, "{urn:ietf:params:xml:ns:carddav}addressbook-multiget");
  const std::array<PropName, 2> cal_props = {kGetEtag, kCalendarData};
  Result<std::string> cal = CalendarMultigetBody(cal_props, hrefs);
  REQUIRE(cal.has_value());
  CHECK(Contains(*cal, "<d:prop><d:getetag/><cal:calendar-data/></d:prop>"));
  CheckWellFormed(*cal, "{urn:ietf:params:xml:ns:caldav}calendar-multiget");
  CHECK(CalendarMultigetBody(cal_props, {}).error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("sync-collection sends the token (or an empty one) at sync-level 1") {
  const std::array<PropName, 1> props = {kGetEtag};
  Result<std::string> first = SyncCollectionBody("", props);
  REQUIRE(first.has_value());
  CHECK(Contains(*first, "<d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop>"));
  Result<std::string> next = SyncCollectionBody("http://radicale.org/ns/sync/a<b>&c", props);
  REQUIRE(next.has_value());
  CHECK(Contains(*next, "<d:sync-token>http://radicale.org/ns/sync/a&lt;b&gt;&amp;c</d:sync-token>"));
  CheckWellFormed(*next, "{DAV:}sync-collection");
}

TEST_CASE("MKCALENDAR sets the name and the component set; nothing to set is an empty body") {
  const std::array<std::string, 2> comps = {"VEVENT", "vtodo"};
  Result<std::string> body = MkcalendarBody("Work & \"Play\"", comps);
  REQUIRE(body.has_value());
  CHECK(Contains(*body, "<cal:mkcalendar "));
  CHECK(Contains(*body, "<d:set><d:prop><d:displayname>Work &amp; &quot;Play&quot;</d:displayname>"
                        "<cal:supported-calendar-component-set><cal:comp name=\"VEVENT\"/><cal:comp name=\"VTODO\"/>"
                        "</cal:supported-calendar-component-set></d:prop></d:set></cal:mkcalendar>"));
  CheckWellFormed(*body, "{urn:ietf:params:xml:ns:caldav}mkcalendar");
  CHECK(MkcalendarBody(std::nullopt, {}).value().empty());
  const std::array<std::string, 1> bad = {"VEVENT\" evil=\"1"};
  CHECK(MkcalendarBody(std::nullopt, bad).error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("extended MKCOL makes an address book") {
  Result<std::string> body = MkcolAddressbookBody("Contacts");
  REQUIRE(body.has_value());
  CHECK(Contains(*body, "<d:mkcol "));
  CHECK(Contains(*body, "<d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype>"
                        "<d:displayname>Contacts</d:displayname></d:prop></d:set></d:mkcol>"));
  CheckWellFormed(*body, "{DAV:}mkcol");
  Result<std::string> unnamed = MkcolAddressbookBody(std::nullopt);
  REQUIRE(unnamed.has_value());
  CHECK_FALSE(Contains(*unnamed, "displayname"));
}

TEST_CASE("escaping keeps CR, tab and UTF-8, and refuses what XML cannot carry") {
  CHECK(*EscapeXml("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e'f");
  CHECK(*EscapeXml("l1\r\nl2\tx") == "l1&#13;&#10;l2&#9;x");
  CHECK(*EscapeXml("caf\xC3\xA9 \xF0\x9F\x93\xB7") == "caf\xC3\xA9 \xF0\x9F\x93\xB7");
  CHECK(EscapeXml(std::string_view("a\0b", 3)).error().code() == ErrorCode::kInvalidArgument);
  CHECK(Contains(EscapeXml("a\x01").error().message(), "at byte 1"));
  CHECK(EscapeXml("\xC3").error().code() == ErrorCode::kInvalidArgument);          // cut short
  CHECK(EscapeXml("\xC0\xAF").error().code() == ErrorCode::kInvalidArgument);      // overlong
  CHECK(EscapeXml("\xED\xA0\x80").error().code() == ErrorCode::kInvalidArgument);  // surrogate
  CHECK(EscapeXml("\xEF\xBF\xBF").error().code() == ErrorCode::kInvalidArgument);  // U+FFFF
  CHECK(MkcolAddressbookBody("bad\x02name").error().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("a display name with CRs reads back with its CRs") {
  Result<std::string> body = MkcolAddressbookBody("a\r\nb");
  REQUIRE(body.has_value());
  CHECK(Contains(*body, "<d:displayname>" + *EscapeXml("a\r\nb") + "</d:displayname>"));
  CHECK(!Contains(*body, "\r"));
  // Read through the multistatus reader by wrapping the same escaped text.
  Result<Multistatus> ms = ParseMultistatus(
      "<D:multistatus xmlns:D='DAV:'><D:response><D:href>/a</D:href><D:propstat><D:prop><D:displayname>" +
      *EscapeXml("a\r\nb") + "</D:displayname></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>"
                             "</D:response></D:multistatus>");
  REQUIRE(ms.has_value());
  CHECK(ms->responses[0].Found()->display_name == std::optional<std::string>("a\r\nb"));
}

}  // namespace
}  // namespace holdfast::platform::dav
