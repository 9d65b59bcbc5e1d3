// The reference server as a client without Holdfast would see it: the
// protocol's answers, its bounds, and bad requests that get a 4xx and never
// bring it down. Requests go through the project's libcurl client.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "platform/base64.h"
#include "platform/http_client.h"
#include "platform/sha256.h"
#include "tests/support/server_process.h"
#include "tests/support/temp_dir.h"

namespace holdfast {
namespace {

using nlohmann::json;
using platform::HttpRequest;
using platform::HttpResponse;

struct Server {
  testing::TempDir dir;
  std::string data = (dir / "data").string();
  std::string token = testing::AddAccount(data, "phone");
  std::string other_token = testing::AddAccount(data, "tablet");
  testing::ServerProcess process{data};
  std::unique_ptr<platform::HttpClient> http = testing::TestHttpClient();

  // Authenticated as "phone" by default; "" sends no token.
  HttpResponse Call(const std::string& method, const std::string& path, std::string body = "",
                    const std::string& bearer = "default") {
    return testing::CallServer(*http, method, process.url() + path, std::move(body),
                               bearer == "default" ? token : bearer);
  }
  json Body(const HttpResponse& response) { return json::parse(response.body); }
};

std::string PutEntry(const std::string& uid, const std::string& content) {
  return json{{"uid", uid}, {"sha256", platform::ToHex(platform::Sha256Of(content))},
              {"content_base64", platform::Base64Encode(content)}}
      .dump();
}

TEST_CASE("tokens: none is 401, another account's is 403, both as problem+json") {
  Server s;
  HttpResponse none = s.Call("GET", "/v1/accounts/phone/state", "", "");
  CHECK(none.status == 401);
  CHECK(none.content_type == "application/problem+json");
  CHECK(s.Body(none)["type"] == "urn:holdfast:problem:unauthorized");
  CHECK(s.Call("GET", "/v1/accounts/phone/state", "", "not-a-token").status == 401);
  CHECK(s.Call("GET", "/v1/accounts/phone/state", "", s.other_token).status == 403);
  HttpResponse state = s.Call("GET", "/v1/accounts/phone/state");
  CHECK(state.status == 200);
  CHECK(s.Body(state)["protocol"] == 1);
  CHECK(s.Body(state)["epoch"].get<std::string>().size() == 32);
}

TEST_CASE("batches are idempotent and the digest follows the protocol's definition") {
  Server s;
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/book", R"({"kind":"contact","name":"Personal"})").status == 200);
  const std::string batch = R"({"put":[)" + PutEntry("b", "card b") + "," + PutEntry("a", "card a") + R"(],"delete":["gone"]})";
  HttpResponse first = s.Call("POST", "/v1/accounts/phone/collections/book/batch", batch);
  REQUIRE(first.status == 200);
  CHECK(s.Body(first)["put"][0]["status"] == "stored");
  CHECK(s.Body(first)["delete"][0]["status"] == "deleted");
  HttpResponse again = s.Call("POST", "/v1/accounts/phone/collections/book/batch", batch);
  CHECK(s.Body(again)["put"][0]["status"] == "unchanged");
  CHECK(s.Body(again)["put"][1]["status"] == "unchanged");

  json state = s.Body(s.Call("GET", "/v1/accounts/phone/state"));
  REQUIRE(state["collections"].size() == 1);
  CHECK(state["collections"][0]["items"] == 2);
  std::string expected;
  for (const char* uid : {"a", "b"}) {
    expected += std::string(uid) + '\0' + platform::ToHex(platform::Sha256Of(std::string("card ") + uid)) + "\n";
  }
  CHECK(state["collections"][0]["digest"] == platform::ToHex(platform::Sha256Of(expected)));

  // A wrong checksum and a bad entry are refused one by one, the rest stored.
  const std::string mixed = R"({"put":[{"uid":"c","sha256":")" + std::string(64, '0') +
                            R"(","content_base64":"Y2FyZCBj"},{"uid":""},)" + PutEntry("d", "card d") + "]}";
  json results = s.Body(s.Call("POST", "/v1/accounts/phone/collections/book/batch", mixed));
  CHECK(results["put"][0]["status"] == "checksum-mismatch");
  CHECK(results["put"][1]["status"] == "invalid");
  CHECK(results["put"][2]["status"] == "stored");
  // Content comes back byte for byte.
  HttpResponse content = s.Call("GET", "/v1/accounts/phone/collections/book/items/d");
  CHECK(content.body == "card d");

  // Uids in their wire form (docs/protocol.md): an encoded name is kept as
  // sent; text that is not the wire form of anything is refused.
  const std::string wire = PutEntry("~b64:Y2Fm6S5qcGc", "caf\xe9.jpg") + "," + PutEntry("~b64:YWJj", "abc") + "," +
                           PutEntry("~b64:Y2Fm6S5qcGc=", "padded") + "," + PutEntry("~b64:fmI2NDp4", "marker");
  json wired = s.Body(s.Call("POST", "/v1/accounts/phone/collections/book/batch", R"({"put":[)" + wire + "]}"));
  CHECK(wired["put"][0]["status"] == "stored");
  CHECK(wired["put"][1]["status"] == "invalid");  // "abc" goes as it is
  CHECK(wired["put"][2]["status"] == "invalid");  // padding is not the wire form
  CHECK(wired["put"][3]["status"] == "stored");   // "~b64:x" itself, encoded
  CHECK(s.Call("GET", "/v1/accounts/phone/collections/book/items/~b64:Y2Fm6S5qcGc").body == "caf\xe9.jpg");
}

