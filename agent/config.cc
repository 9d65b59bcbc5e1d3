#include "agent/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "agent/json_text.h"
#include "platform/base64.h"
#include "platform/pim/content_line.h"
#include "platform/files.h"
#include "platform/http_client.h"
#include "platform/paths.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

constexpr uint64_t kMaxConfigBytes = 1 << 20;
constexpr int kConfigVersion = 1;

Status Malformed(const std::filesystem::path& path, const std::string& what) {
  return Status(ErrorCode::kMalformedInput, path.string() + ": " + what);
}

}  // namespace

const char* SourceKindName(SourceKind kind) {
  switch (kind) {
    case SourceKind::kContacts: return "contacts";
    case SourceKind::kCalendar: return "calendar";
    case SourceKind::kTasks: return "tasks";
    case SourceKind::kNotes: return "notes";
    case SourceKind::kPhotos: return "photos";
    case SourceKind::kEds: return "eds";
  }
  return "unknown";
}

std::optional<SourceKind> ParseSourceKind(std::string_view name) {
  for (SourceKind kind : {SourceKind::kContacts, SourceKind::kCalendar, SourceKind::kTasks,
                          SourceKind::kNotes, SourceKind::kPhotos, SourceKind::kEds}) {
    if (name == SourceKindName(kind)) return kind;
  }
  return std::nullopt;
}

storage::ItemKind ItemKindOf(SourceKind kind) {
  switch (kind) {
    case SourceKind::kContacts: return storage::ItemKind::kContact;
    case SourceKind::kCalendar: return storage::ItemKind::kEvent;
    case SourceKind::kTasks: return storage::ItemKind::kTask;
    case SourceKind::kNotes: return storage::ItemKind::kNote;
    case SourceKind::kPhotos: return storage::ItemKind::kPhoto;
    case SourceKind::kEds: return storage::ItemKind::kContact;
  }
  return storage::ItemKind::kContact;
}

std::string BuiltinEdsUid(SourceKind kind) {
  switch (kind) {
    case SourceKind::kContacts: return "system-address-book";
    case SourceKind::kCalendar: return "system-calendar";
    case SourceKind::kTasks: return "system-task-list";
    case SourceKind::kNotes: return "system-memo-list";
    default: return "";
  }
}

