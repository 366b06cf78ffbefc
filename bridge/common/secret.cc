#include "common/secret.h"

#include <openssl/crypto.h>

namespace idb {

Secret::Secret(std::string_view value) : value_(value) {}

Secret::~Secret() { Wipe(); }

Secret::Secret(Secret&& other) noexcept : value_(other.value_) { other.Wipe(); }

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    Wipe();
    value_ = other.value_;
    other.Wipe();
  }
  return *this;
}

void Secret::Wipe() {
  if (!value_.empty()) OPENSSL_cleanse(value_.data(), value_.size());
  // Also wipe spare capacity that may hold an older, longer value.
  if (value_.capacity() > value_.size()) {
    value_.resize(value_.capacity());
    OPENSSL_cleanse(value_.data(), value_.size());
  }
  value_.clear();
}

}  // namespace idb
