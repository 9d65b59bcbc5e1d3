// Desktop notifications (the freedesktop.org Notifications D-Bus interface,
// which GNOME, KDE and phone shells such as Phosh show) on the user's session
// bus, through libsystemd's sd-bus. Used by the agent for alerts a user must
// see (a suspected loss on the device, a recovery that could not finish).
// Thread-safe (each call opens its own bus connection).
#pragma once

#include <cstdint>
#include <string>

#include "platform/status.h"

namespace holdfast::platform {

// Shows one notification (app name "Holdfast", critical urgency when
// `critical`) and returns the id the notification server gave it.
// Errors: kNotFound when there is no session bus or no notification server
// on it (the caller then uses its fallback), kIoError for a failed call.
// Waits at most `timeout_ms` for the server.
Result<uint32_t> ShowDesktopNotification(const std::string& summary, const std::string& body, bool critical,
                                         int64_t timeout_ms = 5000);

}  // namespace holdfast::platform
