// The config file: round trip, defaults, and clear errors for bad content.
#include "agent/config.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "agent/sync/dav_backend.h"
#include "agent/sync/remote_client.h"
#include "tests/support/temp_dir.h"

namespace holdfast::agent {
namespace {

using testing::TempDir;
using testing::WriteFileBytes;

TEST_CASE("a missing config file is an empty configuration") {
  TempDir dir;
  Result<Config> config = LoadConfig(dir / "none.json");
  REQUIRE(config);
  CHECK(config->sources.empty());
}

TEST_CASE("sources survive a save and load, with absolute paths and thresholds") {
  TempDir dir;
  Config config;
  SourceConfig s;
  s.name = "phone-contacts";
  s.kind = SourceKind::kContacts;
  s.path = "relative/contacts/";
  s.loss_percent = 35;
  s.loss_min_items = 2;
  REQUIRE(AddSource(&config, s).ok());
  CHECK(config.sources[0].path.front() == '/');
  CHECK(config.sources[0].path.back() != '/');
  const auto path = dir / "cfg/holdfast/config.json";
  REQUIRE(SaveConfig(path, config).ok());
  struct stat st {};
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  Result<Config> loaded = LoadConfig(path);
  REQUIRE(loaded);
  REQUIRE(loaded->sources.size() == 1);
  CHECK(loaded->sources[0].name == "phone-contacts");
  CHECK(loaded->sources[0].kind == SourceKind::kContacts);
  CHECK(loaded->sources[0].path == config.sources[0].path);
  CHECK(loaded->sources[0].loss_percent == 35);
  CHECK(loaded->sources[0].loss_min_items == 2);
}

TEST_CASE("a duplicate source name is refused") {
  Config config;
  SourceConfig s;
  s.name = "a";
  s.path = "/x";
  REQUIRE(AddSource(&config, s).ok());
  CHECK(AddSource(&config, s).code() == ErrorCode::kAlreadyExists);
}

TEST_CASE("an eds source keeps its picked EDS collections through a save and load; bad picks are refused") {
  TempDir dir;
  Config config;
  SourceConfig s;
  s.name = "eds";
  s.kind = SourceKind::kEds;
  s.path = "/home/u/.local/share/evolution";
  s.eds_collections = {{SourceKind::kContacts, "system-address-book"}, {SourceKind::kContacts, "1a2b-work"},
                       {SourceKind::kNotes, "system-memo-list"}};
  REQUIRE(AddSource(&config, s).ok());
  const auto path = dir / "config.json";
  REQUIRE(SaveConfig(path, config).ok());
  Result<Config> loaded = LoadConfig(path);
  REQUIRE(loaded);
  REQUIRE(loaded->sources.size() == 1);
  CHECK(loaded->sources[0].kind == SourceKind::kEds);
  CHECK(loaded->sources[0].eds_collections == s.eds_collections);

  Config other;
  SourceConfig photos = s;
  photos.name = "p";
  photos.eds_collections = {{SourceKind::kPhotos, "x"}};
  CHECK(AddSource(&other, photos).code() == ErrorCode::kInvalidArgument);
  photos.eds_collections = {{SourceKind::kContacts, ""}};
  CHECK(AddSource(&other, photos).code() == ErrorCode::kInvalidArgument);
  photos.eds_collections = {{SourceKind::kCalendar, "c"}, {SourceKind::kCalendar, "c"}};
  CHECK(AddSource(&other, photos).code() == ErrorCode::kInvalidArgument);
  SourceConfig vdir;
  vdir.name = "v";
  vdir.kind = SourceKind::kContacts;
  vdir.path = "/x";
  vdir.eds_collections = {{SourceKind::kContacts, "system-address-book"}};
  CHECK(AddSource(&other, vdir).code() == ErrorCode::kInvalidArgument);
  CHECK(other.sources.empty());

  WriteFileBytes(dir / "bad.json",
                 R"({"sources": [{"name": "eds", "kind": "eds", "path": "/e", "eds_collections": [{"kind": "photos", "uid": "x"}]}]})");
  Result<Config> bad = LoadConfig(dir / "bad.json");
  REQUIRE(!bad);
  CHECK(bad.error().message().find("sources[0].eds_collections") != std::string::npos);
}

TEST_CASE("a DAV map of an eds source's collection takes the collection's own kind") {
  Config config;
  SourceConfig s;
  s.name = "eds";
  s.kind = SourceKind::kEds;
  s.path = "/e";
  s.eds_collections = {{SourceKind::kTasks, "todo-42"}};
  REQUIRE(AddSource(&config, s).ok());
  RemoteConfig dav;
  dav.name = "dav";
  dav.type = RemoteType::kDav;
  dav.url = "http://127.0.0.1:5232/u/";
  REQUIRE(AddRemote(&config, dav).ok());
  REQUIRE(MapCollection(&config, "dav", {"eds", "todo-42", SourceKind::kContacts, "http://127.0.0.1:5232/u/t/"}).ok());
  REQUIRE(MapCollection(&config, "dav", {"eds", "system-calendar", SourceKind::kContacts, "http://127.0.0.1:5232/u/c/"}).ok());
  REQUIRE(config.remotes[0].collections.size() == 2);
  CHECK(config.remotes[0].collections[0].kind == SourceKind::kTasks);
  CHECK(config.remotes[0].collections[1].kind == SourceKind::kCalendar);
  Status unknown = MapCollection(&config, "dav", {"eds", "1a2b", SourceKind::kContacts, "http://127.0.0.1:5232/u/x/"});
  CHECK(unknown.code() == ErrorCode::kInvalidArgument);
  CHECK(unknown.message().find("'1a2b'") != std::string::npos);
}

TEST_CASE("malformed config files give errors naming the file and the field") {
  TempDir dir;
  const auto path = dir / "config.json";
  struct Case {
    const char* content;
    const char* expected;
  };
  for (const Case& c : {Case{"{not json", "not valid JSON"}, Case{"[1,2]", "JSON object"},
                        Case{R"({"sources": 3})", "\"sources\" must be an array"},
                        Case{R"({"sources": [{"name": "a", "kind": "fax", "path": "/x"}]})", "sources[0].kind"},
                        Case{R"({"sources": [{"name": "a", "kind": "photos"}]})", "sources[0].path"},
                        Case{R"({"sources": [{"name": "a", "kind": "photos", "path": "/x",
                                 "loss_threshold": {"percent": 101}}]})", "percent must be 0..100"},
                        Case{R"({"version": 7})", "\"version\" must be 1"}}) {
    CAPTURE(c.content);
    WriteFileBytes(path, c.content);
    Result<Config> config = LoadConfig(path);
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().code() == ErrorCode::kMalformedInput);
    CHECK(config.error().message().find(path.string()) != std::string::npos);
    CHECK(config.error().message().find(c.expected) != std::string::npos);
  }
}

