// platform::dav entity tags: reading what servers send, If-Match, comparison.
#include "platform/dav/etag.h"

#include <doctest/doctest.h>

namespace holdfast::platform::dav {
namespace {

TEST_CASE("strong, weak and unquoted ETags are read") {
  CHECK(*ParseEntityTag("\"abc\"") == EntityTag{"abc", false});
  CHECK(*ParseEntityTag(" W/\"1000-61c2\" ") == EntityTag{"1000-61c2", true});
  CHECK(*ParseEntityTag("\"\"") == EntityTag{"", false});
  CHECK(*ParseEntityTag("raw-etag-1") == EntityTag{"raw-etag-1", false});
}

TEST_CASE("an ETag that cannot be one is refused, quoting only a little of it") {
  for (const char* bad : {"", "  ", "\"abc", "W/abc", "W/", "\"a\"b\"", "a b", "\"a\tb\"", "\"a\x7F\""}) {
    Result<EntityTag> tag = ParseEntityTag(bad);
    INFO(bad);
    CHECK(tag.error().code() == ErrorCode::kServerError);
  }
  CHECK(ParseEntityTag("\"" + std::string(1000, 'x')).error().message().size() < 200);
}

TEST_CASE("If-Match takes the strong tag quoted and refuses a weak one") {
  CHECK(*IfMatchValue("\"abc\"") == "\"abc\"");
  CHECK(*IfMatchValue("unquoted") == "\"unquoted\"");
  CHECK(IfMatchValue("W/\"abc\"").error().code() == ErrorCode::kInvalidArgument);
  CHECK(IfMatchValue("\"open").error().code() == ErrorCode::kServerError);
  CHECK(FormatEntityTag(EntityTag{"x", true}) == "W/\"x\"");
}

TEST_CASE("strong comparison needs two strong tags; weak comparison only the text") {
  const EntityTag s1{"1", false}, w1{"1", true}, s2{"2", false};
  CHECK(StrongEqual(s1, s1));
  CHECK_FALSE(StrongEqual(s1, w1));
  CHECK_FALSE(StrongEqual(w1, w1));
  CHECK_FALSE(StrongEqual(s1, s2));
  CHECK(WeakEqual(s1, w1));
  CHECK(WeakEqual(w1, w1));
  CHECK_FALSE(WeakEqual(w1, s2));
}

}  // namespace
}  // namespace holdfast::platform::dav
