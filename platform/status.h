// Status and Result<T>: how every Holdfast layer reports failure.
//
// No exception crosses a module boundary. A function that can fail returns a
// Status (nothing else to give back) or a Result<T> (a value or a Status). A
// Status carries one code from ErrorCode, documented in docs/errors.md with the
// CLI exit status it maps to, and a message of the form "context: cause" that
// names what failed and where (a path, a line, a uid).
//
// Thread-safety: values; no shared state. Durability: none (in-memory only).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace holdfast {

// Every error the project reports. docs/errors.md lists each with its cause
// and what the user should do next; keep the two in step.
enum class ErrorCode : int {
  kOk = 0,
  kInvalidArgument,  // a caller or user passed something unusable
  kNotFound,         // a file, folder, vault or record does not exist
  kAlreadyExists,    // something to be created is already there
  kPermission,       // the OS refused access, or a file is too open
  kIoError,          // a read, write or sync failed
  kNoSpace,          // the disk is full (ENOSPC, SQLITE_FULL)
  kNotAVault,        // the file is not a Holdfast vault
  kCorruptVault,     // the vault file is damaged
  kVaultTooNew,      // written by a newer Holdfast: schema unknown here
  kVaultLocked,      // another process holds the vault
  kMalformedInput,   // a vCard, iCalendar, config or archive is malformed
  kDamageFound,      // verify found items or blobs whose bytes changed
  kNetwork,          // a server could not be reached, or the connection broke
  kTlsFailure,       // the server's certificate was not accepted
  kAuthFailed,       // the server refused the token (401, 403), or the token file is unsafe
  kServerError,      // the server kept failing (5xx), or answered outside the protocol
  kCancelled,        // long work stopped at a safe point: the agent was asked to stop or make way
  kInternal,         // a bug in Holdfast
};

// Stable lower-case name of a code, e.g. "vault-locked".
const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  Status(ErrorCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "vault-locked: /path/vault.db: vault is in use by process 42".
  std::string ToString() const;

  // The same error with "context: " put in front of the message.
  Status WithContext(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

// Maps an errno value to a Status: ENOSPC/EDQUOT -> kNoSpace, ENOENT/ENOTDIR
// -> kNotFound, EACCES/EPERM/EROFS -> kPermission, EEXIST -> kAlreadyExists,
// anything else -> kIoError. The message is "context: strerror(err)".
Status ErrnoStatus(std::string_view context, int err);

// A value or an error, with the member names of C++23 std::expected.
// A Result built from a Status must be given a non-OK one.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status error) : state_(std::move(error)) {}  // NOLINT

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // By value, so that `for (x : *f())` does not refer into a destroyed temporary.
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; only valid when !has_value().
  const Status& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace holdfast

// Returns the Status of `expr` from the enclosing function when it is not OK.
#define HF_RETURN_IF_ERROR(expr)                      \
  do {                                                \
    ::holdfast::Status hf_status_ = (expr);           \
    if (!hf_status_.ok()) return hf_status_;          \
  } while (false)