TEST_CASE("the inventory pages through a collection in uid order") {
  Server s;
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/cal", R"({"kind":"event","name":"Home"})").status == 200);
  std::string puts;
  for (int i = 0; i < 25; ++i) puts += (i ? "," : "") + PutEntry("uid-" + std::to_string(100 + i), std::to_string(i));
  REQUIRE(s.Call("POST", "/v1/accounts/phone/collections/cal/batch", R"({"put":[)" + puts + "]}").status == 200);
  std::vector<std::string> uids;
  std::string after;
  for (int page = 0; page < 10; ++page) {
    json body = s.Body(s.Call("GET", "/v1/accounts/phone/collections/cal/inventory?limit=10" +
                                         (after.empty() ? "" : "&after=" + after)));
    for (const json& item : body["items"]) uids.push_back(item["uid"]);
    if (body["next"].is_null()) break;
    after = body["next"];
  }
  REQUIRE(uids.size() == 25);
  CHECK(std::is_sorted(uids.begin(), uids.end()));
  CHECK(s.Call("GET", "/v1/accounts/phone/collections/cal/inventory?limit=0").status == 400);
  CHECK(s.Call("GET", "/v1/accounts/phone/collections/nope/inventory").status == 404);
}

TEST_CASE("a blob uploads in chunks, resumes from the server's offset, and is checked when complete") {
  Server s;
  const std::string bytes(3 << 20, 'p');
  const std::string sha = platform::ToHex(platform::Sha256Of(bytes));
  const std::string size = std::to_string(bytes.size());
  const std::string base = "/v1/accounts/phone/blobs/" + sha;
  CHECK(s.Call("GET", base).status == 404);
  REQUIRE(s.Call("PUT", base + "?offset=0&size=" + size, bytes.substr(0, 1 << 20)).status == 200);
  // A chunk at the wrong offset: 409 with the offset to continue from.
  HttpResponse wrong = s.Call("PUT", base + "?offset=0&size=" + size, bytes.substr(0, 1 << 20));
  CHECK(wrong.status == 409);
  CHECK(s.Body(wrong)["offset"] == (1 << 20));
  json partial = s.Body(s.Call("GET", base));
  CHECK(partial["received"] == (1 << 20));
  CHECK(partial["complete"] == false);
  HttpResponse done = s.Call("PUT", base + "?offset=" + std::to_string(1 << 20) + "&size=" + size, bytes.substr(1 << 20));
  REQUIRE(done.status == 200);
  CHECK(s.Body(done)["complete"] == true);
  // Bytes that do not hash to the name are discarded with 422.
  const std::string liar = "/v1/accounts/phone/blobs/" + std::string(64, 'a') + "?offset=0&size=4";
  CHECK(s.Call("PUT", liar, "abcd").status == 422);
  CHECK(s.Call("GET", "/v1/accounts/phone/blobs/" + std::string(64, 'a')).status == 404);
  // An item may refer to the complete blob only.
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/pics", R"({"kind":"photo","name":"DCIM"})").status == 200);
  json refs = s.Body(s.Call("POST", "/v1/accounts/phone/collections/pics/batch",
                            R"({"put":[{"uid":"IMG_1.jpg","sha256":")" + sha + R"(","blob":true},{"uid":"IMG_2.jpg","sha256":")" +
                                std::string(64, 'b') + R"(","blob":true}]})"));
  CHECK(refs["put"][0]["status"] == "stored");
  CHECK(refs["put"][1]["status"] == "missing-blob");
  CHECK(s.Call("GET", "/v1/accounts/phone/collections/pics/items/IMG_1.jpg").body == bytes);
}

