// The background agent (`holdfast run`): keeps the vault up to date with the
// device and the remotes up to date with the vault, without anyone asking.
//
//   change on the device --inotify, debounced--> capture of that source
//   every rescan_interval_s, an inotify overflow, a mount change --> capture of all
//   after a capture that changed something --> push to every remote not in backoff
//   every check_interval_s (+-25% jitter), per remote --> check + push
//       (SyncEngine::Push: detection first; a loss, an operator's re-upload
//        whose slot has come, or an unfinished recovery turns it into a
//        recovery, verified by read-back)
//   a failure --> exponential backoff with full jitter, Retry-After obeyed
//
// A capture whose loss guard trips records no deletion (agent/device/capture.h);
// the agent raises an alert (agent/daemon/alerts.h) and goes on. What it does
// is kept in "<vault>.agent.json" (agent_state.h) for `holdfast status`.
//
// Threads: the calling thread waits on every event (inotify, signals, the
// control socket, timers) and never blocks on work; one worker thread at a
// time does the work (a capture or one remote's push) with the vault. The
// vault stays open, and locked, while the agent runs, except while it makes
// way for a command (platform/control_socket.h).
//
// Signals: SIGTERM and SIGINT stop the work at its next safe point (at most
// a few seconds, mid-transfer included) and end Run; SIGHUP reloads the
// config (a config with an error is reported and the old one kept). Under
// systemd (Type=notify) it reports readiness and pings the watchdog.
//
// Power: with nothing changing, it wakes only for its timers (the rescan,
// each remote's check, the watchdog's ping): no polling.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "platform/clock.h"
#include "platform/status.h"

namespace holdfast::agent {

struct AgentRunOptions {
  std::filesystem::path vault_path;
  std::filesystem::path config_path;
  const platform::Clock* clock = nullptr;
  // One line per event worth a log line (captures that changed something,
  // pushes, failures, alerts). Must not be empty.
  std::function<void(const std::string&)> log;
};

// Runs the agent until SIGTERM or SIGINT. Errors (at start only): the
// config's (kMalformedInput), the vault's (kNotFound: run `holdfast init`,
// kNotAVault, kCorruptVault, kVaultTooNew), kVaultLocked when another agent
// runs for this vault, kIoError when inotify or the control socket cannot be
// set up. Once running, failures are reported and retried, never returned.
Status RunAgent(const AgentRunOptions& options);

}  // namespace holdfast::agent
