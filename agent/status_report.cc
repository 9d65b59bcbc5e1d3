#include "agent/status_report.h"

#include <cstdio>
#include <nlohmann/json.hpp>

#include "agent/json_text.h"
#include "platform/clock.h"
#include "platform/sha256.h"
#include "platform/terminal_text.h"

namespace holdfast::agent {
namespace {

using storage::ItemKind;
using storage::ItemKindName;
using storage::KindStats;

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
  return buffer;
}

const storage::CollectionInfo* FindCollection(const StatusReport& report, int64_t id) {
  for (const storage::CollectionInfo& c : report.collections) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

}  // namespace

Result<StatusReport> BuildStatusReport(storage::Vault& vault,
                                       const std::vector<std::pair<std::string, std::string>>& remotes) {
  StatusReport report;
  report.vault_path = vault.path().string();
  report.device_id = vault.device_id();
  report.schema_version = vault.schema_version();
  report.created_at_ms = vault.created_at_ms();
  Result<storage::VaultStats> stats = vault.Stats();
  if (!stats) return stats.error();
  report.stats = *stats;
  Result<std::vector<storage::CollectionInfo>> collections = vault.ListCollections();
  if (!collections) return collections.error();
  report.collections = std::move(*collections);
  Result<std::vector<storage::LossAlert>> alerts = vault.capture_state().ListLossAlerts();
  if (!alerts) return alerts.error();
  report.loss_alerts = std::move(*alerts);
  Result<std::vector<storage::CaptureProblem>> problems = vault.capture_state().ListCaptureProblems();
  if (!problems) return problems.error();
  report.capture_problems = std::move(*problems);
  for (const auto& [name, url] : remotes) {
    RemoteStatus remote{name, url, "", {}, "", "", std::nullopt, {}};
    storage::Ledger ledger(vault, name);
    Result<std::optional<std::string>> epoch = ledger.Epoch();
    if (!epoch) return epoch.error();
    if (epoch->has_value()) remote.epoch = **epoch;
    Result<storage::LedgerCounts> counts = ledger.Counts();
    if (!counts) return counts.error();
    remote.ledger = *counts;
    Result<std::optional<storage::RecoveryState>> recovery = ledger.Recovery();
    if (!recovery) return recovery.error();
    if (recovery->has_value()) {
      remote.recovery_in_progress = (*recovery)->reason;
      remote.recovery_progress = (*recovery)->progress;
    }
    Result<std::optional<storage::RecoveryRecord>> last = ledger.LastRecoveryRecord();
    if (!last) return last.error();
    remote.last_recovery = *last;
    Result<std::vector<storage::Refusal>> refusals = ledger.Refusals();
    if (!refusals) return refusals.error();
    remote.refusals = std::move(*refusals);
    report.remotes.push_back(std::move(remote));
  }
  return report;
}

namespace {

// The background agent's part of `status`.
std::string AgentText(const AgentState& agent, bool running) {
  const auto T = [](std::string_view text) { return platform::TerminalSafe(text); };
  const auto When = [](int64_t ms) { return ms > 0 ? platform::FormatUtc(ms) : std::string("never"); };
  std::string out = "\nAgent      ";
  if (running) {
    out += "running since " + When(agent.started_ms) + " (pid " + std::to_string(agent.pid) + "): " + T(agent.activity) + "\n";
  } else {
    out += std::string(agent.running ? "not running (it ended without stopping cleanly; " : "not running (stopped; ") +
           "last seen " + When(agent.updated_ms) + ")\n";
  }
  out += "  last capture   " + When(agent.last_capture_ms) + ": " + T(agent.last_capture) + "\n";
  if (running) out += "  next rescan    " + When(agent.next_rescan_ms) + "\n";
  out += "  watching       " + std::to_string(agent.folders_watched) + " folders\n";
  for (const std::string& p : agent.watch_problems) out += "  not watched    " + T(p) + "\n";
  if (!agent.config_problem.empty()) out += "  CONFIG ERROR   " + T(agent.config_problem) + " (the old config is in use)\n";
  for (const RemoteActivity& r : agent.remotes) {
    out += "  remote " + T(r.name) + ": last push/check " + When(r.last_sync_ms) + ": " + T(r.last_result);
    if (r.failures > 0) out += " (" + std::to_string(r.failures) + " failures in a row)";
    if (running && r.next_sync_ms > 0) out += "; next " + When(r.next_sync_ms);
    out += "\n";
  }
  for (const AgentAlert& a : agent.alerts) {
    out += "  ALERT " + When(a.raised_ms) + " " + T(a.summary) + "\n    " + T(a.body) + "\n";
  }
  return out;
}

}  // namespace

std::string StatusText(const StatusReport& report) {
  // Names come from the device and the server: escaped for the terminal.
  const auto T = [](std::string_view name) { return platform::TerminalSafe(name); };
  std::string out;
  out += "Vault      " + T(report.vault_path) + "\n";
  out += "Device     " + report.device_id + "\n";
  out += "Created    " + platform::FormatUtc(report.created_at_ms) + "\n";
  out += "Schema     " + std::to_string(report.schema_version) + "\n";
  out += "Size       " + HumanBytes(report.stats.file_size_bytes) + "\n\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-9s %11s %8s %8s %10s %11s\n", "kind", "collections", "items",
                "deleted", "revisions", "size");
  out += line;
  for (ItemKind kind : storage::kAllItemKinds) {
    const KindStats& k = report.stats.by_kind[static_cast<size_t>(kind)];
    std::snprintf(line, sizeof line, "%-9s %11lld %8lld %8lld %10lld %11s\n", ItemKindName(kind),
                  static_cast<long long>(k.collections), static_cast<long long>(k.items),
                  static_cast<long long>(k.deleted_items), static_cast<long long>(k.revisions),
                  HumanBytes(k.content_bytes).c_str());
    out += line;
  }
  out += "\nBlobs      " + std::to_string(report.stats.blobs) + " (" +
         HumanBytes(report.stats.blob_bytes) + ")\n";
  if (!report.collections.empty()) {
    out += "\nCollections\n";
    for (const storage::CollectionInfo& c : report.collections) {
      auto counted = report.stats.by_collection.find(c.id);
      const storage::KindStats counts = counted == report.stats.by_collection.end() ? storage::KindStats{}
                                                                                    : counted->second;
      out += "  " + std::string(ItemKindName(c.kind)) + "\t" + T(c.name) + "\t(from " + T(c.source) + ")\t" +
             std::to_string(counts.items) + " items, " + std::to_string(counts.deleted_items) + " deleted, " +
             HumanBytes(counts.content_bytes) + "\n";
    }
  }
  for (const storage::LossAlert& alert : report.loss_alerts) {
    const storage::CollectionInfo* c = FindCollection(report, alert.collection_id);
    const std::string name = T(c ? c->name : std::to_string(alert.collection_id));
    const std::string source = T(c ? c->source : "?");
    out += "\nSOURCE LOSS SUSPECTED in '" + name + "' (source '" + source + "') since " +
           platform::FormatUtc(alert.raised_at_ms) + ": " + std::to_string(alert.items_missing) +
           " of " + std::to_string(alert.items_before) +
           " items are gone from the device; no deletion recorded.\n"
           "  If you deleted them: holdfast capture --accept-deletions " + source + "\n";
  }
  for (const RemoteStatus& r : report.remotes) {
    out += "\nRemote " + T(r.name) + " (" + T(r.url) + "): ";
    if (r.epoch.empty()) {
      out += "never pushed; " + std::to_string(r.ledger.pending_puts) + " items to send\n";
      continue;
    }
    out += std::to_string(r.ledger.acknowledged) + " items acknowledged, " + std::to_string(r.ledger.pending_puts) +
           " to send (" + std::to_string(r.ledger.pending_bytes) + " bytes), " +
           std::to_string(r.ledger.pending_deletes) + " deletions to send\n";
    if (!r.recovery_in_progress.empty()) {
      out += "  RECOVERY IN PROGRESS (" + T(r.recovery_in_progress) + "): run `holdfast recover` to finish it\n";
    }
    if (r.last_recovery) {
      nlohmann::json last = nlohmann::json::parse(r.last_recovery->report, nullptr, false);
      out += "  last recovery " + platform::FormatUtc(r.last_recovery->finished_ms) + ": " +
             (r.last_recovery->verified ? "VERIFIED" : "NOT VERIFIED");
      if (last.is_object() && last["resent"].is_object()) {
        out += ", re-sent";
        for (auto& [kind, totals] : last["resent"].items()) {
          if (totals.value("items", 0) > 0) out += " " + std::to_string(totals.value("items", 0)) + " " + kind + "s";
        }
        out += " in " + std::to_string(last.value("duration_ms", 0) / 1000.0).substr(0, 5) + " s";
      }
      out += "\n";
    }
    if (!r.refusals.empty()) {
      out += "  REFUSED by the server (" + std::to_string(r.refusals.size()) +
             " items; kept in the vault, sent again at each push):\n";
      for (const storage::Refusal& refusal : r.refusals) {
        const storage::CollectionInfo* c = FindCollection(report, refusal.collection_id);
        out += "    item '" + T(refusal.uid) + "' in " + T(c ? c->source + "/" + c->name : std::string("?")) +
               " since " + platform::FormatUtc(refusal.refused_ms) + ": " + T(refusal.reason) + "\n";
      }
    }
  }
  if (!report.capture_problems.empty()) {
    out += "\nSkipped by the last capture (" + std::to_string(report.capture_problems.size()) + ")\n";
    for (const storage::CaptureProblem& p : report.capture_problems) {
      out += "  " + T(p.source) + ": " + T(p.path) + (p.line > 0 ? " line " + std::to_string(p.line) : "") +
             ": " + T(p.reason) + "\n";
    }
  }
  if (report.agent) out += AgentText(*report.agent, report.agent_running);
  return out;
}