const SourceConfig* Config::FindSource(std::string_view name) const {
  for (const SourceConfig& s : sources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const RemoteConfig* Config::FindRemote(std::string_view name) const {
  for (const RemoteConfig& r : remotes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<const RemoteConfig*> ChooseRemote(const Config& config, const std::string& name) {
  if (!name.empty()) {
    const RemoteConfig* remote = config.FindRemote(name);
    if (remote == nullptr) return Status(ErrorCode::kNotFound, "no remote named '" + name + "' (see `holdfast remote list`)");
    return remote;
  }
  if (config.remotes.empty()) {
    return Status(ErrorCode::kNotFound, "no remote is configured (add one with `holdfast remote add`)");
  }
  if (config.remotes.size() > 1) {
    return Status(ErrorCode::kInvalidArgument, "several remotes are configured: name one with --remote");
  }
  return &config.remotes.front();
}

const char* RemoteTypeName(RemoteType type) { return type == RemoteType::kDav ? "dav" : "holdfast"; }

std::optional<RemoteType> ParseRemoteType(std::string_view name) {
  if (name == "holdfast") return RemoteType::kHoldfast;
  if (name == "dav") return RemoteType::kDav;
  return std::nullopt;
}

namespace {

Status CheckDavRemote(RemoteConfig* remote) {
  for (const std::string* text : {&remote->user, &remote->photos_url}) {
    if (!platform::IsValidUtf8(*text)) return Status(ErrorCode::kInvalidArgument, "user and URLs must be UTF-8 text");
  }
  if (remote->user.empty() != remote->password_file.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "remote '" + remote->name + "' needs --user and --password-file together (or neither)");
  }
  if (remote->user.find(':') != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, "remote '" + remote->name + "': --user cannot hold ':' (HTTP Basic)");
  }
  if (!remote->account.empty()) {
    return Status(ErrorCode::kInvalidArgument, "remote '" + remote->name + "': --account is for --type holdfast");
  }
  // Bearer or Basic, never both: a server gets one Authorization header.
  if (!remote->token_file.empty() && !remote->user.empty()) {
    return Status(ErrorCode::kInvalidArgument, "remote '" + remote->name +
                                                   "': --token-file (Bearer) and --user/--password-file (Basic) "
                                                   "exclude each other");
  }
  if (!remote->photos_url.empty()) {
    Result<std::string> url = CheckedRemoteUrl(*remote, remote->photos_url, "--photos-url");
    if (!url) return url.error();
    remote->photos_url = *url + "/";
  }
  for (CollectionMapping& m : remote->collections) {
    Result<std::string> url = CheckedRemoteUrl(*remote, m.url, "collections url");
    if (!url) return url.error();
    m.url = *url + "/";
  }
  std::error_code ec;
  if (!remote->password_file.empty()) {
    remote->password_file = std::filesystem::absolute(remote->password_file, ec).lexically_normal().string();
  }
  if (!remote->token_file.empty()) {
    remote->token_file = std::filesystem::absolute(remote->token_file, ec).lexically_normal().string();
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> CheckedRemoteUrl(const RemoteConfig& remote, std::string text, const char* option) {
  while (!text.empty() && text.back() == '/') text.pop_back();
  // curl's own parser decides, so that the host checked is the host connected to.
  Result<platform::ServerUrl> url = platform::ParseServerUrl(text);
  if (!url) return url.error().WithContext("remote '" + remote.name + "' " + option);
  if (url->scheme == "http" && !url->loopback && !remote.insecure_plain_http) {
    return Status(ErrorCode::kInvalidArgument,
                  "remote '" + remote.name + "' " + option + ": plain http would send the credentials and your data "
                  "unencrypted to " + url->host + "; use https, or --insecure-plain-http if you really mean it");
  }
  return url->url;
}

Status AddRemote(Config* config, RemoteConfig remote) {
  if (remote.name.empty()) return Status(ErrorCode::kInvalidArgument, "a remote needs a name");
  // Text, not file names: they go into URLs and the vault's ledger as they are.
  for (const std::string* text : {&remote.name, &remote.url, &remote.account}) {
    if (!platform::IsValidUtf8(*text)) {
      return Status(ErrorCode::kInvalidArgument, "remote name, URL and account must be UTF-8 text");
    }
  }
  if (config->FindRemote(remote.name) != nullptr) {
    return Status(ErrorCode::kAlreadyExists, "a remote named '" + remote.name + "' already exists");
  }
  Result<std::string> url = CheckedRemoteUrl(remote, remote.url, "--url");
  if (!url) return url.error();
  remote.url = *url;
  if (!remote.pin_sha256.empty()) {
    if (remote.pin_sha256.rfind("sha256//", 0) == 0) remote.pin_sha256.erase(0, 8);
    std::optional<std::string> digest = platform::Base64Decode(remote.pin_sha256);
    if (!digest || digest->size() != 32) {
      return Status(ErrorCode::kInvalidArgument, "remote '" + remote.name +
                                                     "': --pin-sha256 must be the base64 SHA-256 (44 characters) of "
                                                     "the server's public key");
    }
  }
  std::error_code ec;
  if (!remote.ca_file.empty()) remote.ca_file = std::filesystem::absolute(remote.ca_file, ec).lexically_normal().string();
  if (remote.type == RemoteType::kDav) {
    HF_RETURN_IF_ERROR(CheckDavRemote(&remote));
    config->remotes.push_back(std::move(remote));
    return Status::Ok();
  }
  if (!remote.user.empty() || !remote.password_file.empty() || !remote.photos_url.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "remote '" + remote.name + "': --user, --password-file and --photos-url are for --type dav");
  }
  if (remote.account.empty()) return Status(ErrorCode::kInvalidArgument, "remote '" + remote.name + "' needs --account");
  if (remote.token_file.empty()) {
    return Status(ErrorCode::kInvalidArgument, "remote '" + remote.name + "' needs --token-file");
  }
  remote.token_file = std::filesystem::absolute(remote.token_file, ec).lexically_normal().string();
  config->remotes.push_back(std::move(remote));
  return Status::Ok();
}

namespace {

// A secret's file: a regular file of this user that nobody else can read.
Result<std::string> ReadSecretFile(const std::string& file, const std::string& where) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) return ErrnoStatus(where, errno);
  if (!S_ISREG(st.st_mode)) return Status(ErrorCode::kAuthFailed, where + ": not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status(ErrorCode::kAuthFailed, where + ": others can read it; run chmod 600 on it");
  }
  if (st.st_uid != geteuid()) return Status(ErrorCode::kAuthFailed, where + ": belongs to another user");
  return platform::ReadWholeFile(file, 4096);
}

}  // namespace

Status MapCollection(Config* config, const std::string& remote_name, CollectionMapping mapping) {
  RemoteConfig* remote = nullptr;
  for (RemoteConfig& r : config->remotes) {
    if (r.name == remote_name) remote = &r;
  }
  if (remote == nullptr) return Status(ErrorCode::kNotFound, "no remote named '" + remote_name + "'");
  if (remote->type != RemoteType::kDav) {
    return Status(ErrorCode::kInvalidArgument, "remote '" + remote_name + "' is not a DAV remote: only DAV "
                                               "collections are mapped to URLs");
  }
  const SourceConfig* source = config->FindSource(mapping.source);
  if (source == nullptr) return Status(ErrorCode::kNotFound, "no source named '" + mapping.source + "'");
  if (mapping.collection.empty()) return Status(ErrorCode::kInvalidArgument, "--collection must name a collection");
  mapping.kind = source->kind;
  if (source->kind == SourceKind::kEds) {
    // The collection's own kind: from the source's picks, or a built-in one.
    auto pick = std::find_if(source->eds_collections.begin(), source->eds_collections.end(),
                             [&](const EdsPick& p) { return p.uid == mapping.collection; });
    std::optional<SourceKind> kind;
    if (pick != source->eds_collections.end()) kind = pick->kind;
    for (SourceKind k : {SourceKind::kContacts, SourceKind::kCalendar, SourceKind::kTasks, SourceKind::kNotes}) {
      if (!kind && BuiltinEdsUid(k) == mapping.collection) kind = k;
    }
    if (!kind) {
      return Status(ErrorCode::kInvalidArgument,
                    "EDS source '" + source->name + "': collection '" + mapping.collection +
                        "' is neither a built-in one nor named when the source was added (--book, --calendar, "
                        "--tasks, --memos), so its kind is not known");
    }
    mapping.kind = *kind;
  }
  Result<std::string> url = CheckedRemoteUrl(*remote, mapping.url, "--url");
  if (!url) return url.error();
  mapping.url = *url + "/";
  for (CollectionMapping& m : remote->collections) {
    if (m.source == mapping.source && m.collection == mapping.collection) {
      m = std::move(mapping);
      return Status::Ok();
    }
  }
  remote->collections.push_back(std::move(mapping));
  return Status::Ok();
}

Result<std::string> ReadPassword(const RemoteConfig& remote) {
  const std::string where = "password file " + remote.password_file + " of remote '" + remote.name + "'";
  Result<std::string> bytes = ReadSecretFile(remote.password_file, where);
  if (!bytes) return bytes.error();
  std::string password = *bytes;
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty() || password.find_first_of("\r\n") != std::string::npos) {
    return Status(ErrorCode::kAuthFailed, where + ": must hold one password on one line");
  }
  return password;
}

Result<std::string> ReadToken(const RemoteConfig& remote) {
  const std::string where = "token file " + remote.token_file + " of remote '" + remote.name + "'";
  Result<std::string> bytes = ReadSecretFile(remote.token_file, where);
  if (!bytes) return bytes.error();
  std::string token = *bytes;
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token.empty() || token.find_first_of(" \t\r\n") != std::string::npos) {
    return Status(ErrorCode::kAuthFailed, where + ": must hold one token on one line");
  }
  return token;
}

