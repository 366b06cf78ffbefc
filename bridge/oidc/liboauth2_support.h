// liboauth2_support.h — RAII and process-wide setup for liboauth2 + jansson.
//
// Why: liboauth2 is plain C (oauth2_cfg_token_verify_t*, json_t*, char* errors)
// and keeps process-global state (its log and its named caches). This file is
// the only place that touches those handles' lifetimes, and it routes
// liboauth2's log to a sink that DISCARDS messages: at several levels liboauth2
// prints whole tokens (they are its cache keys), so nothing it says may reach
// our logs. Our own errors carry the precise reasons instead.
// jansson values are converted to nlohmann::json right here, at the edge.
// Thread-safety: Oauth2Log() and CreateResultCache() are safe from any thread
// (call_once / mutex). A VerifyHandle is used concurrently by Verify() callers:
// liboauth2's shm cache locks itself; the verification context is only read
// (measured with 4 threads, see docs/notes; not documented upstream).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

struct oauth2_log_t;
struct oauth2_cfg_token_verify_t;
typedef struct json_t json_t;

namespace idb::oidc {

// The process-wide liboauth2 log (discarding sink, level ERROR).
oauth2_log_t* Oauth2Log();

struct VerifyDeleter {
  void operator()(oauth2_cfg_token_verify_t* v) const;
};
using VerifyHandle = std::unique_ptr<oauth2_cfg_token_verify_t, VerifyDeleter>;

struct JsonDeleter {
  void operator()(json_t* j) const;
};
using JsonHandle = std::unique_ptr<json_t, JsonDeleter>;

// Registers a new named liboauth2 shm cache for verified-token results and
// returns its name ("" when creation failed; the verifier then uses none).
// `entries` slots of 4 KiB each.
std::string CreateResultCache(size_t entries);

// A verification context for one public JWK (JSON text). `cache_name` and
// `cache_seconds` configure liboauth2's result cache; exp/iat/iss checks of
// liboauth2 are switched off (we check every claim ourselves, with an
// injected clock). Returns nullopt and sets *error when liboauth2 refuses the key.
VerifyHandle MakeJwkVerifier(const std::string& jwk_json, const std::string& cache_name, long cache_seconds,
                             std::string* error);

// Signature check through liboauth2 (cjose underneath). Returns the payload
// on success; nullopt when the signature does not verify.
std::optional<nlohmann::json> VerifyWithLiboauth2(oauth2_cfg_token_verify_t* verify, const std::string& token);

// jansson → nlohmann (depth-limited to 64; deeper values become null).
nlohmann::json FromJansson(const json_t* value, int depth = 0);

}  // namespace idb::oidc
