// Seeded, reproducible misbehaviour of the reference server, for tests and
// benchmarks (docs/protocol.md, "--faults").
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include "platform/status.h"

namespace holdfast::server {

enum class Fault { kNone, kError500, kError503, kError429, kResetBefore, kResetAfter, kTruncate };

struct FaultSpec {
  uint64_t seed = 1;
  double error500 = 0, error503 = 0, error429 = 0;
  double reset_before = 0, reset_after = 0, truncate = 0;
  double drop = 0;  // per item of a batch: answered "stored" but not kept (a server that silently loses data)
  int latency_ms = 0;
};

// "seed=7,error500=0.05,reset_after=0.02,latency_ms=20"; empty gives no fault.
// Errors: kInvalidArgument naming the bad key or value.
Result<FaultSpec> ParseFaultSpec(const std::string& text);

// Draws one fault per request from a seeded generator. Thread-safe.
class FaultInjector {
 public:
  explicit FaultInjector(const FaultSpec& spec) : spec_(spec), rng_(spec.seed) {}
  Fault Draw();
  // Whether to drop this item silently (its own draw, per batch entry).
  bool DrawDrop();
  int latency_ms() const { return spec_.latency_ms; }

 private:
  FaultSpec spec_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
};

}  // namespace holdfast::server
