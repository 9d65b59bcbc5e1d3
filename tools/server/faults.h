// Reproducible misbehaviour of the reference server, for tests and benchmarks
// (docs/protocol.md, "--faults"): faults drawn at random from a seed, and
// faults scheduled at given request numbers, so that a test can place each
// kind of fault at each request boundary of a push or a recovery.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <random>
#include <string>

#include "platform/status.h"

namespace holdfast::server {

enum class Fault {
  kNone,
  kError500,
  kError503,
  kError429,
  kResetBefore,  // the connection is closed before the request is processed: no byte of answer
  kResetAfter,   // processed (and committed), then the connection is closed: no byte of answer
  kTruncate,     // processed, then the answer is cut off halfway through its body
  kLatency,      // processed, answered whole, but late
  kDrop,         // every inline item of this batch answered "stored" but not kept
};

// The spec key of a fault kind ("error500", "reset_after", ...).
const char* FaultName(Fault fault);

// One scheduled fault: `fault` on the request numbered `at` (1 = the
// server's first request since it started, counting every protocol request).
struct ScheduledFault {
  Fault fault = Fault::kNone;
  int latency_ms = 0;  // kLatency only
};

struct FaultSpec {
  uint64_t seed = 1;
  double error500 = 0, error503 = 0, error429 = 0;
  double reset_before = 0, reset_after = 0, truncate = 0;
  double drop = 0;  // per item of a batch: answered "stored" but not kept (a server that silently loses data)
  int latency_ms = 0;
  // A broken rule rather than a transport fault, for the conformance suite's
  // negative control (tools/conformance): a blob chunk at the wrong offset is
  // answered 200 with what the server holds instead of 409 offset-mismatch.
  bool offset_mismatch_200 = false;
  // Breaks the all-or-nothing batch, for the server kill test's negative
  // control (tests/crash/server_kill_test.cc): each entry of a batch is
  // committed in a transaction of its own, this many ms apart (0: off).
  int commit_each_ms = 0;
  std::map<int64_t, ScheduledFault> at;  // by request number; replaces the random draw for that request
};

// "seed=7,error500=0.05,reset_after=0.02,latency_ms=20", and scheduled
// faults "at=N:KIND" (KIND one of error500 error503 error429 reset_before
// reset_after truncate drop latency:MS), repeatable; "offset_mismatch_200=1"
// and "commit_each_ms=N" break a protocol rule on every request. Empty gives
// no fault.
// Errors: kInvalidArgument naming the bad key or value.
Result<FaultSpec> ParseFaultSpec(const std::string& text);

// Numbers the requests and decides each one's fault: the scheduled one for
// its number, else a draw from the seeded generator. Thread-safe.
class FaultInjector {
 public:
  explicit FaultInjector(const FaultSpec& spec) : spec_(spec), rng_(spec.seed) {}
  struct Decision {
    int64_t request = 0;  // this request's number, from 1
    Fault fault = Fault::kNone;
    int latency_ms = 0;  // to wait before answering (the spec's latency_ms, or a scheduled kLatency's)
  };
  Decision Next();
  // Whether to drop this item silently (its own draw, per batch entry).
  bool DrawDrop();
  // Whether the spec breaks the 409 offset-mismatch rule (offset_mismatch_200).
  bool OffsetMismatchAnswers200() const { return spec_.offset_mismatch_200; }
  // The pause between entries committed one by one (commit_each_ms); 0: a
  // batch is one transaction, as it must be.
  int CommitEachMs() const { return spec_.commit_each_ms; }

 private:
  FaultSpec spec_;
  std::mutex mutex_;
  std::mt19937_64 rng_;
  int64_t requests_ = 0;
};

}  // namespace holdfast::server
