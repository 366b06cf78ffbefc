#include "oidc/liboauth2_support.h"

#include <atomic>
#include <mutex>

#include <jansson.h>
// liboauth2's headers have no extern "C" guards.
extern "C" {
#include <oauth2/cache.h>
#include <oauth2/cfg.h>
#include <oauth2/log.h>
#include <oauth2/mem.h>
#include <oauth2/oauth2.h>
#include <oauth2/util.h>
}

namespace idb::oidc {
namespace {

void DiscardLog(oauth2_log_sink_t*, const char*, unsigned long, const char*, oauth2_log_level_t, const char*) {}

}  // namespace

oauth2_log_t* Oauth2Log() {
  static oauth2_log_t* log = [] {
    oauth2_log_sink_t* sink = oauth2_log_sink_create(OAUTH2_LOG_ERROR, DiscardLog, nullptr);
    return oauth2_init(OAUTH2_LOG_ERROR, sink);
  }();
  return log;
}

void VerifyDeleter::operator()(oauth2_cfg_token_verify_t* v) const {
  if (v != nullptr) oauth2_cfg_token_verify_free(Oauth2Log(), v);
}

void JsonDeleter::operator()(json_t* j) const {
  if (j != nullptr) json_decref(j);
}

std::string CreateResultCache(size_t entries) {
  static std::mutex mu;
  static std::atomic<unsigned> counter{0};
  std::lock_guard<std::mutex> lock(mu);
  std::string name = "idb-oidc-" + std::to_string(++counter);
  if (entries == 0) entries = 1;
  // Keys are SHA-256 hex of the token (liboauth2 hashes them); values are payloads.
  std::string options = "name=" + name + "&max_entries=" + std::to_string(entries) +
                        "&max_val_size=4096&max_key_size=64&encrypt=false";
  char* err = oauth2_cfg_set_cache(Oauth2Log(), nullptr, "shm", options.c_str());
  if (err != nullptr) {
    oauth2_mem_free(err);
    return "";
  }
  return name;
}

VerifyHandle MakeJwkVerifier(const std::string& jwk_json, const std::string& cache_name, long cache_seconds,
                             std::string* error) {
  oauth2_cfg_token_verify_t* verify = nullptr;
  std::string options = "verify.exp=skip&verify.iat=skip&verify.iss=skip&expiry=" +
                        std::to_string(cache_seconds < 0 ? 0 : cache_seconds);
  if (!cache_name.empty()) options += "&verify.cache=" + cache_name;
  char* err = oauth2_cfg_token_verify_add_options(Oauth2Log(), &verify, "jwk", jwk_json.c_str(), options.c_str());
  VerifyHandle handle(verify);
  if (err != nullptr) {
    if (error) *error = err;
    oauth2_mem_free(err);
    return nullptr;
  }
  if (!handle && error) *error = "liboauth2 returned no verification context";
  return handle;
}

std::optional<nlohmann::json> VerifyWithLiboauth2(oauth2_cfg_token_verify_t* verify, const std::string& token) {
  json_t* raw = nullptr;
  bool ok = oauth2_token_verify(Oauth2Log(), nullptr, verify, token.c_str(), &raw);
  JsonHandle payload(raw);
  if (!ok || !payload || !json_is_object(payload.get())) return std::nullopt;
  return FromJansson(payload.get());
}

nlohmann::json FromJansson(const json_t* value, int depth) {
  if (value == nullptr || depth > 64) return nullptr;
  switch (json_typeof(value)) {
    case JSON_OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      const char* key;
      json_t* v;
      json_object_foreach(const_cast<json_t*>(value), key, v) { out[key] = FromJansson(v, depth + 1); }
      return out;
    }
    case JSON_ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      size_t i;
      json_t* v;
      json_array_foreach(value, i, v) { out.push_back(FromJansson(v, depth + 1)); }
      return out;
    }
    case JSON_STRING: return std::string(json_string_value(value), json_string_length(value));
    case JSON_INTEGER: return static_cast<int64_t>(json_integer_value(value));
    case JSON_REAL: return json_real_value(value);
    case JSON_TRUE: return true;
    case JSON_FALSE: return false;
    case JSON_NULL: return nullptr;
  }
  return nullptr;
}

}  // namespace idb::oidc