TEST_CASE("bad requests get a 4xx and the server goes on serving") {
  Server s;
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/book", R"({"kind":"contact","name":"P"})").status == 200);
  CHECK(s.Call("POST", "/v1/accounts/phone/collections/book/batch", "{not json").status == 400);
  CHECK(s.Call("POST", "/v1/accounts/phone/collections/book/batch", "[1,2]").status == 400);
  CHECK(s.Call("PUT", "/v1/accounts/phone/collections/book", R"({"kind":"spaceship","name":"P"})").status == 400);
  CHECK(s.Call("PUT", "/v1/accounts/phone/collections/bad%20id", R"({"kind":"contact","name":"P"})").status == 400);
  CHECK(s.Call("GET", "/v1/accounts/phone/nothing-here").status == 404);
  CHECK(s.Call("PUT", "/v1/accounts/phone/blobs/" + std::string(64, 'c') + "?offset=x&size=1", "a").status == 400);
  std::string thousand_and_one;
  for (int i = 0; i <= 1000; ++i) thousand_and_one += (i ? ",\"" : "\"") + std::to_string(i) + "\"";
  CHECK(s.Call("POST", "/v1/accounts/phone/collections/book/batch", R"({"delete":[)" + thousand_and_one + "]}").status == 413);
  HttpResponse huge = s.Call("POST", "/v1/accounts/phone/collections/book/batch", std::string(17 << 20, ' '));
  CHECK(huge.status == 413);
  CHECK(s.Call("PUT", "/v1/accounts/phone/blobs/" + std::string(64, 'd') + "?offset=0&size=9000000", std::string(9 << 20, 'x')).status == 413);
  CHECK(s.Call("GET", "/v1/accounts/phone/state").status == 200);
}

TEST_CASE("request-reupload opens the window --not-before after the request, by default once every agent has looked") {
  Server s;
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/book", R"({"kind":"contact","name":"P"})").status == 200);
  auto request = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = {testing::ServerBinary(), "request-reupload", "--data", s.data,
                                     "--account", "phone"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    testing::ProcessResult r = testing::RunProcess(argv);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    json reupload = s.Body(s.Call("GET", "/v1/accounts/phone/state"))["reupload"];
    REQUIRE(reupload.is_object());
    return std::make_pair(reupload, r.out);
  };
  // The default: max(1.25 x check_interval_s, retry_max_s) of the agent's defaults, 75 min.
  auto [by_default, said] = request({"--spread", "1h"});
  CHECK(by_default["not_before_ms"].get<int64_t>() - by_default["requested_at_ms"].get<int64_t>() == 4'500'000);
  CHECK(by_default["spread_ms"] == 3'600'000);
  CHECK_MESSAGE(said.find("75 min after the request") != std::string::npos, said);
  // The rate the spread implies: 1.3 x devices / spread, 0.361 uploads/s per 1,000 devices over an hour.
  CHECK_MESSAGE(said.find("0.361 uploads/s per 1,000 devices") != std::string::npos, said);
  auto [later, said_later] = request({"--not-before", "10m", "--spread", "30m"});
  CHECK(later["not_before_ms"].get<int64_t>() - later["requested_at_ms"].get<int64_t>() == 600'000);
  CHECK(later["id"] != by_default["id"]);
  auto [now, said_now] = request({"--not-before", "0"});
  CHECK(now["not_before_ms"] == now["requested_at_ms"]);
  CHECK(now["spread_ms"] == 0);
  CHECK_MESSAGE(said_now.find("spread 0: every device uploads the moment the window opens") != std::string::npos,
                said_now);
  // A value that is no duration is refused, named, and changes nothing.
  testing::ProcessResult bad = testing::RunProcess({testing::ServerBinary(), "request-reupload", "--data", s.data,
                                                    "--account", "phone", "--not-before", "soon"});
  CHECK(bad.exit_code != 0);
  CHECK_MESSAGE(bad.err.find("--not-before soon") != std::string::npos, bad.err);
  CHECK(s.Body(s.Call("GET", "/v1/accounts/phone/state"))["reupload"]["id"] == now["id"]);
}

TEST_CASE("operator commands: wipe gives a new epoch and no data; request-reupload shows in the state") {
  Server s;
  REQUIRE(s.Call("PUT", "/v1/accounts/phone/collections/book", R"({"kind":"contact","name":"P"})").status == 200);
  const std::string epoch = s.Body(s.Call("GET", "/v1/accounts/phone/state"))["epoch"];
  testing::ProcessResult reupload = testing::RunProcess({testing::ServerBinary(), "request-reupload", "--data", s.data,
                                                         "--account", "phone", "--spread", "1h"});
  REQUIRE_MESSAGE(reupload.exit_code == 0, reupload.err);
  json state = s.Body(s.Call("GET", "/v1/accounts/phone/state"));
  REQUIRE(state["reupload"].is_object());
  CHECK(state["reupload"]["spread_ms"] == 3600000);
  testing::ProcessResult wiped = testing::RunProcess({testing::ServerBinary(), "wipe", "--data", s.data, "--account", "phone"});
  REQUIRE_MESSAGE(wiped.exit_code == 0, wiped.err);
  state = s.Body(s.Call("GET", "/v1/accounts/phone/state"));
  CHECK(state["epoch"] != epoch);
  CHECK(state["collections"].empty());
  // The other account was not touched, and a wrong command line is refused.
  CHECK(testing::RunProcess({testing::ServerBinary(), "wipe", "--data", s.data}).exit_code != 0);
  CHECK(testing::RunProcess({testing::ServerBinary(), "wipe", "--data", s.data, "--account", "nobody"}).exit_code != 0);
}

}  // namespace
}  // namespace holdfast
