// The CLI's exit statuses, one per family of ErrorCode (docs/errors.md
// lists them with what the user should do next).
#pragma once

#include "platform/status.h"

namespace holdfast::agent {

inline constexpr int kExitOk = 0;
inline constexpr int kExitDamage = 1;         // verify found damage
inline constexpr int kExitUsage = 2;          // bad command line
inline constexpr int kExitNotFound = 3;       // no vault, missing file or folder
inline constexpr int kExitLocked = 4;         // another process holds the vault
inline constexpr int kExitBadVault = 5;       // not a vault, or a damaged one
inline constexpr int kExitTooNew = 6;         // vault from a newer Holdfast
inline constexpr int kExitIo = 7;             // I/O error, disk full, permission
inline constexpr int kExitBadInput = 8;       // malformed input file
inline constexpr int kExitAttention = 9;      // done, but a source was not captured or a loss is suspected
inline constexpr int kExitRemote = 10;        // a server unreachable or failing; try again later
inline constexpr int kExitRemoteRefused = 11; // a server refused the token or its certificate was refused
inline constexpr int kExitCancelled = 12;     // stopped at a safe point before the end; the next run goes on
inline constexpr int kExitInternal = 70;      // a bug in Holdfast

int ExitCodeFor(ErrorCode code);

// A line of advice for the user, or "" when the message says it all.
const char* HintFor(ErrorCode code);

}  // namespace holdfast::agent
