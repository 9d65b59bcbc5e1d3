// Reading WebDAV 207 Multi-Status bodies (RFC 4918 section 13, with the
// RFC 6578 sync-collection additions) and DAV:error bodies, over libexpat
// (namespace-aware, streaming; platform/ owns it and this is its only user).
//
// The parser keeps what a CardDAV/CalDAV/WebDAV client needs from each
// response (href, response-level status, each propstat's status and the
// properties of dav_names.h, the error element's precondition) and hands
// every response to a callback as soon as its end tag is read, so a caller
// that consumes them holds one response at a time. Values are the bytes the
// server sent, decoded from XML (entities, CDATA) to UTF-8; hrefs are not
// percent-decoded (see href.h), ETags keep their quotes (see etag.h).
//
// Hostile input is bounded: a DOCTYPE (and so any entity declaration,
// external or internal: no billion laughs) is refused, as are elements nested
// deeper than max_depth, a text value over max_text_bytes, more than
// max_responses responses, more than max_items_per_response hrefs, propstats,
// property names and list entries in one response, and a property name over
// kMaxNameBytes. Every error is kServerError ("the server answered outside
// the protocol") with the message "multistatus: line L, column C: what".
//
// Not thread-safe (one parser per body); no I/O, no logging, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/dav/dav_names.h"
#include "platform/status.h"

namespace holdfast::platform::dav {

// The properties read from one propstat. A property the propstat names gets
// a value (possibly empty); one it does not name stays nullopt / false / empty.
struct Properties {
  std::optional<std::string> etag;          // DAV:getetag, trimmed, quotes kept ("\"abc\"", W/"abc")
  std::optional<std::string> ctag;          // CS:getctag, trimmed
  std::optional<std::string> sync_token;    // DAV:sync-token asked for as a property, trimmed
  std::optional<std::string> display_name;  // DAV:displayname, as sent
  std::optional<std::string> content_type;  // DAV:getcontenttype, trimmed
  std::optional<int64_t> content_length;    // DAV:getcontentlength, when it is a decimal number
  std::optional<std::string> last_modified;  // DAV:getlastmodified, trimmed (an HTTP date, as sent)

  // DAV:resourcetype and the kinds it lists.
  bool has_resource_type = false;
  bool collection = false;   // DAV:collection
  bool addressbook = false;  // CARDDAV:addressbook
  bool calendar = false;     // CALDAV:calendar
  bool principal = false;    // DAV:principal

  // CALDAV:supported-calendar-component-set: each comp's name, upper-cased
  // ("VEVENT", "VTODO", "VJOURNAL"); nullopt when the property is absent.
  std::optional<std::vector<std::string>> components;

  // DAV:current-user-principal's href (trimmed, as sent); empty when the
  // property came back as DAV:unauthenticated; nullopt when absent.
  std::optional<std::string> current_user_principal;
  std::vector<std::string> addressbook_home_set;  // CARDDAV:addressbook-home-set hrefs
  std::vector<std::string> calendar_home_set;     // CALDAV:calendar-home-set hrefs

  std::optional<std::string> address_data;   // CARDDAV:address-data (multiget), exact text
  std::optional<std::string> calendar_data;  // CALDAV:calendar-data (multiget), exact text
};

struct PropStat {
  int status = 0;                  // from "HTTP/1.1 200 OK"
  std::vector<std::string> names;  // every property in it, known or not, "{ns}local", in order
  Properties props;
  std::optional<std::string> error;  // first precondition of its DAV:error, "{ns}local"
};

struct Response {
  std::string href;                      // the first DAV:href, trimmed, not decoded
  std::vector<std::string> extra_hrefs;  // further hrefs (RFC 4918 allows several with a status)
  // The response-level status: RFC 6578 reports a removed member as a
  // response with status 404 and no propstat.
  std::optional<int> status;
  std::vector<PropStat> propstats;
  std::optional<std::string> error;  // first precondition of its DAV:error, "{ns}local"

  // The properties of the first propstat whose status is 2xx, or nullptr.
  const Properties* Found() const;
  // The status of the propstat that names `name`, or nullopt when none does.
  std::optional<int> StatusOf(const PropName& name) const;
};

struct MultistatusLimits {
  size_t max_depth = 32;
  size_t max_text_bytes = size_t{16} << 20;  // one value: an href, an ETag, a vCard
  size_t max_responses = 100000;
  size_t max_items_per_response = 1024;
};

// The longest namespace plus local name kept for a property, in bytes.
inline constexpr size_t kMaxNameBytes = 1024;

// Streaming reader of one multistatus body: Feed it the bytes in any pieces,
// then Finish. on_response runs for each response, in document order, from
// inside Feed or Finish; a non-OK Status it returns stops the parse and is
// returned as is by that Feed or Finish.
class MultistatusParser {
 public:
  using OnResponse = std::function<Status(Response&&)>;
  explicit MultistatusParser(OnResponse on_response, MultistatusLimits limits = {});
  ~MultistatusParser();
  MultistatusParser(const MultistatusParser&) = delete;
  MultistatusParser& operator=(const MultistatusParser&) = delete;

  // Errors: kServerError for malformed or refused input (see the top of this
  // file). After an error every later call returns the same error.
  Status Feed(std::string_view bytes);
  // Ends the body. Errors: as Feed, and kServerError when the body ended
  // before the root element closed (truncated, or empty).
  Status Finish();

  // The multistatus-level DAV:sync-token (RFC 6578), trimmed; known once the
  // parse has passed it (always after a successful Finish).
  const std::optional<std::string>& sync_token() const;
  size_t response_count() const;

 private:
  friend Result<std::vector<std::string>> ParseDavError(std::string_view body, const MultistatusLimits& limits);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct Multistatus {
  std::vector<Response> responses;
  std::optional<std::string> sync_token;
};

// The whole body at once. Errors: as MultistatusParser.
Result<Multistatus> ParseMultistatus(std::string_view body, const MultistatusLimits& limits = {});

// A DAV:error body (RFC 4918 section 16: a 403 or 409 with preconditions,
// e.g. RFC 6578's {DAV:}valid-sync-token): the preconditions it names,
// "{ns}local", in order. Errors: kServerError when the body is not XML or its
// root is not DAV:error (same limits, same refusals).
Result<std::vector<std::string>> ParseDavError(std::string_view body, const MultistatusLimits& limits = {});

}  // namespace holdfast::platform::dav
