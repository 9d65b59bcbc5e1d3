// holdfast-conformance: checks a server against docs/protocol.md over plain
// HTTP, as a device would see it. Every endpoint and every rule the page
// decides is exercised; each check prints one line (PASS/FAIL/SKIP name: why)
// and the exit status is 1 if any check failed (2: the suite could not run).
//
// The suite judges the wire itself: it builds its requests and reads the
// answers here, with no use of the agent's protocol code (agent/sync). It
// needs a scratch account: it adds a collection (named hf-conformance-RANDOM,
// left empty at the end, since the protocol has no way to remove one) and
// blobs that stay with the account.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "platform/base64.h"
#include "platform/http_client.h"
#include "platform/sha256.h"

namespace holdfast::conformance {
namespace {

using nlohmann::json;
using platform::HttpResponse;

const std::string kEmptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string Sha(std::string_view bytes) { return platform::ToHex(platform::Sha256Of(bytes)); }

bool IsLowerHex64(const std::string& text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string Encode(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Deterministic bytes that differ from run to run by `seed`.
std::string Bytes(size_t n, const std::string& seed) {
  std::string out;
  while (out.size() < n) out += platform::ToHex(platform::Sha256Of(seed + std::to_string(out.size())));
  out.resize(n);
  return out;
}

std::string ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the token file " + path);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\r' || token.back() == ' ' || token.back() == '\t')) token.pop_back();
  if (token.empty()) throw std::runtime_error("the token file " + path + " is empty");
  return token;
}

class Suite {
 public:
  Suite(std::string url, std::string account, std::string token, std::string second_account,
        std::string second_token, std::unique_ptr<platform::HttpClient> http)
      : url_(std::move(url)), account_(std::move(account)), token_(std::move(token)),
        second_account_(std::move(second_account)), second_token_(std::move(second_token)), http_(std::move(http)) {
    const std::string run = platform::RandomHex(6);
    collection_ = "hf-conformance-" + run;
    seed_ = run;
  }

  int Run() {
    if (HttpResponse probe = Call("GET", AccountPath() + "/state"); !probe.transport.ok()) {
      std::fprintf(stderr, "holdfast-conformance: the server at %s does not answer: %s\n", url_.c_str(),
                   probe.transport.ToString().c_str());
      return 2;
    }
    Auth();
    State();
    Collections();
    Batches();
    Items();
    Inventory();
    Blobs();
    Concurrency();
    OtherAccounts();
    Cleanup();
    std::printf("%d passed, %d failed, %d skipped\n", passed_, failed_, skipped_);
    return failed_ == 0 ? 0 : 1;
  }

 private:
  // ---- Requests and verdicts.

  std::string AccountPath(const std::string& account = "") const {
    return "/v1/accounts/" + Encode(account.empty() ? account_ : account);
  }
  std::string CollectionPath(const std::string& collection = "") const {
    return AccountPath() + "/collections/" + Encode(collection.empty() ? collection_ : collection);
  }
  std::string ItemPath(const std::string& uid) const { return CollectionPath() + "/items/" + Encode(uid); }
  std::string BlobPath(const std::string& sha) const { return AccountPath() + "/blobs/" + sha; }

  platform::HttpRequest Request(const std::string& method, const std::string& path, std::string body,
                                const std::string& token) const {
    platform::HttpRequest request;
    request.method = method;
    request.url = url_ + path;
    if (!token.empty()) request.headers.push_back("Authorization: Bearer " + token);
    if (method == "PUT" || method == "POST") {
      request.headers.push_back(path.find("/blobs/") != std::string::npos ? "Content-Type: application/octet-stream"
                                                                         : "Content-Type: application/json");
    }
    request.body = std::move(body);
    return request;
  }

  HttpResponse Call(const std::string& method, const std::string& path, std::string body = "") {
    return CallAs(token_, method, path, std::move(body));
  }
  HttpResponse CallAs(const std::string& token, const std::string& method, const std::string& path,
                      std::string body = "") {
    return http_->Perform(Request(method, path, std::move(body), token));
  }

  void Pass(const std::string& name) {
    ++passed_;
    std::printf("PASS %s\n", name.c_str());
    std::fflush(stdout);
  }
  void Fail(const std::string& name, const std::string& why) {
    ++failed_;
    std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
  }
  void Skip(const std::string& name, const std::string& why) {
    ++skipped_;
    std::printf("SKIP %s: %s\n", name.c_str(), why.c_str());
    std::fflush(stdout);
  }

  // Runs `body`, which returns "" when the check holds, else why not.
  void Check(const std::string& name, const std::function<std::string()>& body) {
    std::string why;
    try {
      why = body();
    } catch (const std::exception& e) {
      why = std::string("unexpected answer: ") + e.what();
    }
    if (why.empty()) {
      Pass(name);
    } else {
      Fail(name, why);
    }
  }

  static std::string Show(const HttpResponse& r) {
    if (!r.transport.ok()) return "no answer (" + r.transport.ToString() + ")";
    std::string body = r.body.size() > 300 ? r.body.substr(0, 300) + "..." : r.body;
    return "HTTP " + std::to_string(r.status) + " " + r.content_type + " " + body;
  }

  // "" if `r` is `status` with a JSON body (parsed into *out).
  static std::string ExpectJson(const HttpResponse& r, int status, json* out) {
    if (!r.transport.ok() || r.status != status) return "expected HTTP " + std::to_string(status) + ", got " + Show(r);
    if (r.content_type.rfind("application/json", 0) != 0) return "expected application/json, got " + Show(r);
    *out = json::parse(r.body, nullptr, false);
    if (out->is_discarded()) return "the body is not JSON: " + Show(r);
    return "";
  }

  // "" if `r` is a problem+json (RFC 9457) answer of `status` and type
  // urn:holdfast:problem:`type` with the four members the protocol names.
  static std::string ExpectProblem(const HttpResponse& r, int status, const std::string& type, json* out = nullptr) {
    if (!r.transport.ok() || r.status != status) return "expected HTTP " + std::to_string(status) + ", got " + Show(r);
    if (r.content_type.rfind("application/problem+json", 0) != 0) {
      return "expected application/problem+json, got " + Show(r);
    }
    json body = json::parse(r.body, nullptr, false);
    if (!body.is_object()) return "the problem is not a JSON object: " + Show(r);
    if (body.value("type", json()) != "urn:holdfast:problem:" + type) {
      return "expected type urn:holdfast:problem:" + type + ", got " + Show(r);
    }
    if (!body.contains("title") || !body["title"].is_string()) return "no string title: " + Show(r);
    if (!body.contains("detail") || !body["detail"].is_string()) return "no string detail: " + Show(r);
    if (body.value("status", json()) != status) return "the body's status is not " + std::to_string(status) + ": " + Show(r);
    if ((status == 429 || status == 503) && !r.retry_after_s) return "no Retry-After: " + Show(r);
    if (out != nullptr) *out = std::move(body);
    return "";
  }

  static std::string PutJson(const std::string& uid, const std::string& content) {
    return json{{"uid", uid}, {"sha256", Sha(content)}, {"content_base64", platform::Base64Encode(content)}}.dump();
  }

  // A batch's answer: "" if 200 and the put and delete results are these
  // (uid, status) pairs in order.
  std::string ExpectBatch(const HttpResponse& r, const std::vector<std::pair<json, std::string>>& puts,
                          const std::vector<std::pair<json, std::string>>& deletes) {
    json body;
    if (std::string why = ExpectJson(r, 200, &body); !why.empty()) return why;
    for (const auto& [key, expected] : {std::pair{"put", &puts}, std::pair{"delete", &deletes}}) {
      if (!body.contains(key) || !body[key].is_array()) return std::string("no \"") + key + "\" array: " + Show(r);
      const json& results = body[key];
      if (results.size() != expected->size()) {
        return std::string("expected ") + std::to_string(expected->size()) + " " + key + " results, got " + Show(r);
      }
      for (size_t i = 0; i < results.size(); ++i) {
        const auto& [uid, status] = (*expected)[i];
        if (results[i].value("uid", json()) != uid || results[i].value("status", json()) != status) {
          return std::string(key) + "[" + std::to_string(i) + "]: expected " + json{{"uid", uid}, {"status", status}}.dump() +
                 ", got " + results[i].dump();
        }
      }
    }
    return "";
  }

  HttpResponse Batch(const std::string& body, const std::string& collection = "") {
    return Call("POST", CollectionPath(collection) + "/batch", body);
  }

  // The collection's entry in state, or null.
  json CollectionInState() {
    json state;
    if (!ExpectJson(Call("GET", AccountPath() + "/state"), 200, &state).empty()) return nullptr;
    for (const json& c : state.value("collections", json::array())) {
      if (c.value("id", json()) == collection_) return c;
    }
    return nullptr;
  }

  // Every (uid, sha256) of the collection, through the inventory's pages.
  std::string WholeInventory(std::vector<std::pair<std::string, std::string>>* items, int limit = 0) {
    std::string after;
    for (int page = 0; page < 10000; ++page) {
      std::string path = CollectionPath() + "/inventory";
      std::string sep = "?";
      if (limit > 0) path += "?limit=" + std::to_string(limit), sep = "&";
      if (!after.empty()) path += sep + "after=" + Encode(after);
      json body;
      if (std::string why = ExpectJson(Call("GET", path), 200, &body); !why.empty()) return "GET " + path + ": " + why;
      if (!body.contains("items") || !body["items"].is_array() || !body.contains("next")) {
        return "GET " + path + ": no items array or next: " + body.dump();
      }
      for (const json& item : body["items"]) {
        items->emplace_back(item.at("uid").get<std::string>(), item.at("sha256").get<std::string>());
      }
      if (body["next"].is_null()) return "";
      if (body["items"].empty()) return "GET " + path + ": a page with a next but no item";
      after = body["next"].get<std::string>();
    }
    return "the inventory never ends";
  }

  // ---- The checks, by endpoint.

  void Auth() {
    Check("auth/no-token-401", [&]() -> std::string {
      return ExpectProblem(CallAs("", "GET", AccountPath() + "/state"), 401, "unauthorized");
    });
    Check("auth/unknown-token-401", [&]() -> std::string {
      return ExpectProblem(CallAs(platform::RandomHex(32), "GET", AccountPath() + "/state"), 401, "unauthorized");
    });
  }

  void State() {
    Check("state/shape", [&]() -> std::string {
      json s;
      if (std::string why = ExpectJson(Call("GET", AccountPath() + "/state"), 200, &s); !why.empty()) return why;
      if (s.value("protocol", json()) != 1) return "protocol is not 1: " + s.dump();
      if (!s.contains("epoch") || !s["epoch"].is_string() || s["epoch"].get<std::string>().empty()) {
        return "no epoch string: " + s.dump();
      }
      if (!s.contains("collections") || !s["collections"].is_array()) return "no collections array: " + s.dump();
      if (!s.contains("reupload")) return "no reupload member (null or an object): " + s.dump();
      const json& r = s["reupload"];
      if (!r.is_null()) {
        if (!r.is_object() || !r.contains("id") || !r["id"].is_string()) return "reupload without an id: " + r.dump();
        for (const char* key : {"requested_at_ms", "not_before_ms", "spread_ms"}) {
          if (!r.contains(key) || !r[key].is_number_integer()) return std::string("reupload.") + key + " is not an integer";
        }
      }
      epoch_ = s["epoch"].get<std::string>();
      return std::string();
    });
  }

  void Collections() {
    const std::string path = CollectionPath();
    Check("collection/create", [&]() -> std::string {
      json c;
      if (std::string why = ExpectJson(Call("PUT", path, R"({"kind":"note","name":"conformance"})"), 200, &c); !why.empty()) {
        return why;
      }
      const json expected = {{"id", collection_}, {"kind", "note"}, {"name", "conformance"}, {"items", 0}, {"digest", kEmptyDigest}};
      return c == expected ? "" : "expected " + expected.dump() + ", got " + c.dump();
    });
    Check("collection/same-kind-idempotent-rename", [&]() -> std::string {
      json c;
      if (std::string why = ExpectJson(Call("PUT", path, R"({"kind":"note","name":"renamed"})"), 200, &c); !why.empty()) {
        return why;
      }
      return c.value("name", json()) == "renamed" && c.value("kind", json()) == "note" ? "" : "got " + c.dump();
    });
    Check("collection/kind-conflict-409", [&]() -> std::string {
      if (std::string why = ExpectProblem(Call("PUT", path, R"({"kind":"photo","name":"x"})"), 409, "kind-conflict");
          !why.empty()) {
        return why;
      }
      json c = CollectionInState();
      return c.value("kind", json()) == "note" && c.value("name", json()) == "renamed"
                 ? ""
                 : "the refused PUT changed the collection: " + c.dump();
    });
    Check("collection/bad-kind-400", [&]() -> std::string {
      return ExpectProblem(Call("PUT", path, R"({"kind":"spoon","name":"x"})"), 400, "bad-request");
    });
    Check("collection/missing-name-400", [&]() -> std::string { return ExpectProblem(Call("PUT", path, R"({"kind":"note"})"), 400, "bad-request"); });
    Check("collection/malformed-json-400", [&]() -> std::string { return ExpectProblem(Call("PUT", path, "{\"kind\":"), 400, "bad-request"); });
    Check("collection/id-over-128-400", [&]() -> std::string {
      return ExpectProblem(Call("PUT", CollectionPath(std::string(129, 'a')), R"({"kind":"note","name":"x"})"), 400,
                           "bad-request");
    });
    Check("collection/id-bad-character-400", [&]() -> std::string {
      return ExpectProblem(Call("PUT", CollectionPath("a!b"), R"({"kind":"note","name":"x"})"), 400, "bad-request");
    });
    Check("state/lists-collection", [&]() -> std::string {
      json c = CollectionInState();
      const json expected = {{"id", collection_}, {"kind", "note"}, {"name", "renamed"}, {"items", 0}, {"digest", kEmptyDigest}};
      return c == expected ? "" : "expected " + expected.dump() + " in state, got " + c.dump();
    });
  }

  void Batches() {
    Check("batch/missing-collection-404", [&]() -> std::string {
      return ExpectProblem(Batch(R"({"put":[],"delete":[]})", "hf-conformance-none-" + seed_), 404, "not-found");
    });
    Check("batch/put-stored", [&]() -> std::string {
      return ExpectBatch(Batch("{\"put\":[" + PutJson("a1", "hello") + "],\"delete\":[]}"), {{"a1", "stored"}}, {});
    });
    Check("batch/put-unchanged", [&]() -> std::string {
      return ExpectBatch(Batch("{\"put\":[" + PutJson("a1", "hello") + "],\"delete\":[]}"), {{"a1", "unchanged"}}, {});
    });
    Check("batch/put-new-content-stored", [&]() -> std::string {
      return ExpectBatch(Batch("{\"put\":[" + PutJson("a1", "hello again") + "]}"), {{"a1", "stored"}}, {});
    });
    Check("batch/checksum-mismatch", [&]() -> std::string {
      json entry = {{"uid", "a2"}, {"sha256", Sha("other")}, {"content_base64", platform::Base64Encode("this")}};
      std::string why = ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"a2", "checksum-mismatch"}}, {});
      if (!why.empty()) return why;
      return Call("GET", ItemPath("a2")).status == 404 ? "" : "the mismatched content was stored";
    });
    Check("batch/invalid-entries", [&]() -> std::string {
      const std::string sha = Sha("x");
      std::string upper = sha;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      json puts = json::array({
          {{"uid", "i1"}, {"sha256", upper}, {"content_base64", platform::Base64Encode("x")}},  // upper-case hex
          {{"uid", ""}, {"sha256", sha}, {"content_base64", platform::Base64Encode("x")}},      // empty uid
          {{"uid", "i3"}, {"sha256", sha}, {"content_base64", "!!not base64!!"}},               // bad base64
          {{"uid", "i4"}, {"content_base64", platform::Base64Encode("x")}},                     // no sha256
          {{"uid", "i5"}, {"sha256", sha}},                                                     // no content, no blob
          {{"uid", "~b64:YQ"}, {"sha256", sha}, {"content_base64", platform::Base64Encode("x")}},  // "a" would go as it is
          {{"uid", "~b64:Y2Fm6S5qcGc="}, {"sha256", sha}, {"content_base64", platform::Base64Encode("x")}},  // padded
      });
      return ExpectBatch(Batch(json{{"put", puts}}.dump()),
                         {{"i1", "invalid"}, {"", "invalid"}, {"i3", "invalid"}, {"i4", "invalid"}, {"i5", "invalid"},
                          {"~b64:YQ", "invalid"}, {"~b64:Y2Fm6S5qcGc=", "invalid"}},
                         {});
    });
    Check("batch/uid-over-8192-bytes-invalid", [&]() -> std::string {
      const std::string uid(8193, 'u');
      return ExpectBatch(Batch("{\"put\":[" + PutJson(uid, "x") + "]}"), {{uid, "invalid"}}, {});
    });
    Check("batch/wire-form-uid-stored", [&]() -> std::string {
      // caf\xe9.jpg in Latin-1, in its wire form.
      return ExpectBatch(Batch("{\"put\":[" + PutJson("~b64:Y2Fm6S5qcGc", "latin") + "]}"),
                         {{"~b64:Y2Fm6S5qcGc", "stored"}}, {});
    });
    Check("batch/content-and-blob-invalid", [&]() -> std::string {
      json entry = {{"uid", "both"}, {"sha256", Sha("both")}, {"content_base64", platform::Base64Encode("both")}, {"blob", true}};
      std::string why = ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"both", "invalid"}}, {});
      if (!why.empty()) return why;
      return Call("GET", ItemPath("both")).status == 404 ? "" : "the ambiguous entry was stored";
    });
    Check("batch/blob-false-with-content-stored", [&]() -> std::string {
      json entry = {{"uid", "inline"}, {"sha256", Sha("inl")}, {"content_base64", platform::Base64Encode("inl")}, {"blob", false}};
      return ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"inline", "stored"}}, {});
    });
    Check("batch/missing-blob", [&]() -> std::string {
      json entry = {{"uid", "mb"}, {"sha256", Sha("never uploaded " + seed_)}, {"blob", true}};
      return ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"mb", "missing-blob"}}, {});
    });
    Check("batch/wrong-type-400-stores-nothing", [&]() -> std::string {
      json puts = json::array({json::parse(PutJson("wt1", "typed")), {{"uid", 7}, {"sha256", Sha("x")}}});
      std::string why = ExpectProblem(Batch(json{{"put", puts}}.dump()), 400, "bad-request");
      if (!why.empty()) return why;
      return Call("GET", ItemPath("wt1")).status == 404 ? "" : "an entry of a refused batch was stored";
    });
    Check("batch/delete-not-string-400", [&]() -> std::string {
      return ExpectProblem(Batch(R"({"delete":[1]})"), 400, "bad-request");
    });
    Check("batch/put-not-array-400", [&]() -> std::string { return ExpectProblem(Batch(R"({"put":{}})"), 400, "bad-request"); });
    Check("batch/not-an-object-400", [&]() -> std::string { return ExpectProblem(Batch("[]"), 400, "bad-request"); });
    Check("batch/empty-object", [&]() -> std::string { return ExpectBatch(Batch("{}"), {}, {}); });
    Check("batch/put-omitted", [&]() -> std::string {
      return ExpectBatch(Batch(R"({"delete":["never-there"]})"), {}, {{"never-there", "deleted"}});
    });
    Check("batch/delete-omitted", [&]() -> std::string {
      return ExpectBatch(Batch("{\"put\":[" + PutJson("d1", "to delete") + "]}"), {{"d1", "stored"}}, {});
    });
    Check("batch/delete-deleted-twice", [&]() -> std::string {
      std::string why = ExpectBatch(Batch(R"({"delete":["d1"]})"), {}, {{"d1", "deleted"}});
      if (!why.empty()) return why;
      why = ExpectBatch(Batch(R"({"delete":["d1"]})"), {}, {{"d1", "deleted"}});
      if (!why.empty()) return "again: " + why;
      return Call("GET", ItemPath("d1")).status == 404 ? "" : "the deleted item is still served";
    });
    Check("batch/delete-invalid-uid", [&]() -> std::string { return ExpectBatch(Batch(R"({"delete":[""]})"), {}, {{"", "invalid"}}); });
    Check("batch/1000-entries-accepted", [&]() -> std::string {
      json deletes = json::array();
      std::vector<std::pair<json, std::string>> expected;
      for (int i = 0; i < 1000; ++i) {
        deletes.push_back("n" + std::to_string(i));
        expected.emplace_back(deletes.back(), "deleted");
      }
      return ExpectBatch(Batch(json{{"delete", deletes}}.dump()), {}, expected);
    });
    Check("batch/1001-entries-413", [&]() -> std::string {
      json puts = json::array({json::parse(PutJson("over", "over"))});
      json deletes = json::array();
      for (int i = 0; i < 1000; ++i) deletes.push_back("n" + std::to_string(i));
      std::string why = ExpectProblem(Batch(json{{"put", puts}, {"delete", deletes}}.dump()), 413, "too-large");
      if (!why.empty()) return why;
      return Call("GET", ItemPath("over")).status == 404 ? "" : "an entry of the refused batch was stored";
    });
  }

  void Items() {
    Check("item/get-content-and-sha-header", [&]() -> std::string {
      HttpResponse r = Call("GET", ItemPath("a1"));
      if (!r.transport.ok() || r.status != 200) return "expected 200, got " + Show(r);
      if (r.content_type.rfind("application/octet-stream", 0) != 0) return "expected application/octet-stream, got " + Show(r);
      if (r.body != "hello again") return "expected the stored content, got " + Show(r);
      std::optional<std::string> sha = r.Header("X-Content-SHA256");
      if (!sha) return std::string("no X-Content-SHA256 header");
      if (!IsLowerHex64(*sha)) return "X-Content-SHA256 is not 64 lower-case hex digits: " + *sha;
      return *sha == Sha(r.body) ? "" : "X-Content-SHA256 " + *sha + " is not the body's SHA-256";
    });
    Check("item/uid-with-slash-space-plus-utf8", [&]() -> std::string {
      const std::string uid = "DCIM/IMG 1+2 \xc3\xa9.jpg";
      std::string why = ExpectBatch(Batch("{\"put\":[" + PutJson(uid, "photo bytes") + "]}"), {{uid, "stored"}}, {});
      if (!why.empty()) return why;
      HttpResponse r = Call("GET", ItemPath(uid));
      if (r.status != 200 || r.body != "photo bytes") return "GET by the percent-encoded uid: " + Show(r);
      if (r.status == 200 && Call("GET", ItemPath("DCIM/IMG 1 2 \xc3\xa9.jpg")).status != 404) {
        return std::string("a + in the path was read as a space");
      }
      return std::string();
    });
    Check("item/get-missing-404", [&]() -> std::string { return ExpectProblem(Call("GET", ItemPath("no-such-" + seed_)), 404, "not-found"); });
    Check("item/get-wire-form-uid", [&]() -> std::string {
      HttpResponse r = Call("GET", ItemPath("~b64:Y2Fm6S5qcGc"));
      return r.status == 200 && r.body == "latin" ? "" : Show(r);
    });
    Check("item/delete-204-twice", [&]() -> std::string {
      std::string why = ExpectBatch(Batch("{\"put\":[" + PutJson("del", "x") + "]}"), {{"del", "stored"}}, {});
      if (!why.empty()) return why;
      for (int i = 0; i < 2; ++i) {
        HttpResponse r = Call("DELETE", ItemPath("del"));
        if (r.status != 204) return "DELETE #" + std::to_string(i + 1) + ": expected 204, got " + Show(r);
      }
      return Call("GET", ItemPath("del")).status == 404 ? "" : "the deleted item is still served";
    });
    Check("item/missing-collection-404", [&]() -> std::string {
      return ExpectProblem(Call("GET", CollectionPath("hf-conformance-none-" + seed_) + "/items/a1"), 404, "not-found");
    });
  }

  void Inventory() {
    // a1, DCIM/..., inline, ~b64:Y2Fm6S5qcGc so far; add uids that tell + from space and show byte order.
    Check("inventory/setup", [&]() -> std::string {
      std::vector<std::pair<json, std::string>> expected;
      std::string puts;
      for (const std::string uid : {"p q", "p+q", "p,q", "Z", "\xc3\xa9"}) {
        puts += (puts.empty() ? "" : ",") + PutJson(uid, "inv " + uid);
        expected.emplace_back(uid, "stored");
      }
      return ExpectBatch(Batch("{\"put\":[" + puts + "]}"), expected, {});
    });
    Check("inventory/byte-order-and-digest", [&]() -> std::string {
      std::vector<std::pair<std::string, std::string>> items;
      if (std::string why = WholeInventory(&items); !why.empty()) return why;
      for (size_t i = 1; i < items.size(); ++i) {
        if (!(items[i - 1].first < items[i].first)) return "not in byte order: " + items[i - 1].first + " then " + items[i].first;
      }
      if (items.size() != 9) return "expected 9 items, got " + std::to_string(items.size());
      platform::Sha256 hasher;
      for (const auto& [uid, sha] : items) {
        if (!IsLowerHex64(sha)) return "sha256 of " + uid + " is not 64 lower-case hex: " + sha;
        hasher.Update(uid);
        hasher.Update(std::string_view("\0", 1));
        hasher.Update(sha);
        hasher.Update("\n");
      }
      const std::string digest = platform::ToHex(hasher.Finish());
      json c = CollectionInState();
      if (c.value("items", json()) != items.size()) return "state counts " + c.dump() + ", the inventory " + std::to_string(items.size());
      return c.value("digest", json()) == digest ? "" : "state's digest is not the protocol's over the inventory (" + digest + "): " + c.dump();
    });
    Check("inventory/pages-of-2", [&]() -> std::string {
      std::vector<std::pair<std::string, std::string>> whole, paged;
      if (std::string why = WholeInventory(&whole); !why.empty()) return why;
      if (std::string why = WholeInventory(&paged, 2); !why.empty()) return why;
      return whole == paged ? "" : std::string("paging by 2 gives other items than one page");
    });
    Check("inventory/page-of-limit-has-next", [&]() -> std::string {
      json body;
      std::string why = ExpectJson(Call("GET", CollectionPath() + "/inventory?limit=2"), 200, &body);
      if (!why.empty()) return why;
      if (body["items"].size() != 2 || !body["next"].is_string()) return "expected 2 items and a next: " + body.dump();
      return body["next"] == body["items"][1]["uid"] ? "" : "next is not the page's last uid: " + body.dump();
    });
    Check("inventory/last-page-next-null", [&]() -> std::string {
      json body;
      std::string why = ExpectJson(Call("GET", CollectionPath() + "/inventory?after=" + Encode("\xc3\xa9")), 200, &body);
      if (!why.empty()) return why;
      return body["items"].empty() && body["next"].is_null() ? "" : "after the last uid: " + body.dump();
    });
    auto after = [&](const std::string& raw_query) -> std::vector<std::string> {
      json body;
      if (!ExpectJson(Call("GET", CollectionPath() + "/inventory?after=" + raw_query), 200, &body).empty()) return {"?"};
      std::vector<std::string> uids;
      for (const json& item : body["items"]) uids.push_back(item["uid"]);
      return uids;
    };
    const std::vector<std::string> after_plus = {"p,q", "~b64:Y2Fm6S5qcGc", "\xc3\xa9"};
    const std::vector<std::string> after_space = {"p+q", "p,q", "~b64:Y2Fm6S5qcGc", "\xc3\xa9"};
    Check("inventory/after-%2B-is-plus", [&]() -> std::string {
      return after("p%2Bq") == after_plus ? "" : "after=p%2Bq gave " + json(after("p%2Bq")).dump();
    });
    Check("inventory/after-%20-is-space", [&]() -> std::string {
      return after("p%20q") == after_space ? "" : "after=p%20q gave " + json(after("p%20q")).dump();
    });
    Check("inventory/after-raw-plus-is-space", [&]() -> std::string {
      return after("p+q") == after_space ? "" : "after=p+q gave " + json(after("p+q")).dump();
    });
    Check("inventory/limit-5000-accepted", [&]() -> std::string {
      json body;
      return ExpectJson(Call("GET", CollectionPath() + "/inventory?limit=5000"), 200, &body);
    });
    for (const std::string bad : {"5001", "0", "-1", "abc", "1e3"}) {
      Check("inventory/limit-" + bad + "-400", [&]() -> std::string {
        return ExpectProblem(Call("GET", CollectionPath() + "/inventory?limit=" + bad), 400, "bad-request");
      });
    }
    Check("inventory/missing-collection-404", [&]() -> std::string {
      return ExpectProblem(Call("GET", CollectionPath("hf-conformance-none-" + seed_) + "/inventory"), 404, "not-found");
    });
  }

  HttpResponse Chunk(const std::string& sha, uint64_t offset, uint64_t size, std::string bytes) {
    return Call("PUT", BlobPath(sha) + "?offset=" + std::to_string(offset) + "&size=" + std::to_string(size), std::move(bytes));
  }
  HttpResponse ChunkQuery(const std::string& sha, const std::string& query, std::string bytes) {
    return Call("PUT", BlobPath(sha) + "?" + query, std::move(bytes));
  }

  static std::string ExpectReceived(const HttpResponse& r, uint64_t received, bool complete) {
    json body;
    if (std::string why = ExpectJson(r, 200, &body); !why.empty()) return why;
    const json expected = {{"received", received}, {"complete", complete}};
    return body == expected ? "" : "expected " + expected.dump() + ", got " + body.dump();
  }

  std::string ExpectBlobState(const std::string& sha, uint64_t size, uint64_t received, bool complete) {
    json body;
    if (std::string why = ExpectJson(Call("GET", BlobPath(sha)), 200, &body); !why.empty()) return "GET blob: " + why;
    const json expected = {{"size", size}, {"received", received}, {"complete", complete}};
    return body == expected ? "" : "GET blob: expected " + expected.dump() + ", got " + body.dump();
  }

  void Blobs() {
    const std::string blob = Bytes(3000, "blob " + seed_);
    const std::string sha = Sha(blob);
    Check("blob/get-unknown-404", [&]() -> std::string { return ExpectProblem(Call("GET", BlobPath(sha)), 404, "not-found"); });
    Check("blob/partial-chunk-200-not-complete", [&]() -> std::string {
      std::string why = ExpectReceived(Chunk(sha, 0, 3000, blob.substr(0, 1000)), 1000, false);
      return why.empty() ? ExpectBlobState(sha, 3000, 1000, false) : why;
    });
    Check("blob/offset-mismatch-409-with-offset", [&]() -> std::string {
      for (uint64_t offset : {uint64_t{0}, uint64_t{2000}}) {
        json body;
        std::string why = ExpectProblem(Chunk(sha, offset, 3000, blob.substr(offset, 1000)), 409, "offset-mismatch", &body);
        if (!why.empty()) return "offset " + std::to_string(offset) + ": " + why;
        if (body.value("offset", json()) != 1000) return "the problem's offset member is not 1000: " + body.dump();
      }
      return ExpectBlobState(sha, 3000, 1000, false);
    });
    Check("blob/size-changed-400", [&]() -> std::string {
      std::string why = ExpectProblem(Chunk(sha, 1000, 4000, blob.substr(1000, 1000)), 400, "bad-request");
      return why.empty() ? ExpectBlobState(sha, 3000, 1000, false) : why;
    });
    Check("blob/past-size-400", [&]() -> std::string {
      std::string why = ExpectProblem(Chunk(sha, 1000, 3000, blob.substr(1000) + "extra"), 400, "bad-request");
      return why.empty() ? ExpectBlobState(sha, 3000, 1000, false) : why;
    });
    Check("blob/bad-query-400", [&]() -> std::string {
      for (const std::string query : {"size=3000", "offset=1000", "offset=1000&size=-1", "offset=0x1&size=3000",
                                      "offset=1000&size=3e3", "offset=4000&size=3000"}) {
        std::string why = ExpectProblem(ChunkQuery(sha, query, "x"), 400, "bad-request");
        if (!why.empty()) return "?" + query + ": " + why;
      }
      return ExpectBlobState(sha, 3000, 1000, false);
    });
    Check("blob/incomplete-not-referenced", [&]() -> std::string {
      json entry = {{"uid", "photo"}, {"sha256", sha}, {"blob", true}};
      return ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"photo", "missing-blob"}}, {});
    });
    Check("blob/last-chunk-complete", [&]() -> std::string {
      std::string why = ExpectReceived(Chunk(sha, 1000, 3000, blob.substr(1000)), 3000, true);
      return why.empty() ? ExpectBlobState(sha, 3000, 3000, true) : why;
    });
    Check("blob/chunk-for-complete-blob-noop-200", [&]() -> std::string {
      std::string why = ExpectReceived(Chunk(sha, 0, 3000, blob.substr(0, 1000)), 3000, true);
      if (!why.empty()) return "offset 0: " + why;
      why = ExpectReceived(Chunk(sha, 1000, 3000, "garbage"), 3000, true);
      if (!why.empty()) return "other bytes at offset 1000: " + why;
      return ExpectBlobState(sha, 3000, 3000, true);
    });
    Check("blob/item-references-blob", [&]() -> std::string {
      json entry = {{"uid", "photo"}, {"sha256", sha}, {"blob", true}};
      std::string why = ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"photo", "stored"}}, {});
      if (!why.empty()) return why;
      why = ExpectBatch(Batch(json{{"put", {entry}}}.dump()), {{"photo", "unchanged"}}, {});
      if (!why.empty()) return "again: " + why;
      HttpResponse r = Call("GET", ItemPath("photo"));
      if (r.status != 200 || r.body != blob) return "GET the item: " + Show(r);
      return r.Header("X-Content-SHA256").value_or("") == sha ? "" : "X-Content-SHA256 is not the blob's";
    });
    Check("blob/one-chunk-checksum-mismatch-422-discarded", [&]() -> std::string {
      const std::string claimed = Sha("claimed " + seed_);
      std::string why = ExpectProblem(Chunk(claimed, 0, 10, "0123456789"), 422, "checksum-mismatch");
      if (!why.empty()) return why;
      return ExpectProblem(Call("GET", BlobPath(claimed)), 404, "not-found");
    });
    Check("blob/empty-blob", [&]() -> std::string {
      std::string why = ExpectReceived(Chunk(kEmptyDigest, 0, 0, ""), 0, true);
      return why.empty() ? ExpectBlobState(kEmptyDigest, 0, 0, true) : why;
    });
    Check("blob/chunk-over-8MiB-413", [&]() -> std::string {
      const std::string big((size_t{8} << 20) + 1, 'b');
      return ExpectProblem(Chunk(Sha(big), 0, big.size(), big), 413, "too-large");
    });
  }

  void Concurrency() {
    Check("concurrent/four-requests-at-once", [&]() -> std::string {
      std::vector<HttpResponse> answers;
      for (int i = 0; i < 4; ++i) {
        http_->Submit(Request("GET", AccountPath() + "/state", "", token_), [&](HttpResponse&& r) { answers.push_back(std::move(r)); });
      }
      if (Status run = http_->RunUntilIdle(); !run.ok()) return run.ToString();
      for (const HttpResponse& r : answers) {
        if (r.status != 200) return "a concurrent GET state: " + Show(r);
      }
      return std::string();
    });
    Check("concurrent/same-chunk-twice-one-409", [&]() -> std::string {
      const std::string blob = Bytes(2000, "race " + seed_);
      const std::string sha = Sha(blob);
      std::vector<HttpResponse> answers;
      for (int i = 0; i < 2; ++i) {
        http_->Submit(Request("PUT", BlobPath(sha) + "?offset=0&size=2000", blob.substr(0, 1000), token_),
                      [&](HttpResponse&& r) { answers.push_back(std::move(r)); });
      }
      if (Status run = http_->RunUntilIdle(); !run.ok()) return run.ToString();
      int ok = 0, conflict = 0;
      for (const HttpResponse& r : answers) {
        if (ExpectReceived(r, 1000, false).empty()) {
          ++ok;
        } else if (json body; ExpectProblem(r, 409, "offset-mismatch", &body).empty() && body.value("offset", json()) == 1000) {
          ++conflict;
        } else {
          return "neither 200 received 1000 nor 409 offset 1000: " + Show(r);
        }
      }
      if (ok != 1 || conflict != 1) return "expected one 200 and one 409, got " + std::to_string(ok) + " and " + std::to_string(conflict);
      std::string why = ExpectReceived(Chunk(sha, 1000, 2000, blob.substr(1000)), 2000, true);
      return why.empty() ? ExpectBlobState(sha, 2000, 2000, true) : why;
    });
  }

  void OtherAccounts() {
    const std::string missing = "hf-conformance-no-account-" + seed_;
    Check("auth/own-token-on-missing-account-403", [&]() -> std::string {
      return ExpectProblem(Call("GET", AccountPath(missing) + "/state"), 403, "forbidden");
    });
    if (second_token_.empty()) {
      for (const char* name : {"auth/other-account-token-403", "auth/other-account-write-403-stores-nothing",
                               "auth/other-token-on-missing-account-403"}) {
        Skip(name, "needs --second-account and --second-token-file");
      }
      return;
    }
    Check("auth/other-account-token-403", [&]() -> std::string {
      return ExpectProblem(CallAs(second_token_, "GET", AccountPath() + "/state"), 403, "forbidden");
    });
    Check("auth/other-account-write-403-stores-nothing", [&]() -> std::string {
      std::string why = ExpectProblem(
          CallAs(second_token_, "POST", CollectionPath() + "/batch", "{\"put\":[" + PutJson("intruder", "x") + "]}"), 403,
          "forbidden");
      if (!why.empty()) return why;
      return Call("GET", ItemPath("intruder")).status == 404 ? "" : "the other account's write was stored";
    });
    Check("auth/other-token-on-missing-account-403", [&]() -> std::string {
      return ExpectProblem(CallAs(second_token_, "GET", AccountPath(missing) + "/state"), 403, "forbidden");
    });
    if (!second_account_.empty()) {
      Check("auth/second-account-own-state", [&]() -> std::string {
        json s;
        return ExpectJson(CallAs(second_token_, "GET", AccountPath(second_account_) + "/state"), 200, &s);
      });
    }
  }

  // Deletes every item the suite stored; the (empty) collection and the
  // blobs stay, since the protocol has no request that removes them.
  void Cleanup() {
    Check("cleanup/items-deleted-epoch-kept", [&]() -> std::string {
      std::vector<std::pair<std::string, std::string>> items;
      if (std::string why = WholeInventory(&items); !why.empty()) return why;
      json deletes = json::array();
      for (const auto& item : items) deletes.push_back(item.first);
      if (!deletes.empty()) {
        HttpResponse r = Batch(json{{"delete", deletes}}.dump());
        if (r.status != 200) return "the clean-up batch: " + Show(r);
      }
      json c = CollectionInState();
      if (c.value("items", json()) != 0 || c.value("digest", json()) != kEmptyDigest) return "left: " + c.dump();
      json s;
      if (std::string why = ExpectJson(Call("GET", AccountPath() + "/state"), 200, &s); !why.empty()) return why;
      return s.value("epoch", json()) == epoch_ ? "" : "the epoch changed during the run: " + s.dump();
    });
    std::printf("note: collection %s (now empty) and the blobs uploaded stay in account %s\n", collection_.c_str(),
                account_.c_str());
  }

  std::string url_, account_, token_, second_account_, second_token_;
  std::unique_ptr<platform::HttpClient> http_;
  std::string collection_, seed_, epoch_;
  int passed_ = 0, failed_ = 0, skipped_ = 0;
};

}  // namespace
}  // namespace holdfast::conformance

