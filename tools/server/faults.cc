#include "tools/server/faults.h"

#include <cstdlib>
#include <optional>
#include <utility>

namespace holdfast::server {
namespace {

constexpr std::pair<Fault, const char*> kNames[] = {
    {Fault::kError500, "error500"},       {Fault::kError503, "error503"},       {Fault::kError429, "error429"},
    {Fault::kResetBefore, "reset_before"}, {Fault::kResetAfter, "reset_after"}, {Fault::kTruncate, "truncate"},
    {Fault::kLatency, "latency"},          {Fault::kDrop, "drop"}};

Status Bad(const std::string& what) { return Status(ErrorCode::kInvalidArgument, "--faults: " + what); }

// A whole non-negative decimal number, or nullopt.
std::optional<int64_t> WholeNumber(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

// "N:KIND" or "N:latency:MS".
Status ParseScheduled(const std::string& value, FaultSpec* spec) {
  const size_t colon = value.find(':');
  const std::optional<int64_t> at = WholeNumber(value.substr(0, colon));
  if (colon == std::string::npos || !at || *at < 1) {
    return Bad("at=\"" + value + "\": use at=N:KIND with N the request number, from 1");
  }
  std::string kind = value.substr(colon + 1);
  ScheduledFault scheduled;
  if (kind.rfind("latency:", 0) == 0) {
    const std::optional<int64_t> ms = WholeNumber(kind.substr(8));
    if (!ms || *ms > 600000) return Bad("at=\"" + value + "\": latency:MS takes 0 to 600000 milliseconds");
    scheduled.latency_ms = static_cast<int>(*ms);
    kind = "latency";
  }
  for (const auto& [fault, name] : kNames) {
    if (kind == name) scheduled.fault = fault;
  }
  if (scheduled.fault == Fault::kNone || (kind == "latency" && value.find("latency:") == std::string::npos)) {
    return Bad("at=\"" + value + "\": unknown fault \"" + kind +
               "\" (error500 error503 error429 reset_before reset_after truncate drop latency:MS)");
  }
  if (!spec->at.emplace(*at, scheduled).second) return Bad("two faults scheduled at request " + std::to_string(*at));
  return Status::Ok();
}

}  // namespace

const char* FaultName(Fault fault) {
  for (const auto& [f, name] : kNames) {
    if (f == fault) return name;
  }
  return "none";
}

Result<FaultSpec> ParseFaultSpec(const std::string& text) {
  FaultSpec spec;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string pair = text.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) return Bad("\"" + pair + "\" is not KEY=VALUE");
    const std::string key = pair.substr(0, eq);
    const std::string value = pair.substr(eq + 1);
    if (key == "at") {
      HF_RETURN_IF_ERROR(ParseScheduled(value, &spec));
      continue;
    }
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0' || number < 0) {
      return Bad("bad value for " + key + ": \"" + value + "\"");
    }
    if (key == "seed") spec.seed = static_cast<uint64_t>(number);
    else if (key == "error500") spec.error500 = number;
    else if (key == "error503") spec.error503 = number;
    else if (key == "error429") spec.error429 = number;
    else if (key == "reset_before") spec.reset_before = number;
    else if (key == "reset_after") spec.reset_after = number;
    else if (key == "truncate") spec.truncate = number;
    else if (key == "latency_ms") spec.latency_ms = static_cast<int>(number);
    else if (key == "drop") spec.drop = number;
    else if (key == "offset_mismatch_200") spec.offset_mismatch_200 = number != 0;
    else if (key == "commit_each_ms") spec.commit_each_ms = static_cast<int>(number);
    else return Bad("unknown key \"" + key + "\"");
  }
  if (spec.error500 + spec.error503 + spec.error429 + spec.reset_before + spec.reset_after + spec.truncate > 1.0) {
    return Bad("the rates add up to more than 1");
  }
  return spec;
}

bool FaultInjector::DrawDrop() {
  if (spec_.drop <= 0) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < spec_.drop;
}

FaultInjector::Decision FaultInjector::Next() {
  std::lock_guard<std::mutex> lock(mutex_);
  Decision decision;
  decision.request = ++requests_;
  decision.latency_ms = spec_.latency_ms;
  // The random draw happens for every request, scheduled or not, so that
  // adding a scheduled fault does not change which requests the seed hits.
  const double x = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  auto scheduled = spec_.at.find(decision.request);
  if (scheduled != spec_.at.end()) {
    decision.fault = scheduled->second.fault;
    if (decision.fault == Fault::kLatency) decision.latency_ms = scheduled->second.latency_ms;
    return decision;
  }
  double edge = 0;
  const std::pair<double, Fault> table[] = {{spec_.error500, Fault::kError500},        {spec_.error503, Fault::kError503},
                                            {spec_.error429, Fault::kError429},        {spec_.reset_before, Fault::kResetBefore},
                                            {spec_.reset_after, Fault::kResetAfter},   {spec_.truncate, Fault::kTruncate}};
  for (const auto& [rate, fault] : table) {
    edge += rate;
    if (x < edge) {
      decision.fault = fault;
      break;
    }
  }
  return decision;
}

}  // namespace holdfast::server
