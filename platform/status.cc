#include "platform/status.h"

#include <cerrno>
#include <cstring>

namespace holdfast {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid-argument";
    case ErrorCode::kNotFound: return "not-found";
    case ErrorCode::kAlreadyExists: return "already-exists";
    case ErrorCode::kPermission: return "permission";
    case ErrorCode::kIoError: return "io-error";
    case ErrorCode::kNoSpace: return "no-space";
    case ErrorCode::kNotAVault: return "not-a-vault";
    case ErrorCode::kCorruptVault: return "corrupt-vault";
    case ErrorCode::kVaultTooNew: return "vault-too-new";
    case ErrorCode::kVaultLocked: return "vault-locked";
    case ErrorCode::kMalformedInput: return "malformed-input";
    case ErrorCode::kDamageFound: return "damage-found";
    case ErrorCode::kNetwork: return "network-error";
    case ErrorCode::kTlsFailure: return "tls-failure";
    case ErrorCode::kAuthFailed: return "auth-failed";
    case ErrorCode::kServerError: return "server-error";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(ErrorCodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status ErrnoStatus(std::string_view context, int err) {
  ErrorCode code = ErrorCode::kIoError;
  switch (err) {
    case ENOSPC:
    case EDQUOT: code = ErrorCode::kNoSpace; break;
    case ENOENT:
    case ENOTDIR: code = ErrorCode::kNotFound; break;
    case EACCES:
    case EPERM:
    case EROFS: code = ErrorCode::kPermission; break;
    case EEXIST: code = ErrorCode::kAlreadyExists; break;
    default: break;
  }
  return Status(code, std::string(context) + ": " + std::strerror(err));
}

}  // namespace holdfast
