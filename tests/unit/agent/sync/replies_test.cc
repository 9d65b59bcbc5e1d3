// The server's answers read by agent/sync/replies.h: a hostile or broken server
// gets an error naming what is wrong, never a crash, an acknowledgement it
// did not give, or an upload or listing that never ends. The bodies here are
// ones tools/reliability/fuzz.sh found crashing the agent, or that kept it
// looping (tests/fuzz/corpus/json_reply_fuzz/ replays them too).
#include <doctest/doctest.h>

#include "agent/sync/replies.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

json Body(const char* text) { return json::parse(text); }

TEST_CASE("a state answer whose reupload times are not integers is an error, not a crash") {
  for (const char* body : {R"({"epoch":"e","collections":[],"reupload":{"id":"r","not_before_ms":"soon"}})",
                           R"({"epoch":"e","collections":[],"reupload":{"id":"r","spread_ms":1.5}})",
                           R"({"epoch":"e","collections":[],"reupload":{"id":"r","spread_ms":18446744073709551615}})"}) {
    CAPTURE(body);
    Result<StateReply> state = ParseStateReply(Body(body), "GET /state");
    REQUIRE_FALSE(state);
    CHECK(state.error().code() == ErrorCode::kServerError);
    CHECK(state.error().message().find("reupload") != std::string::npos);
  }
  Result<StateReply> fine = ParseStateReply(
      Body(R"({"epoch":"e","collections":[{"id":"c","items":2,"digest":"d"}],"reupload":{"id":"r","spread_ms":60}})"),
      "GET /state");
  REQUIRE(fine);
  CHECK(fine->reupload->spread_ms == 60);
  CHECK(fine->reupload->not_before_ms == 0);
  CHECK(fine->collections.at(0).has_counts);
}

TEST_CASE("a state answer whose reupload is not an object has no reupload and no crash") {
  Result<StateReply> state = ParseStateReply(Body(R"({"epoch":"e","collections":[],"reupload":["id"]})"), "GET /state");
  REQUIRE(state);
  CHECK_FALSE(state->reupload);
}

TEST_CASE("batch results that are not objects or whose status is not a string acknowledge nothing") {
  Result<BatchReply> batch = ParseBatchReply(
      Body(R"({"put":[1,{"status":5},{"status":"stored"}],"delete":["deleted",{"status":null}]})"), 3, 2, "POST b");
  REQUIRE(batch);
  CHECK(batch->put_status == std::vector<std::string>{"", "", "stored"});
  CHECK(batch->delete_status == std::vector<std::string>{"", ""});
  CHECK_FALSE(ParseBatchReply(Body(R"({"put":[],"delete":[]})"), 1, 0, "POST b"));
}

TEST_CASE("a blob answer with a complete that is not a boolean or a received that is not a count is an error") {
  for (const char* body : {R"({"complete":"yes"})", R"({"complete":1})", R"({"received":"10"})",
                           R"({"received":-1})", R"({"received":2.5})"}) {
    CAPTURE(body);
    Result<BlobChunkReply> reply = ParseBlobChunkReply(Body(body), "PUT /blobs/x");
    REQUIRE_FALSE(reply);
    CHECK(reply.error().code() == ErrorCode::kServerError);
  }
  Result<BlobChunkReply> fine = ParseBlobChunkReply(Body(R"({"complete":false,"received":7})"), "PUT /blobs/x");
  REQUIRE(fine);
  CHECK(*fine->received == 7);
}

TEST_CASE("a blob answer that does not advance the upload, or claims more than the blob, is an error") {
  BlobChunkReply reply;
  reply.received = 100;  // the chunk sent was at 100: no progress
  CHECK_FALSE(NextBlobOffset(reply, 100, 50, 1000, "PUT /blobs/x"));
  reply.received = 40;  // backwards
  CHECK_FALSE(NextBlobOffset(reply, 100, 50, 1000, "PUT /blobs/x"));
  reply.received = 1001;  // past the end
  CHECK_FALSE(NextBlobOffset(reply, 100, 50, 1000, "PUT /blobs/x"));
  reply.received = 1000;  // all of it, yet not complete: the next chunk would be empty forever
  CHECK_FALSE(NextBlobOffset(reply, 1000, 0, 1000, "PUT /blobs/x"));
  reply.received = 120;  // kept part of the chunk: go on from there
  CHECK(*NextBlobOffset(reply, 100, 50, 1000, "PUT /blobs/x") == 120);
  reply.received.reset();
  CHECK(*NextBlobOffset(reply, 100, 50, 1000, "PUT /blobs/x") == 150);
}

TEST_CASE("a 409 whose offset is past the blob's size is an error") {
  CHECK(*ParseBlobConflictReply(Body(R"({"offset":1000})"), 1000, "PUT /blobs/x") == 1000);
  CHECK_FALSE(ParseBlobConflictReply(Body(R"({"offset":1001})"), 1000, "PUT /blobs/x"));
  CHECK_FALSE(ParseBlobConflictReply(Body(R"({"offset":-5})"), 1000, "PUT /blobs/x"));
}

TEST_CASE("an inventory page whose next does not come after the page asked for is an error") {
  const json same = Body(R"({"items":[{"uid":"m","sha256":"00"}],"next":"m"})");
  CHECK_FALSE(ParseInventoryPage(same, "m", "GET inv"));
  CHECK_FALSE(ParseInventoryPage(same, "n", "GET inv"));
  Result<InventoryPage> page = ParseInventoryPage(same, "a", "GET inv");
  REQUIRE(page);
  CHECK(page->next == "m");
  Result<InventoryPage> last = ParseInventoryPage(Body(R"({"items":[],"next":null})"), "z", "GET inv");
  REQUIRE(last);
  CHECK(last->next.empty());
}

}  // namespace
}  // namespace holdfast::agent
