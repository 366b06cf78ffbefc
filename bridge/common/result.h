// result.h — errors as values for every layer of idbridge.
//
// Why: exceptions never travel on the request path or across the plugin ABI
// (STYLE.md). Every fallible function returns a Status or a Result<T>, whose
// ErrorCode keeps the same distinctions the wire protocol and the C ABI keep
// (unauthenticated is not unavailable, unavailable is never "allowed").
// Thread-safety: value types, no shared state.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace idb {

// Internal error kinds. Append-only; the daemon maps them to HTTP statuses and
// the plugin to idb_status codes.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // caller's input is malformed
  kNotFound,            // a named thing does not exist
  kAlreadyExists,
  kFailedPrecondition,  // state does not allow the operation
  kUnauthenticated,     // credentials refused
  kPermissionDenied,    // authenticated but not allowed
  kUnavailable,         // a dependency (directory, daemon, store) cannot be reached
  kDeadlineExceeded,    // timeout
  kDataLoss,            // corrupted store, tampered log
  kInternal,            // a bug or an unexpected library failure
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: message" — for logs and CLI output.
  std::string ToString() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {ErrorCode::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
inline Status Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {ErrorCode::kDeadlineExceeded, std::move(m)}; }
inline Status DataLoss(std::string m) { return {ErrorCode::kDataLoss, std::move(m)}; }
inline Status Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Result<T>: either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }  // NOLINT

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace idb

// Early return on error: IDB_RETURN_IF_ERROR(DoThing());
#define IDB_RETURN_IF_ERROR(expr)            \
  do {                                        \
    ::idb::Status idb_status_ = (expr);       \
    if (!idb_status_.ok()) return idb_status_; \
  } while (0)
