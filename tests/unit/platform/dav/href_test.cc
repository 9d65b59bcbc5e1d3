// platform::dav hrefs: names as bytes, resolution against the request URL,
// comparison across encodings, and agreement with the HTTP client's URL check.
#include "platform/dav/href.h"

#include <doctest/doctest.h>

#include <string>

#include "platform/http_client.h"

namespace holdfast::platform::dav {
namespace {

TEST_CASE("every byte of a name survives encoding and decoding") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  const std::string encoded = EncodePathSegment(all);
  CHECK(encoded.find('/') == std::string::npos);
  CHECK(encoded.find('%') != std::string::npos);
  CHECK(*PercentDecode(encoded) == all);
  CHECK(EncodePathSegment("a b/c:d@e.vcf") == "a%20b%2Fc%3Ad%40e.vcf");
  CHECK(EncodePathSegment("Az09-._~") == "Az09-._~");
  CHECK(EncodePathSegment("caf\xC3\xA9") == "caf%C3%A9");
}

TEST_CASE("PercentDecode refuses a stray percent") {
  CHECK(*PercentDecode("a%2fb%2F%41") == "a/b/A");
  CHECK(PercentDecode("100%").error().code() == ErrorCode::kServerError);
  CHECK(PercentDecode("%4").error().code() == ErrorCode::kServerError);
  CHECK(PercentDecode("%zz").error().code() == ErrorCode::kServerError);
}

TEST_CASE("SegmentsUnder gives the decoded path below a collection, and nothing for other paths") {
  using Segs = std::vector<std::string>;
  auto under = [](std::string_view base, std::string_view href) {
    Result<std::optional<Segs>> r = SegmentsUnder(base, href);
    REQUIRE(r);
    return *r;
  };
  CHECK(under("http://h/photos/c/", "/photos/c/a/b%20c%23%3F.jpg") == std::optional<Segs>(Segs{"a", "b c#?.jpg"}));
  CHECK(under("http://h/photos/c/", "http://H:80/photos/c/a%2Fb") == std::optional<Segs>(Segs{"a/b"}));
  CHECK(under("http://h/photos/c/", "/photos/c/") == std::optional<Segs>(Segs{}));
  CHECK(under("http://h/photos/c/", "/photos/c%E9/x") == std::nullopt);
  CHECK(under("http://h/photos/c/", "/photos/") == std::nullopt);
  CHECK(under("http://h/photos/c/", "http://other/photos/c/x") == std::nullopt);
  CHECK_FALSE(SegmentsUnder("http://h/photos/c/", "/photos/c/%zz"));
}

TEST_CASE("an href resolves against the request URL whatever form it takes") {
  const std::string base = "https://dav.example.com/dav/alice/contacts/";
  CHECK(*ResolveHref(base, "/dav/alice/contacts/a.vcf") == "https://dav.example.com/dav/alice/contacts/a.vcf");
  CHECK(*ResolveHref(base, "a.vcf") == "https://dav.example.com/dav/alice/contacts/a.vcf");
  CHECK(*ResolveHref(base, "../cal/") == "https://dav.example.com/dav/alice/cal/");
  CHECK(*ResolveHref(base, "  /x/./y/../z.vcf \n") == "https://dav.example.com/x/z.vcf");
  CHECK(*ResolveHref(base, "HTTPS://DAV.Example.com:8443/p/") == "https://dav.example.com:8443/p/");
  CHECK(*ResolveHref(base, "//other.example.com/q") == "https://other.example.com/q");
  CHECK(*ResolveHref(base, "/a%2Fb%20c.vcf#frag") == "https://dav.example.com/a%2Fb%20c.vcf");
  CHECK(*ResolveHref(base, "/with space/caf\xC3\xA9.vcf") == "https://dav.example.com/with%20space/caf%C3%A9.vcf");
  CHECK(*ResolveHref(base, "/100%/x") == "https://dav.example.com/100%25/x");
  CHECK(*ResolveHref(base, "/a{b}|c\"") == "https://dav.example.com/a%7Bb%7D%7Cc%22");
  CHECK(*ResolveHref("http://127.0.0.1:5232/alice/", "/alice/b.ics?x=1") == "http://127.0.0.1:5232/alice/b.ics?x=1");
  CHECK(*ResolveHref(base, "") == base);
}

TEST_CASE("an href with another scheme or user info, or a base that is no URL, is refused") {
  const std::string base = "https://dav.example.com/dav/";
  CHECK(ResolveHref(base, "mailto:alice@example.com").error().code() == ErrorCode::kServerError);
  CHECK(ResolveHref(base, "file:///etc/passwd").error().code() == ErrorCode::kServerError);
  CHECK(ResolveHref(base, "https://user:pw@evil.example.com/").error().code() == ErrorCode::kServerError);
  CHECK(ResolveHref(base, "https:///nohost").error().code() == ErrorCode::kServerError);
  CHECK(ResolveHref("/relative/base/", "a.vcf").error().code() == ErrorCode::kServerError);
}

TEST_CASE("a resolved href is a URL the HTTP client's curl check takes unchanged") {
  const std::string base = "http://127.0.0.1:5232/alice/contacts/";
  std::string odd;
  for (int c = 1; c < 256; ++c) odd.push_back(static_cast<char>(c));
  for (const std::string& href : {std::string("/alice/contacts/a%20b.vcf"), std::string("x y/../z:@!$&'()*+,;=.vcf"),
                                 std::string("/caf\xC3\xA9/\xFF\x01.vcf"), std::string("/a%zz%2f%2F"),
                                 "/" + odd, EncodePathSegment(odd), MemberUrl(base, odd)}) {
    Result<std::string> url = ResolveHref(base, href);
    REQUIRE(url.has_value());
    Result<ServerUrl> parsed = ParseServerUrl(*url);
    INFO(*url);
    REQUIRE(parsed.has_value());
    CHECK((parsed->url == *url || parsed->url + "/" == *url));
  }
}

TEST_CASE("hrefs that differ only in encoding, case of the host, port or a trailing slash are the same") {
  CHECK(SameHref("/book/a%40b.vcf", "/book/a@b.vcf"));
  CHECK(SameHref("/book/", "/book"));
  CHECK(SameHref("/book/caf%c3%a9/", "/book/caf%C3%A9"));
  CHECK(SameHref("https://DAV.example.com:443/book/", "https://dav.example.com/book"));
  CHECK(SameHref("http://h/book/", "/book/"));
  CHECK(SameHref("/", ""));
  CHECK_FALSE(SameHref("/book/a%2Fb", "/book/a/b"));
  CHECK_FALSE(SameHref("/book/a", "/book/b"));
  CHECK_FALSE(SameHref("/book//", "/book/"));
  CHECK_FALSE(SameHref("http://h/book/", "https://h/book/"));
  CHECK_FALSE(SameHref("http://h:8080/book/", "http://h/book/"));
  CHECK_FALSE(SameHref("/book/100%", "/book/100%25"));
}

TEST_CASE("a member's URL and name go through bytes and back") {
  CHECK(MemberUrl("http://h/book", "a b.vcf") == "http://h/book/a%20b.vcf");
  CHECK(MemberUrl("http://h/book/", "x/y") == "http://h/book/x%2Fy");
  const std::string name("\x00\xFF/ \xC3\xA9", 6);
  CHECK(*HrefName(MemberUrl("http://h/book/", name)) == name);
  CHECK(*HrefName("/book/sub%20dir/") == "sub dir");
  CHECK(*HrefName("/book/a.vcf?x#y") == "a.vcf");
  CHECK(HrefName("/book/50%").error().code() == ErrorCode::kServerError);
}

}  // namespace
}  // namespace holdfast::platform::dav
