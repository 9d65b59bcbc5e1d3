// The agent's control socket: how a command the user runs asks the running
// agent (`holdfast run`) to make way for it.
//
// A Unix stream socket in the abstract namespace (no file to leave behind or
// to clash with), named after the vault's canonical path, so one agent per
// vault listens. Only processes of the same user (or root) are accepted: the
// peer's uid is checked (SO_PEERCRED).
//
// The exchange (docs/agent.md): the command connects and sends "yield\n";
// the agent stops its work at the next safe point, closes the vault and
// answers "ok\n"; the command opens the vault and keeps the connection open
// while it works; the agent takes the vault back when the connection closes
// (the command ended, however it ended).
//
// Every descriptor is close-on-exec. Thread-compatible.
#pragma once

#include <filesystem>
#include <string>

#include "platform/status.h"
#include "platform/unique_fd.h"

namespace holdfast::platform {

// The socket's name for a vault: "holdfast-agent-" and 32 hex digits of the
// SHA-256 of its canonical path (the path as given when it does not exist).
std::string ControlSocketName(const std::filesystem::path& vault);

// Listens on `name` (non-blocking). Errors: kAlreadyExists when another
// process listens there (another agent for this vault); kIoError otherwise.
Result<UniqueFd> ListenControl(const std::string& name);

// Accepts one connection (non-blocking). Errors: kNotFound when none is
// waiting; kPermission when the peer is another user (its connection is
// closed); kIoError.
Result<UniqueFd> AcceptControl(int listen_fd);

// Connects to the agent listening on `name`. Errors: kNotFound when no agent
// listens; kIoError.
Result<UniqueFd> ConnectControl(const std::string& name);

// Asks the agent on `connection` to make way, waiting up to `timeout_ms` for
// its answer. Errors: kVaultLocked when it did not answer in time or closed
// the connection (the agent is stopping or busy), naming `name`.
Status AskToYield(int connection, int64_t timeout_ms);

}  // namespace holdfast::platform
