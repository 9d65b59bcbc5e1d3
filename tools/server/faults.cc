#include "tools/server/faults.h"

#include <cstdlib>

namespace holdfast::server {

Result<FaultSpec> ParseFaultSpec(const std::string& text) {
  FaultSpec spec;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    const std::string pair = text.substr(pos, comma - pos);
    pos = comma + 1;
    const size_t eq = pair.find('=');
    if (eq == std::string::npos) return Status(ErrorCode::kInvalidArgument, "--faults: \"" + pair + "\" is not KEY=VALUE");
    const std::string key = pair.substr(0, eq);
    const std::string value = pair.substr(eq + 1);
    char* end = nullptr;
    const double number = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0' || number < 0) {
      return Status(ErrorCode::kInvalidArgument, "--faults: bad value for " + key + ": \"" + value + "\"");
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
    else return Status(ErrorCode::kInvalidArgument, "--faults: unknown key \"" + key + "\"");
  }
  if (spec.error500 + spec.error503 + spec.error429 + spec.reset_before + spec.reset_after + spec.truncate > 1.0) {
    return Status(ErrorCode::kInvalidArgument, "--faults: the rates add up to more than 1");
  }
  return spec;
}

bool FaultInjector::DrawDrop() {
  if (spec_.drop <= 0) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < spec_.drop;
}

Fault FaultInjector::Draw() {
  std::lock_guard<std::mutex> lock(mutex_);
  const double x = std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  double edge = 0;
  const std::pair<double, Fault> table[] = {{spec_.error500, Fault::kError500},        {spec_.error503, Fault::kError503},
                                            {spec_.error429, Fault::kError429},        {spec_.reset_before, Fault::kResetBefore},
                                            {spec_.reset_after, Fault::kResetAfter},   {spec_.truncate, Fault::kTruncate}};
  for (const auto& [rate, fault] : table) {
    edge += rate;
    if (x < edge) return fault;
  }
  return Fault::kNone;
}

}  // namespace holdfast::server