int main(int argc, char** argv) {
  using namespace holdfast;
  CLI::App app{"Checks a Holdfast sync server against docs/protocol.md (needs a scratch account)"};
  std::string url, account, token_file, second_account, second_token_file, ca_file;
  app.add_option("--url", url, "the server's base URL, e.g. https://sync.example.org")->required();
  app.add_option("--account", account, "a scratch account the suite may write to")->required();
  app.add_option("--token-file", token_file, "a file holding the account's bearer token")->required();
  app.add_option("--second-account", second_account, "another account, for the 403 checks");
  app.add_option("--second-token-file", second_token_file, "a file holding the other account's token");
  app.add_option("--ca-file", ca_file, "PEM bundle to verify an https server with (default: the system's)");
  CLI11_PARSE(app, argc, argv);
  try {
    const std::string token = conformance::ReadToken(token_file);
    const std::string second_token = second_token_file.empty() ? "" : conformance::ReadToken(second_token_file);
    if (Status init = platform::InitHttpLibrary(); !init.ok()) throw std::runtime_error(init.ToString());
    Result<platform::ServerUrl> parsed = platform::ParseServerUrl(url);
    if (!parsed) throw std::runtime_error("--url: " + parsed.error().ToString());
    platform::HttpOptions options;
    options.max_response_bytes = size_t{64} << 20;
    options.ca_file = ca_file;
    Result<std::unique_ptr<platform::HttpClient>> http = platform::HttpClient::Create(options);
    if (!http) throw std::runtime_error(http.error().ToString());
    std::string base = parsed->url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    conformance::Suite suite(base, account, token, second_account, second_token, std::move(*http));
    return suite.Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "holdfast-conformance: %s\n", e.what());
    return 2;
  }
}
