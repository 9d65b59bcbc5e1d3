// Talking to the service manager (systemd) that started the agent: readiness,
// the watchdog, a one-line status, and stopping (sd_notify(3), Type=notify).
// Outside systemd ($NOTIFY_SOCKET unset) every call does nothing.
// libsystemd is owned by platform/ (here and desktop_notification.cc).
// Thread-safe (each call is one datagram).
#pragma once

#include <cstdint>
#include <string>

namespace holdfast::platform {

// READY=1 with a STATUS= line.
void NotifyReady(const std::string& status);
// STATUS= only: what the agent does now (shown by `systemctl status`).
void NotifyStatus(const std::string& status);
// RELOADING=1 before a config reload, READY=1 after.
void NotifyReloading();
// STOPPING=1.
void NotifyStopping();
// WATCHDOG=1: the agent is alive.
void NotifyWatchdog();
// How often to ping the watchdog: half of WatchdogSec, or 0 when the service
// manager asked for no watchdog (or there is none).
int64_t WatchdogPingIntervalMs();

}  // namespace holdfast::platform