Result<std::filesystem::path> DefaultConfigPath() {
  Result<std::filesystem::path> dir = platform::DefaultConfigDir();
  if (!dir) return dir.error();
  return *dir / "config.json";
}

namespace {

Status LoadRemotes(const json& doc, const std::filesystem::path& path, Config* config) {
  if (!doc.contains("remotes")) return Status::Ok();
  if (!doc["remotes"].is_array()) return Malformed(path, "\"remotes\" must be an array");
  for (size_t i = 0; i < doc["remotes"].size(); ++i) {
    const json& entry = doc["remotes"][i];
    const std::string where = "remotes[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Malformed(path, where + " must be an object");
    RemoteConfig remote;
    if (entry.contains("type")) {
      std::optional<RemoteType> type =
          entry["type"].is_string() ? ParseRemoteType(entry["type"].get<std::string>()) : std::nullopt;
      if (!type) return Malformed(path, where + ".type must be \"holdfast\" or \"dav\"");
      remote.type = *type;
    }
    const bool dav = remote.type == RemoteType::kDav;
    for (const char* field : {"name", "url", "account"}) {
      if (dav && std::string_view(field) == "account") continue;
      if (!entry.contains(field) || !entry[field].is_string()) {
        return Malformed(path, where + "." + field + " must be a string");
      }
    }
    remote.name = entry["name"].get<std::string>();
    remote.url = entry["url"].get<std::string>();
    if (!dav) {
      remote.account = entry["account"].get<std::string>();
      if (!GetJsonText(entry, "token_file", &remote.token_file)) {
        return Malformed(path, where + ".token_file must be a string (or token_file_hex, hex digits)");
      }
    } else {
      for (auto [field, out] : {std::pair{"user", &remote.user}, std::pair{"photos_url", &remote.photos_url}}) {
        if (!entry.contains(field)) continue;
        if (!entry[field].is_string()) return Malformed(path, where + "." + field + " must be a string");
        *out = entry[field].get<std::string>();
      }
      if (HasJsonText(entry, "password_file") && !GetJsonText(entry, "password_file", &remote.password_file)) {
        return Malformed(path, where + ".password_file must be a string (or password_file_hex, hex digits)");
      }
      if (HasJsonText(entry, "token_file") && !GetJsonText(entry, "token_file", &remote.token_file)) {
        return Malformed(path, where + ".token_file must be a string (or token_file_hex, hex digits)");
      }
      if (entry.contains("collections")) {
        const json& maps = entry["collections"];
        if (!maps.is_array()) return Malformed(path, where + ".collections must be an array");
        for (size_t m = 0; m < maps.size(); ++m) {
          const std::string at = where + ".collections[" + std::to_string(m) + "]";
          CollectionMapping mapping;
          std::optional<SourceKind> kind;
          if (maps[m].is_object() && maps[m].contains("kind") && maps[m]["kind"].is_string()) {
            kind = ParseSourceKind(maps[m]["kind"].get<std::string>());
          }
          if (!maps[m].is_object() || !GetJsonText(maps[m], "source", &mapping.source) ||
              !GetJsonText(maps[m], "collection", &mapping.collection) || !kind || !maps[m].contains("url") ||
              !maps[m]["url"].is_string()) {
            return Malformed(path, at + " must be {\"source\", \"collection\", \"kind\", \"url\"}");
          }
          mapping.kind = *kind;
          mapping.url = maps[m]["url"].get<std::string>();  // checked by AddRemote below
          remote.collections.push_back(std::move(mapping));
        }
      }
    }
    if (HasJsonText(entry, "ca_file") && !GetJsonText(entry, "ca_file", &remote.ca_file)) {
      return Malformed(path, where + ".ca_file must be a string (or ca_file_hex, hex digits)");
    }
    if (entry.contains("insecure_plain_http")) {
      if (!entry["insecure_plain_http"].is_boolean()) return Malformed(path, where + ".insecure_plain_http must be true or false");
      remote.insecure_plain_http = entry["insecure_plain_http"].get<bool>();
    }
    if (entry.contains("pin_sha256")) {
      if (!entry["pin_sha256"].is_string()) return Malformed(path, where + ".pin_sha256 must be a string");
      remote.pin_sha256 = entry["pin_sha256"].get<std::string>();
    }
    Status added = AddRemote(config, remote);
    if (!added.ok()) return Malformed(path, where + ": " + added.message());
  }
  return Status::Ok();
}

Status LoadAgentSettings(const json& doc, const std::filesystem::path& path, AgentSettings* settings) {
  if (!doc.contains("agent")) return Status::Ok();
  const json& agent = doc["agent"];
  if (!agent.is_object()) return Malformed(path, "\"agent\" must be an object");
  const std::pair<const char*, int64_t*> numbers[] = {
      {"debounce_ms", &settings->debounce_ms},           {"max_delay_ms", &settings->max_delay_ms},
      {"rescan_interval_s", &settings->rescan_interval_s}, {"check_interval_s", &settings->check_interval_s},
      {"retry_min_s", &settings->retry_min_s},           {"retry_max_s", &settings->retry_max_s},
      {"unreachable_alert_h", &settings->unreachable_alert_h}};
  for (const auto& [key, value] : agent.items()) {
    const std::string where = "agent." + key;
    if (key == "desktop_notifications") {
      if (!value.is_boolean()) return Malformed(path, where + " must be true or false");
      settings->desktop_notifications = value.get<bool>();
      continue;
    }
    if (key == "alert_command") {
      if (!value.is_string()) return Malformed(path, where + " must be a string (a shell command)");
      settings->alert_command = value.get<std::string>();
      continue;
    }
    auto known = std::find_if(std::begin(numbers), std::end(numbers),
                              [&key](const auto& n) { return key == n.first; });
    if (known == std::end(numbers)) {
      return Malformed(path, where + " is not a setting (see docs/agent.md)");
    }
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > 1000000000) {
      return Malformed(path, where + " must be a whole number from 1 to 1000000000");
    }
    *known->second = value.get<int64_t>();
  }
  if (settings->max_delay_ms < settings->debounce_ms) {
    return Malformed(path, "agent.max_delay_ms must be at least agent.debounce_ms");
  }
  if (settings->retry_max_s < settings->retry_min_s) {
    return Malformed(path, "agent.retry_max_s must be at least agent.retry_min_s");
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Config{};
  Result<std::string> bytes = platform::ReadWholeFile(path, kMaxConfigBytes);
  if (!bytes) return bytes.error();
  json doc = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Malformed(path, "not valid JSON");
  if (!doc.is_object()) return Malformed(path, "the top level must be a JSON object");
  if (doc.contains("version") && (!doc["version"].is_number_integer() || doc["version"] != kConfigVersion)) {
    return Malformed(path, "\"version\" must be " + std::to_string(kConfigVersion));
  }
  Config config;
  HF_RETURN_IF_ERROR(LoadRemotes(doc, path, &config));
  HF_RETURN_IF_ERROR(LoadAgentSettings(doc, path, &config.agent));
  if (!doc.contains("sources")) return config;
  if (!doc["sources"].is_array()) return Malformed(path, "\"sources\" must be an array");
  for (size_t i = 0; i < doc["sources"].size(); ++i) {
    const json& entry = doc["sources"][i];
    const std::string where = "sources[" + std::to_string(i) + "]";
    if (!entry.is_object()) return Malformed(path, where + " must be an object");
    if (!entry.contains("kind") || !entry["kind"].is_string()) return Malformed(path, where + ".kind must be a string");
    SourceConfig source;
    // Names and paths are bytes: what is not UTF-8 is kept as "<key>_hex".
    for (auto [field, value] : {std::pair{"name", &source.name}, std::pair{"path", &source.path}}) {
      if (!GetJsonText(entry, field, value)) {
        return Malformed(path, where + "." + field + " must be a string (or " + field + "_hex, hex digits)");
      }
    }
    std::optional<SourceKind> kind = ParseSourceKind(entry["kind"].get<std::string>());
    if (!kind) {
      return Malformed(path, where + ".kind must be one of contacts, calendar, tasks, notes, photos, eds");
    }
    source.kind = *kind;
    if (entry.contains("eds_collections")) {
      const json& picks = entry["eds_collections"];
      const std::string bad = where + ".eds_collections must be an array of {\"kind\": KIND, \"uid\": UID}";
      if (!picks.is_array()) return Malformed(path, bad);
      for (const json& p : picks) {
        if (!p.is_object() || !p.contains("kind") || !p["kind"].is_string() || !p.contains("uid") ||
            !p["uid"].is_string()) {
          return Malformed(path, bad);
        }
        std::optional<SourceKind> pick_kind = ParseSourceKind(p["kind"].get<std::string>());
        if (!pick_kind || BuiltinEdsUid(*pick_kind).empty()) {
          return Malformed(path, bad + " (kind: contacts, calendar, tasks or notes)");
        }
        source.eds_collections.push_back({*pick_kind, p["uid"].get<std::string>()});
      }
    }
    if (entry.contains("loss_threshold")) {
      const json& t = entry["loss_threshold"];
      if (!t.is_object() || !t.value("percent", json(20)).is_number_integer() ||
          !t.value("min_items", json(5)).is_number_integer()) {
        return Malformed(path, where + ".loss_threshold must be {\"percent\": N, \"min_items\": N}");
      }
      source.loss_percent = t.value("percent", 20);
      source.loss_min_items = t.value("min_items", 5);
      if (source.loss_percent < 0 || source.loss_percent > 100 || source.loss_min_items < 0) {
        return Malformed(path, where + ".loss_threshold: percent must be 0..100, min_items >= 0");
      }
    }
    Status added = AddSource(&config, source);
    if (!added.ok()) return Malformed(path, where + ": " + added.message());
  }
  return config;
}

Status SaveConfig(const std::filesystem::path& path, const Config& config) {
  json sources = json::array();
  for (const SourceConfig& s : config.sources) {
    json entry = {{"kind", SourceKindName(s.kind)},
                  {"loss_threshold", {{"percent", s.loss_percent}, {"min_items", s.loss_min_items}}}};
    PutJsonText(&entry, "name", s.name);
    PutJsonText(&entry, "path", s.path);
    if (!s.eds_collections.empty()) {
      json picks = json::array();
      for (const EdsPick& p : s.eds_collections) picks.push_back({{"kind", SourceKindName(p.kind)}, {"uid", p.uid}});
      entry["eds_collections"] = std::move(picks);
    }
    sources.push_back(std::move(entry));
  }
  json remotes = json::array();
  for (const RemoteConfig& r : config.remotes) {
    json entry = {{"name", r.name}, {"url", r.url}};
    if (r.type == RemoteType::kDav) {
      entry["type"] = RemoteTypeName(r.type);
      if (!r.user.empty()) entry["user"] = r.user;
      if (!r.password_file.empty()) PutJsonText(&entry, "password_file", r.password_file);
      if (!r.token_file.empty()) PutJsonText(&entry, "token_file", r.token_file);
      if (!r.photos_url.empty()) entry["photos_url"] = r.photos_url;
      if (!r.collections.empty()) {
        json maps = json::array();
        for (const CollectionMapping& m : r.collections) {
          json map = {{"kind", SourceKindName(m.kind)}, {"url", m.url}};
          PutJsonText(&map, "source", m.source);
          PutJsonText(&map, "collection", m.collection);
          maps.push_back(std::move(map));
        }
        entry["collections"] = std::move(maps);
      }
    } else {
      entry["account"] = r.account;
      PutJsonText(&entry, "token_file", r.token_file);
    }
    if (!r.ca_file.empty()) PutJsonText(&entry, "ca_file", r.ca_file);
    if (r.insecure_plain_http) entry["insecure_plain_http"] = true;
    if (!r.pin_sha256.empty()) entry["pin_sha256"] = r.pin_sha256;
    remotes.push_back(entry);
  }
  json doc = {{"version", kConfigVersion}, {"sources", sources}};
  if (!remotes.empty()) doc["remotes"] = remotes;
  if (!(config.agent == AgentSettings{})) {
    const AgentSettings& a = config.agent;
    doc["agent"] = {{"debounce_ms", a.debounce_ms},
                    {"max_delay_ms", a.max_delay_ms},
                    {"rescan_interval_s", a.rescan_interval_s},
                    {"check_interval_s", a.check_interval_s},
                    {"retry_min_s", a.retry_min_s},
                    {"retry_max_s", a.retry_max_s},
                    {"unreachable_alert_h", a.unreachable_alert_h},
                    {"desktop_notifications", a.desktop_notifications},
                    {"alert_command", a.alert_command}};
  }
  // A bare file name ("--config c.json") lives in the current folder.
  std::error_code ec;
  const std::filesystem::path folder = std::filesystem::absolute(path, ec).parent_path();
  if (ec) return Status(ErrorCode::kInvalidArgument, path.string() + ": " + ec.message());
  HF_RETURN_IF_ERROR(platform::EnsurePrivateDir(folder));
  // Strict: every byte string above went through PutJsonText, so nothing
  // the user gave is replaced (a replaced path is a different path).
  return platform::WriteFileAtomically(
      path, doc.dump(2, ' ', false, json::error_handler_t::strict) + "\n", 0600);
}

Status AddSource(Config* config, SourceConfig source) {
  if (source.name.empty()) return Status(ErrorCode::kInvalidArgument, "a source needs a name");
  if (config->FindSource(source.name) != nullptr) {
    return Status(ErrorCode::kAlreadyExists, "a source named '" + source.name + "' already exists");
  }
  if (source.path.empty()) return Status(ErrorCode::kInvalidArgument, "source '" + source.name + "' has no path");
  if (source.kind != SourceKind::kEds && !source.eds_collections.empty()) {
    return Status(ErrorCode::kInvalidArgument, "source '" + source.name + "': only an eds source names EDS collections");
  }
  for (size_t i = 0; i < source.eds_collections.size(); ++i) {
    const EdsPick& pick = source.eds_collections[i];
    if (BuiltinEdsUid(pick.kind).empty() || pick.uid.empty()) {
      return Status(ErrorCode::kInvalidArgument, "source '" + source.name +
                                                     "': an EDS collection is an address book (contacts), calendar, "
                                                     "task list (tasks) or memo list (notes) with a UID");
    }
    for (size_t j = 0; j < i; ++j) {
      if (source.eds_collections[j] == pick) {
        return Status(ErrorCode::kInvalidArgument, "source '" + source.name + "': EDS collection '" + pick.uid +
                                                       "' is named twice");
      }
    }
  }
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(source.path, ec);
  if (ec) return Status(ErrorCode::kInvalidArgument, source.path + ": " + ec.message());
  source.path = absolute.lexically_normal().string();
  if (source.path.size() > 1 && source.path.back() == '/') source.path.pop_back();
  config->sources.push_back(std::move(source));
  return Status::Ok();
}

}  // namespace holdfast::agent
