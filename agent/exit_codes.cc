#include "agent/exit_codes.h"

namespace holdfast::agent {

int ExitCodeFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return kExitOk;
    case ErrorCode::kDamageFound: return kExitDamage;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kAlreadyExists: return kExitUsage;
    case ErrorCode::kNotFound: return kExitNotFound;
    case ErrorCode::kVaultLocked: return kExitLocked;
    case ErrorCode::kNotAVault:
    case ErrorCode::kCorruptVault: return kExitBadVault;
    case ErrorCode::kVaultTooNew: return kExitTooNew;
    case ErrorCode::kPermission:
    case ErrorCode::kIoError:
    case ErrorCode::kNoSpace: return kExitIo;
    case ErrorCode::kMalformedInput: return kExitBadInput;
    case ErrorCode::kNetwork:
    case ErrorCode::kServerError: return kExitRemote;
    case ErrorCode::kTlsFailure:
    case ErrorCode::kAuthFailed: return kExitRemoteRefused;
    case ErrorCode::kCancelled: return kExitCancelled;
    case ErrorCode::kInternal: return kExitInternal;
  }
  return kExitInternal;
}

const char* HintFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kVaultLocked:
      return "wait for the other holdfast process to finish; the vault is safe";
    case ErrorCode::kNotAVault:
      return "check the --vault path: it points at a file Holdfast did not create";
    case ErrorCode::kCorruptVault:
      return "keep a copy of the file and its -wal file; if the vault cannot be opened, move it aside, "
             "`holdfast init` a new one, `holdfast import` your latest export archive and capture again";
    case ErrorCode::kVaultTooNew:
      return "install the Holdfast version that wrote this vault, or a newer one";
    case ErrorCode::kNoSpace:
      return "free some space; nothing acknowledged was lost, run the command again afterwards";
    case ErrorCode::kNetwork:
      return "check the network and the remote's URL; nothing was lost: run the push again later";
    case ErrorCode::kServerError:
      return "the server is failing; nothing acknowledged is lost: run the push again later, or tell its operator";
    case ErrorCode::kTlsFailure:
      return "the server's certificate was refused: check the URL, the clock, and --ca-file of the remote";
    case ErrorCode::kAuthFailed:
      return "check the remote's token file (readable by you only) and account name";
    case ErrorCode::kCancelled:
      return "nothing is lost: what was done is kept, and the next run goes on from there";
    case ErrorCode::kInternal:
      return "this is a bug in Holdfast: please report it with the message above";
    default:
      return "";
  }
}

}  // namespace holdfast::agent
