// How the agent's alerts reach the user: a desktop notification where the
// session has a notification server (GNOME, KDE, Phosh), the configured
// alert command otherwise (or also, when one is set), and always a line in
// the agent's log (the journal, under systemd).
// Not thread-safe; used by the agent's main thread.
#pragma once

#include <string>

#include "agent/config.h"
#include "agent/daemon/agent_state.h"

namespace holdfast::agent {

class AlertSender {
 public:
  explicit AlertSender(AgentSettings settings) : settings_(std::move(settings)) {}
  void set_settings(AgentSettings settings) { settings_ = std::move(settings); }

  // Shows `alert`; returns how: "desktop", "command", "desktop+command" or
  // "log". What failed on the way (no session bus, a command that could not
  // start) is appended to `problems` (one line each), never an error: the
  // log line is always written by the caller.
  std::string Send(const AgentAlert& alert, std::string* problems);

  // Collects the alert commands that have ended (no zombies). Call now and
  // then; it never waits.
  static void ReapCommands();

 private:
  AgentSettings settings_;
};

}  // namespace holdfast::agent
