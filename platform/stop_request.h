// A process-wide request that long work stop at its next safe point.
//
// `holdfast run` asks for it when it gets SIGTERM or when a command the user
// runs beside it needs the vault; the work then ends with kCancelled:
//   - HttpClient::RunUntilIdle ends every transfer in flight and every queued
//     request with transport kCancelled (checked at least every 100 ms);
//   - a capture stops between files, keeping what it stored and recording no
//     deletion for the scan it did not finish;
//   - the waits of retries and backoff end early.
// Nothing is lost by stopping: each of those steps is durable on its own.
// Thread-safe and async-signal-safe (a lock-free atomic): a signal handler
// may call RequestStop.
#pragma once

#include <cstdint>

#include "platform/status.h"

namespace holdfast::platform {

// Asks running work to stop. Idempotent.
void RequestStop();
// Whether a stop was asked for and not cleared since.
bool StopRequested();
// Forgets the request (the agent does, once the work stopped).
void ClearStopRequest();

// The error long work returns when it stopped on request: kCancelled with
// "<what>: stopped on request; the next run goes on".
Status StoppedStatus(const char* what);

// Sleeps `duration_ms` (monotonic), waking early when a stop is requested.
// Returns false when it woke for a stop.
bool SleepUnlessStopped(int64_t duration_ms);

}  // namespace holdfast::platform
