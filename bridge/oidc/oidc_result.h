// oidc_result.h — OidcResult<T>: a value or an OidcFailure with its precise reason.
//
// Why: idb::Result<T> carries only an ErrorCode; OIDC callers (the daemon, the
// history) need the exact OidcError (expired vs wrong audience vs overage) and
// the administrator advice. ToStatus() converts at the boundary.
// Thread-safety: value type.
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "oidc/oidc_error.h"

namespace idb::oidc {

template <typename T>
class [[nodiscard]] OidcResult {
 public:
  OidcResult(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  OidcResult(OidcFailure failure) : v_(std::move(failure)) {}   // NOLINT
  OidcResult(OidcError error, std::string detail, std::string advice = "")
      : v_(OidcFailure{error, std::move(detail), std::move(advice)}) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  OidcError error() const { return ok() ? OidcError::kNone : std::get<OidcFailure>(v_).error; }
  const OidcFailure& failure() const { return std::get<OidcFailure>(v_); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &std::get<T>(v_); }
  const T* operator->() const { return &std::get<T>(v_); }
  Status ToStatus() const { return ok() ? Status::Ok() : failure().ToStatus(); }

 private:
  std::variant<T, OidcFailure> v_;
};

}  // namespace idb::oidc