TEST_CASE("the agent's settings default when absent, survive a save and load, and are checked") {
  TempDir dir;
  const auto path = dir / "config.json";
  Config config;
  REQUIRE(SaveConfig(path, config).ok());
  Result<Config> loaded = LoadConfig(path);
  REQUIRE(loaded);
  CHECK(loaded->agent == AgentSettings{});
  CHECK(loaded->agent.debounce_ms == 1000);

  config.agent.debounce_ms = 250;
  config.agent.check_interval_s = 120;
  config.agent.desktop_notifications = false;
  config.agent.alert_command = "logger -t holdfast \"$1\"";
  REQUIRE(SaveConfig(path, config).ok());
  loaded = LoadConfig(path);
  REQUIRE(loaded);
  CHECK(loaded->agent == config.agent);

  struct Case {
    const char* content;
    const char* expected;
  };
  for (const Case& c : {Case{R"({"agent": 5})", "\"agent\" must be an object"},
                        Case{R"({"agent": {"debounce": 5}})", "agent.debounce is not a setting"},
                        Case{R"({"agent": {"debounce_ms": 0}})", "agent.debounce_ms must be a whole number"},
                        Case{R"({"agent": {"check_interval_s": "1h"}})", "agent.check_interval_s must be"},
                        Case{R"({"agent": {"desktop_notifications": 1}})", "true or false"},
                        Case{R"({"agent": {"alert_command": ["x"]}})", "agent.alert_command must be a string"},
                        Case{R"({"agent": {"debounce_ms": 5000, "max_delay_ms": 100}})", "max_delay_ms must be at least"},
                        Case{R"({"agent": {"retry_min_s": 50, "retry_max_s": 10}})", "retry_max_s must be at least"}}) {
    CAPTURE(c.content);
    WriteFileBytes(path, c.content);
    Result<Config> bad = LoadConfig(path);
    REQUIRE_FALSE(bad.has_value());
    CHECK(bad.error().code() == ErrorCode::kMalformedInput);
    CHECK(bad.error().message().find(c.expected) != std::string::npos);
  }
}

