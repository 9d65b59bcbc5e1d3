// Fuzz target: platform::dav::ParseMultistatus and ParseDavError over
// arbitrary bytes (a 207 or 4xx body from any server). Never crashes; an
// error names where it happened; on success the limits hold, every response
// has an href and a status or a propstat, the body read in two pieces reads
// the same as in one, each relative href resolves to a URL the HTTP client's
// curl check takes unchanged, and each ETag that parses formats back to
// itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "platform/dav/etag.h"
#include "platform/dav/href.h"
#include "platform/dav/multistatus.h"
#include "platform/http_client.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

using namespace holdfast;
using namespace holdfast::platform::dav;

void CheckValue(const std::optional<std::string>& value, size_t max) {
  HOLDFAST_FUZZ_CHECK(!value || value->size() <= max, "a value over the text limit");
}

void CheckResponse(const Response& r, const MultistatusLimits& limits) {
  HOLDFAST_FUZZ_CHECK(!r.href.empty(), "a response without an href");
  HOLDFAST_FUZZ_CHECK(r.status || !r.propstats.empty(), "a response without status or propstat");
  HOLDFAST_FUZZ_CHECK(r.propstats.size() + r.extra_hrefs.size() <= limits.max_items_per_response, "items over the limit");
  for (const PropStat& p : r.propstats) {
    HOLDFAST_FUZZ_CHECK(p.status >= 100 && p.status <= 999, "a propstat status out of range");
    CheckValue(p.props.etag, limits.max_text_bytes);
    CheckValue(p.props.address_data, limits.max_text_bytes);
    CheckValue(p.props.calendar_data, limits.max_text_bytes);
    if (p.props.etag) {
      Result<EntityTag> tag = ParseEntityTag(*p.props.etag);
      if (tag) {
        Result<EntityTag> again = ParseEntityTag(FormatEntityTag(*tag));
        HOLDFAST_FUZZ_CHECK(again && *again == *tag, "an ETag does not format back to itself");
      }
    }
  }
  const std::string base = "http://127.0.0.1:5232/alice/book/";
  if (r.href.find("//") == std::string::npos && r.href.find(':') == std::string::npos) {
    Result<std::string> url = ResolveHref(base, r.href);
    if (url && url->find('?') == std::string::npos) {
      Result<platform::ServerUrl> parsed = platform::ParseServerUrl(*url);
      HOLDFAST_FUZZ_CHECK(parsed.has_value(), "a resolved href that curl refuses");
      HOLDFAST_FUZZ_CHECK(parsed->url == *url || parsed->url + "/" == *url, "a resolved href that curl rewrites");
      HOLDFAST_FUZZ_CHECK(SameHref(*url, *url), "an href not the same as itself");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  MultistatusLimits limits;
  limits.max_text_bytes = 4096;
  limits.max_responses = 1000;
  limits.max_items_per_response = 64;

  Result<Multistatus> whole = ParseMultistatus(bytes, limits);
  if (!whole) {
    HOLDFAST_FUZZ_CHECK(whole.error().code() == ErrorCode::kServerError, "an error that is not kServerError");
    HOLDFAST_FUZZ_CHECK(whole.error().message().rfind("multistatus: line ", 0) == 0, "an error without a position");
  } else {
    HOLDFAST_FUZZ_CHECK(whole->responses.size() <= limits.max_responses, "responses over the limit");
    for (const Response& r : whole->responses) CheckResponse(r, limits);
  }

  // The same body in two pieces.
  size_t count = 0;
  MultistatusParser parser(
      [&](Response&& r) {
        const bool same = whole && count < whole->responses.size() && whole->responses[count].href == r.href;
        HOLDFAST_FUZZ_CHECK(!whole || same, "a split body reads differently");
        ++count;
        return Status::Ok();
      },
      limits);
  Status split = parser.Feed(bytes.substr(0, size / 2));
  if (split.ok()) split = parser.Feed(bytes.substr(size / 2));
  if (split.ok()) split = parser.Finish();
  HOLDFAST_FUZZ_CHECK(split.ok() == whole.has_value(), "a split body succeeds or fails differently");
  if (whole) {
    HOLDFAST_FUZZ_CHECK(count == whole->responses.size(), "a split body gives another number of responses");
    HOLDFAST_FUZZ_CHECK(parser.sync_token() == whole->sync_token, "a split body gives another sync token");
  }

  Result<std::vector<std::string>> pre = ParseDavError(bytes, limits);
  if (pre) HOLDFAST_FUZZ_CHECK(pre->size() <= limits.max_items_per_response, "preconditions over the limit");
  return 0;
}
