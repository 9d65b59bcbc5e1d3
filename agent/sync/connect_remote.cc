#include "agent/sync/connect_remote.h"

#include "agent/sync/dav_backend.h"
#include "agent/sync/holdfast_backend.h"

namespace holdfast::agent {

Result<std::unique_ptr<RemoteBackend>> ConnectRemote(const RemoteConfig& remote, const RemoteOptions& options) {
  if (remote.type == RemoteType::kDav) {
    Result<std::unique_ptr<DavBackend>> dav = DavBackend::Connect(remote, options);
    if (!dav) return dav.error();
    return std::unique_ptr<RemoteBackend>(std::move(*dav));
  }
  Result<std::unique_ptr<HoldfastBackend>> backend = HoldfastBackend::Connect(remote, options);
  if (!backend) return backend.error();
  return std::unique_ptr<RemoteBackend>(std::move(*backend));
}

}  // namespace holdfast::agent