TEST_CASE("source names and paths that are not UTF-8 survive a save and load byte for byte") {
  TempDir dir;
  Config config;
  SourceConfig s;
  s.name = "cam\xe9ra";
  s.kind = SourceKind::kPhotos;
  s.path = "/media/\xe9t\xe9/DCIM \xff";
  REQUIRE(AddSource(&config, s).ok());
  SourceConfig other;
  other.name = "cam\xefra";  // the same once bytes that are not UTF-8 are replaced
  other.kind = SourceKind::kPhotos;
  other.path = "/media/na\xefve";
  REQUIRE(AddSource(&config, other).ok());
  RemoteConfig remote{"home", "http://127.0.0.1:1", "phone", "/keys/t\xf6ken", "", false, ""};
  REQUIRE(AddRemote(&config, remote).ok());
  const auto path = dir / "config.json";
  REQUIRE(SaveConfig(path, config).ok());
  Result<Config> loaded = LoadConfig(path);
  REQUIRE(loaded);
  REQUIRE(loaded->sources.size() == 2);
  CHECK(loaded->sources[0].name == s.name);
  CHECK(loaded->sources[0].path == s.path);
  CHECK(loaded->sources[1].name == other.name);
  CHECK(loaded->sources[1].path == other.path);
  CHECK(loaded->remotes.at(0).token_file == remote.token_file);
}

TEST_CASE("a remote whose name, URL or account is not UTF-8 is refused") {
  Config config;
  CHECK(AddRemote(&config, RemoteConfig{"h\xe9me", "http://127.0.0.1:1", "phone", "/t", "", false, ""}).code() ==
        ErrorCode::kInvalidArgument);
  CHECK(AddRemote(&config, RemoteConfig{"home", "http://127.0.0.1:1", "ph\xf6ne", "/t", "", false, ""}).code() ==
        ErrorCode::kInvalidArgument);
  CHECK(config.remotes.empty());
}

TEST_CASE("a hand-edited remote with plain http to another host is refused when it connects, before any credential") {
  RemoteConfig dav;
  dav.name = "edited";
  dav.type = RemoteType::kDav;
  dav.url = "http://sync.example.net/dav/";
  Result<std::unique_ptr<DavBackend>> refused = DavBackend::Connect(dav, RemoteOptions{});
  REQUIRE(!refused);
  CHECK(refused.error().code() == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message().find("unencrypted to sync.example.net") != std::string::npos);

  dav.url = "http://127.0.0.1:5232/";  // loopback: allowed
  CHECK(DavBackend::Connect(dav, RemoteOptions{}).has_value());
  dav.photos_url = "http://photos.example.net/dcim/";
  Result<std::unique_ptr<DavBackend>> photos = DavBackend::Connect(dav, RemoteOptions{});
  REQUIRE(!photos);
  CHECK(photos.error().message().find("photos_url") != std::string::npos);
  dav.insecure_plain_http = true;  // the user insisted
  CHECK(DavBackend::Connect(dav, RemoteOptions{}).has_value());

  RemoteConfig holdfast_remote;
  holdfast_remote.name = "edited";
  holdfast_remote.url = "http://sync.example.net";
  holdfast_remote.account = "phone";
  holdfast_remote.token_file = "/nonexistent/token";  // never read: the URL is refused first
  Result<std::unique_ptr<RemoteClient>> client = RemoteClient::Connect(holdfast_remote, RemoteOptions{});
  REQUIRE(!client);
  CHECK(client.error().code() == ErrorCode::kInvalidArgument);
  CHECK(client.error().message().find("unencrypted") != std::string::npos);
}

TEST_CASE("a DAV remote takes a bearer token file instead of a user: the path is stored, never the token; not both") {
  TempDir dir;
  Config config;
  RemoteConfig dav;
  dav.name = "cal";
  dav.type = RemoteType::kDav;
  dav.url = "https://dav.example.net/";
  dav.token_file = "token";  // relative: made absolute
  dav.user = "me";
  dav.password_file = "pass";
  Status both = AddRemote(&config, dav);
  CHECK(both.code() == ErrorCode::kInvalidArgument);
  CHECK(both.message().find("exclude each other") != std::string::npos);
  dav.user.clear();
  dav.password_file.clear();
  REQUIRE(AddRemote(&config, dav).ok());
  CHECK(std::filesystem::path(config.remotes.back().token_file).is_absolute());

  const std::filesystem::path path = dir / "config.json";
  REQUIRE(SaveConfig(path, config).ok());
  Result<Config> loaded = LoadConfig(path);
  REQUIRE(loaded);
  REQUIRE(loaded->remotes.size() == 1);
  CHECK(loaded->remotes[0].type == RemoteType::kDav);
  CHECK(loaded->remotes[0].token_file == config.remotes.back().token_file);
  CHECK(loaded->remotes[0].user.empty());
}

}  // namespace
}  // namespace holdfast::agent
