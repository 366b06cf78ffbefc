// secret.h — a move-only string for passwords and client secrets.
//
// Why: secrets must never reach logs, history or error messages, and copies
// must be wiped before their memory is freed. Secret has no operator<<, no
// implicit conversion and no copy; its buffer is cleansed (OPENSSL_cleanse)
// on destruction and on move-from.
// Thread-safety: a value type; not shared.
#pragma once

#include <string>
#include <string_view>

namespace idb {

class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string_view value);
  ~Secret();
  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;

  // Deliberately verbose name: every read of a secret is greppable.
  std::string_view expose() const { return value_; }
  bool empty() const { return value_.empty(); }
  size_t size() const { return value_.size(); }

 private:
  void Wipe();
  std::string value_;
};

}  // namespace idb
