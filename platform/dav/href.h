// Hrefs as WebDAV servers send them (RFC 4918 section 8.3: an absolute URL,
// an absolute path, or a path relative to the request URL) and resource names
// as bytes. Purely textual (RFC 3986), for http and https only; the resolved
// URLs are the form platform::HttpClient's curl_url check accepts unchanged
// (tests/unit/platform/dav/href_test.cc holds the two together).
//
// A resource name is bytes, not text: a name is percent-encoded byte by byte
// and decoded back to the same bytes, whatever they are (NUL, '/', invalid
// UTF-8 included).
//
// Pure functions: thread-safe, no I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/status.h"

namespace holdfast::platform::dav {

// Percent-encodes every byte of `name` but the unreserved ones
// (A-Z a-z 0-9 - . _ ~) as "%XX" (upper-case hex): one path segment, '/'
// included. Decoding it with PercentDecode gives `name` back.
std::string EncodePathSegment(std::string_view name);

// Decodes every "%XX" of `text` to its byte; other bytes stay.
// Errors: kServerError for a '%' not followed by two hex digits.
Result<std::string> PercentDecode(std::string_view text);

// The absolute URL `href` names, read against `base_url` (the absolute
// http(s) URL the request went to). Scheme and host are lower-cased, dot
// segments removed, the fragment dropped, the query kept; bytes a URL cannot
// hold literally (controls, space, non-ASCII, a '%' that starts no escape,
// and " < > \ ^ ` { | }) are percent-encoded; escapes the server sent stay as
// sent. Errors: kServerError when `href` has a scheme other than http(s) or
// user info, or `base_url` is not an absolute http(s) URL.
Result<std::string> ResolveHref(std::string_view base_url, std::string_view href);

// Whether hrefs `a` and `b` (absolute URLs or absolute paths) name the same
// resource: their paths are equal segment by segment after percent-decoding,
// one trailing '/' aside ("/a%40b/" and "/a@b" match; "/a%2Fb" and "/a/b" do
// not); when both have a scheme and host, those match too (any case, default
// port 80 / 443 or none). A path that does not decode is compared as sent.
bool SameHref(std::string_view a, std::string_view b);

// The URL of the member called `name` (bytes) in the collection at
// `collection_url`: the collection's URL, a '/' when it has none at the end,
// then EncodePathSegment(name).
std::string MemberUrl(std::string_view collection_url, std::string_view name);

// The decoded last segment of `href`'s path, one trailing '/' aside: the
// member's name ("/book/a%20b.vcf" -> "a b.vcf"). Errors: as PercentDecode.
Result<std::string> HrefName(std::string_view href);

// The decoded path segments of `href` (an absolute URL or absolute path)
// below the collection at `base_url`: "/photos/a/b%20c.jpg" under
// "http://h/photos/" -> {"a", "b c.jpg"}; {} for the collection itself.
// nullopt when `href` is not at or below `base_url` (another path, or
// another scheme or host when both name one). Errors: kServerError for a
// segment of `href` that does not decode (see PercentDecode).
Result<std::optional<std::vector<std::string>>> SegmentsUnder(std::string_view base_url, std::string_view href);

}  // namespace holdfast::platform::dav
