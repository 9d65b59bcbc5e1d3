#include "agent/daemon/agent_state.h"

#include <signal.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "platform/files.h"

namespace holdfast::agent {
namespace {

using nlohmann::json;

constexpr size_t kMaxStateBytes = 4 << 20;

}  // namespace

std::string AgentState::ToJson() const {
  json remotes_json = json::array();
  for (const RemoteActivity& r : remotes) {
    remotes_json.push_back({{"name", r.name},
                            {"last_sync_ms", r.last_sync_ms},
                            {"last_result", r.last_result},
                            {"last_ok", r.last_ok},
                            {"last_reached_ms", r.last_reached_ms},
                            {"failures", r.failures},
                            {"next_sync_ms", r.next_sync_ms}});
  }
  json alerts_json = json::array();
  for (const AgentAlert& a : alerts) {
    alerts_json.push_back(
        {{"id", a.id}, {"raised_ms", a.raised_ms}, {"summary", a.summary}, {"body", a.body}, {"shown_by", a.shown_by}});
  }
  json doc = {{"pid", pid},
              {"running", running},
              {"started_ms", started_ms},
              {"updated_ms", updated_ms},
              {"activity", activity},
              {"last_capture_ms", last_capture_ms},
              {"last_capture", last_capture},
              {"next_rescan_ms", next_rescan_ms},
              {"folders_watched", folders_watched},
              {"watch_problems", watch_problems},
              {"config_problem", config_problem},
              {"remotes", remotes_json},
              {"alerts", alerts_json}};
  // Replace: file names in messages are bytes, not always UTF-8.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::filesystem::path AgentStatePath(const std::filesystem::path& vault) {
  return std::filesystem::path(vault.string() + ".agent.json");
}

Status SaveAgentState(const std::filesystem::path& vault, const AgentState& state) {
  return platform::WriteFileAtomically(AgentStatePath(vault), state.ToJson(), 0600);
}

Result<std::optional<AgentState>> LoadAgentState(const std::filesystem::path& vault) {
  const std::filesystem::path path = AgentStatePath(vault);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<AgentState>();
  Result<std::string> bytes = platform::ReadWholeFile(path, kMaxStateBytes);
  if (!bytes) return bytes.error();
  json doc = json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status(ErrorCode::kMalformedInput, path.string() + ": not the agent's state (not a JSON object)");
  }
  // Missing or mistyped fields keep their defaults: the file is informative.
  auto get = [](const json& j, const char* key, auto fallback) {
    auto it = j.find(key);
    if (it == j.end()) return fallback;
    json value = *it;
    using T = decltype(fallback);
    if constexpr (std::is_same_v<T, std::string>) {
      return value.is_string() ? value.get<std::string>() : fallback;
    } else if constexpr (std::is_same_v<T, bool>) {
      return value.is_boolean() ? value.get<bool>() : fallback;
    } else {
      return value.is_number_integer() ? value.get<T>() : fallback;
    }
  };
  AgentState s;
  s.pid = get(doc, "pid", 0);
  s.running = get(doc, "running", false);
  s.started_ms = get(doc, "started_ms", int64_t{0});
  s.updated_ms = get(doc, "updated_ms", int64_t{0});
  s.activity = get(doc, "activity", std::string());
  s.last_capture_ms = get(doc, "last_capture_ms", int64_t{0});
  s.last_capture = get(doc, "last_capture", std::string());
  s.next_rescan_ms = get(doc, "next_rescan_ms", int64_t{0});
  s.folders_watched = get(doc, "folders_watched", size_t{0});
  s.config_problem = get(doc, "config_problem", std::string());
  if (doc.contains("watch_problems") && doc["watch_problems"].is_array()) {
    for (const json& p : doc["watch_problems"]) {
      if (p.is_string()) s.watch_problems.push_back(p.get<std::string>());
    }
  }
  if (doc.contains("remotes") && doc["remotes"].is_array()) {
    for (const json& r : doc["remotes"]) {
      if (!r.is_object()) continue;
      RemoteActivity a;
      a.name = get(r, "name", std::string());
      a.last_sync_ms = get(r, "last_sync_ms", int64_t{0});
      a.last_result = get(r, "last_result", std::string());
      a.last_ok = get(r, "last_ok", false);
      a.last_reached_ms = get(r, "last_reached_ms", int64_t{0});
      a.failures = get(r, "failures", 0);
      a.next_sync_ms = get(r, "next_sync_ms", int64_t{0});
      s.remotes.push_back(std::move(a));
    }
  }
  if (doc.contains("alerts") && doc["alerts"].is_array()) {
    for (const json& a : doc["alerts"]) {
      if (!a.is_object()) continue;
      s.alerts.push_back(AgentAlert{get(a, "id", std::string()), get(a, "raised_ms", int64_t{0}),
                                    get(a, "summary", std::string()), get(a, "body", std::string()),
                                    get(a, "shown_by", std::string())});
    }
  }
  return std::optional<AgentState>(std::move(s));
}

bool ProcessAlive(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace holdfast::agent
