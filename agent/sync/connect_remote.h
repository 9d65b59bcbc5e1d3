// The one place that picks a RemoteBackend for a configured remote, by its
// type: HoldfastBackend for the Holdfast protocol, DavBackend for DAV. Used
// by the CLI's commands and by the background agent alike.
#pragma once

#include <memory>

#include "agent/config.h"
#include "agent/sync/remote_backend.h"
#include "agent/sync/remote_client.h"

namespace holdfast::agent {

// Connects to `remote` (no request is sent yet). Errors: those of
// HoldfastBackend::Connect or DavBackend::Connect (a token or password file
// that is missing or unsafe, a URL the config does not allow).
Result<std::unique_ptr<RemoteBackend>> ConnectRemote(const RemoteConfig& remote, const RemoteOptions& options);

}  // namespace holdfast::agent