std::string StatusJson(const StatusReport& report) {
  nlohmann::json kinds = nlohmann::json::object();
  for (ItemKind kind : storage::kAllItemKinds) {
    const KindStats& k = report.stats.by_kind[static_cast<size_t>(kind)];
    kinds[ItemKindName(kind)] = {{"collections", k.collections},
                                 {"items", k.items},
                                 {"deleted_items", k.deleted_items},
                                 {"revisions", k.revisions},
                                 {"content_bytes", k.content_bytes}};
  }
  nlohmann::json collections = nlohmann::json::array();
  for (const storage::CollectionInfo& c : report.collections) {
    auto counted = report.stats.by_collection.find(c.id);
    const storage::KindStats counts =
        counted == report.stats.by_collection.end() ? storage::KindStats{} : counted->second;
    nlohmann::json collection = {{"id", c.id},
                                 {"kind", ItemKindName(c.kind)},
                                 {"created_at", platform::FormatUtc(c.created_at_ms)},
                                 {"items", counts.items},
                                 {"deleted_items", counts.deleted_items},
                                 {"revisions", counts.revisions},
                                 {"content_bytes", counts.content_bytes}};
    PutJsonText(&collection, "name", c.name);  // a folder name is bytes
    PutJsonText(&collection, "source", c.source);
    collections.push_back(std::move(collection));
  }
  nlohmann::json alerts = nlohmann::json::array();
  for (const storage::LossAlert& alert : report.loss_alerts) {
    const storage::CollectionInfo* c = FindCollection(report, alert.collection_id);
    nlohmann::json entry = {{"since", platform::FormatUtc(alert.raised_at_ms)},
                             {"items_before", alert.items_before},
                             {"items_missing", alert.items_missing}};
    PutJsonText(&entry, "collection", c ? c->name : "");
    PutJsonText(&entry, "source", c ? c->source : "");
    alerts.push_back(std::move(entry));
  }
  nlohmann::json problems = nlohmann::json::array();
  for (const storage::CaptureProblem& p : report.capture_problems) {
    nlohmann::json problem = {{"source", p.source}, {"line", p.line}, {"reason", p.reason}};
    PutJsonText(&problem, "path", p.path);  // a device path is bytes
    problems.push_back(std::move(problem));
  }
  nlohmann::json remotes = nlohmann::json::array();
  for (const RemoteStatus& r : report.remotes) {
    nlohmann::json refused = nlohmann::json::array();
    for (const storage::Refusal& refusal : r.refusals) {
      const storage::CollectionInfo* c = FindCollection(report, refusal.collection_id);
      nlohmann::json entry = {{"sha256", platform::ToHex(refusal.sha256)},
                              {"reason", refusal.reason},
                              {"since", platform::FormatUtc(refusal.refused_ms)}};
      PutJsonText(&entry, "uid", refusal.uid);
      PutJsonText(&entry, "collection", c ? c->name : "");
      PutJsonText(&entry, "source", c ? c->source : "");
      refused.push_back(std::move(entry));
    }
    remotes.push_back({{"name", r.name},
                       {"refused", refused},
                       {"url", r.url},
                       {"epoch", r.epoch.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.epoch)},
                       {"acknowledged", r.ledger.acknowledged},
                       {"pending_puts", r.ledger.pending_puts},
                       {"pending_bytes", r.ledger.pending_bytes},
                       {"pending_deletes", r.ledger.pending_deletes},
                       {"recovery_in_progress", r.recovery_in_progress.empty() ? nlohmann::json(nullptr)
                                                                               : nlohmann::json(r.recovery_in_progress)},
                       {"recovery_progress", r.recovery_progress.empty()
                                                 ? nlohmann::json(nullptr)
                                                 : nlohmann::json::parse(r.recovery_progress, nullptr, false)},
                       {"last_recovery", r.last_recovery ? nlohmann::json::parse(r.last_recovery->report, nullptr, false)
                                                         : nlohmann::json(nullptr)}});
  }
  nlohmann::json doc = {
      {"remotes", remotes},
      {"vault", report.vault_path},
      {"device_id", report.device_id},
      {"schema_version", report.schema_version},
      {"created_at", platform::FormatUtc(report.created_at_ms)},
      {"file_size_bytes", report.stats.file_size_bytes},
      {"kinds", kinds},
      {"blobs", {{"count", report.stats.blobs}, {"bytes", report.stats.blob_bytes}}},
      {"collections", collections},
      {"source_loss_suspected", alerts},
      {"capture_problems", problems},
  };
  // Names and sources come from the user's files and may hold invalid UTF-8:
  // replace such bytes rather than fail.
  if (report.agent) {
    nlohmann::json agent = nlohmann::json::parse(report.agent->ToJson(), nullptr, false);
    if (!agent.is_discarded()) {
      agent["running"] = report.agent_running;
      doc["agent"] = std::move(agent);
    }
  }
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace holdfast::agent
