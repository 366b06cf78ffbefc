#include "oidc/token_validator.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string_view>

#include <cjose/base64.h>
#include <cjose/util.h>

#include "common/names.h"

namespace idb::oidc {
namespace {

constexpr const char* kOverageAdvice =
    "Entra ID sent a groups overage (_claim_names instead of groups): the user is in more groups than fit "
    "in a token. In the app registration set groupMembershipClaims to ApplicationGroup (emit only groups "
    "assigned to the application) or use app roles with groups_claim: roles. idbridge does not call "
    "Microsoft Graph.";

int64_t Seconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

bool IsBase64UrlChar(unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; }

// A printable, bounded copy of attacker-controlled text for detail strings.
std::string Printable(const std::string& s, size_t max = 64) {
  std::string out;
  for (unsigned char c : s.substr(0, max)) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  if (s.size() > max) out += "...";
  return out;
}

// The claim at a dotted path ("realm_access.roles"); nullptr when absent.
const nlohmann::json* AtPath(const nlohmann::json& obj, const std::string& path) {
  const nlohmann::json* cur = &obj;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    if (dot == std::string::npos) return cur;
    start = dot + 1;
  }
}

std::vector<std::string> AsStrings(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_string()) {
    out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  } else if (!v.is_null()) {
    out.push_back(v.dump());
  }
  return out;
}

// A NumericDate (RFC 7519) as whole seconds, only within [0, year 9999]: huge
// or non-finite values would overflow the arithmetic below.
bool NumericDate(const nlohmann::json& v, int64_t* out) {
  constexpr int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (v.is_number_integer()) {
    if (v.is_number_unsigned() ? v.get<uint64_t>() > static_cast<uint64_t>(kMax) : (v.get<int64_t>() < 0 || v.get<int64_t>() > kMax))
      return false;
    *out = v.get<int64_t>();
    return true;
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!(d >= 0 && d <= static_cast<double>(kMax))) return false;  // also refuses NaN
    *out = static_cast<int64_t>(d);
    return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// aud as a list (RFC 7519 §4.1.3: a string or an array of strings). False when
// aud is absent, empty, or holds anything but strings.
bool AudienceList(const nlohmann::json& payload, std::vector<std::string>* out) {
  auto aud = payload.find("aud");
  if (aud == payload.end()) return false;
  if (aud->is_string()) {
    out->push_back(aud->get<std::string>());
  } else if (aud->is_array()) {
    for (const auto& a : *aud) {
      if (!a.is_string()) return false;
      out->push_back(a.get<std::string>());
    }
  } else {
    return false;
  }
  return !out->empty();
}

// The header's typ, lower-case ("" when absent; "?" when not a string).
std::string HeaderTyp(const nlohmann::json& header) {
  if (!header.is_object() || !header.contains("typ")) return "";
  if (!header["typ"].is_string()) return "?";
  std::string typ = header["typ"].get<std::string>();
  std::transform(typ.begin(), typ.end(), typ.begin(), [](unsigned char c) { return std::tolower(c); });
  return typ;
}

bool IsAtJwt(const std::string& typ) { return typ == "at+jwt" || typ == "application/at+jwt"; }

// The token type rules (RFC 9068 §4; RFC 8725 §3.11 explicit typing).
std::optional<OidcFailure> CheckTokenType(const OidcProviderConfig& config, const nlohmann::json& header, TokenKind kind) {
  if (kind != TokenKind::kIdToken && !config.access_tokens)
    return OidcFailure{OidcError::kWrongTokenType, "access-token logins are off for this provider (access_tokens: false)", ""};
  if (kind == TokenKind::kIntrospectedAccessToken) return std::nullopt;  // no JOSE header
  const std::string typ = HeaderTyp(header);
  if (kind == TokenKind::kIdToken) {
    if (IsAtJwt(typ))
      return OidcFailure{OidcError::kWrongTokenType, "an access token (typ at+jwt) was given where an ID token was expected", ""};
    if (!typ.empty() && typ != "jwt")
      return OidcFailure{OidcError::kWrongTokenType, "ID token with header typ '" + Printable(typ) + "' (only JWT or none)", ""};
    return std::nullopt;
  }
  if (config.access_token_typ_required && !IsAtJwt(typ))
    return OidcFailure{OidcError::kWrongTokenType, "access token without header typ at+jwt (RFC 9068; access_token_typ_required)", ""};
  if (!IsAtJwt(typ) && !typ.empty() && typ != "jwt")
    return OidcFailure{OidcError::kWrongTokenType, "access token with header typ '" + Printable(typ) + "'", ""};
  return std::nullopt;
}

// OpenID Connect Core 3.1.3.7 steps 3-5, strictly: aud names client_id, every
// other audience is trusted (id_token_extra_audiences), several audiences
// need azp, and azp is always client_id.
std::optional<OidcFailure> CheckIdTokenAudience(const OidcProviderConfig& config, const nlohmann::json& payload,
                                                const std::vector<std::string>& auds) {
  if (!Contains(auds, config.client_id))
    return OidcFailure{OidcError::kWrongAudience, "ID token audience does not name client_id '" + config.client_id + "'", ""};
  for (const auto& a : auds)
    if (a != config.client_id && !Contains(config.id_token_extra_audiences, a))
      return OidcFailure{OidcError::kWrongAudience,
                         "ID token also names audience '" + Printable(a) + "', which is not in id_token_extra_audiences", ""};
  auto azp = payload.find("azp");
  if (azp != payload.end()) {
    if (!azp->is_string()) return OidcFailure{OidcError::kWrongAudience, "ID token azp is not a string", ""};
    if (azp->get<std::string>() != config.client_id)
      return OidcFailure{OidcError::kWrongAudience,
                         "ID token azp '" + Printable(azp->get<std::string>()) + "' names another client", ""};
  } else if (auds.size() > 1) {
    return OidcFailure{OidcError::kWrongAudience, "ID token with several audiences and no azp", ""};
  }
  return std::nullopt;
}

// RFC 9068 §4: aud names one of the configured resource identifiers (never
// client_id by default); azp / client_id, when present, are strings and, with
// authorized_parties, listed there (and then at least one is present).
std::optional<OidcFailure> CheckAccessTokenAudience(const OidcProviderConfig& config, const nlohmann::json& payload,
                                                    const std::vector<std::string>& auds) {
  bool any = false;
  for (const auto& a : config.audiences) any = any || Contains(auds, a);
  if (!any)
    return OidcFailure{OidcError::kWrongAudience, "access token audience names none of the configured audiences", ""};
  bool named = false;
  for (const char* claim : {"azp", "client_id"}) {
    auto v = payload.find(claim);
    if (v == payload.end()) continue;
    if (!v->is_string()) return OidcFailure{OidcError::kWrongAudience, std::string("access token ") + claim + " is not a string", ""};
    named = true;
    if (!config.authorized_parties.empty() && !Contains(config.authorized_parties, v->get<std::string>()))
      return OidcFailure{OidcError::kWrongAudience, std::string("access token ") + claim + " '" +
                                                         Printable(v->get<std::string>()) + "' is not in authorized_parties", ""};
  }
  if (!named && !config.authorized_parties.empty())
    return OidcFailure{OidcError::kWrongAudience, "access token names no client (azp / client_id) and authorized_parties is set", ""};
  return std::nullopt;
}

// RFC 7518 §3.4: an ECDSA JWS signature is R‖S, each exactly the curve's size.
size_t EcSignatureBytes(const std::string& alg) {
  if (alg == "ES256") return 64;
  if (alg == "ES384") return 96;
  if (alg == "ES512") return 132;
  return 0;
}

const char* EcCurveFor(const std::string& alg) {
  if (alg == "ES256") return "P-256";
  if (alg == "ES384") return "P-384";
  if (alg == "ES512") return "P-521";
  return "";
}

// Length of the signature segment's bytes, when it is canonical base64url
// (no padding, no stray bits: one signature has one spelling).
std::optional<size_t> DecodedSignatureLength(std::string_view b64) {
  if (b64.size() % 4 == 1) return std::nullopt;
  uint8_t* raw = nullptr;
  size_t raw_len = 0;
  cjose_err err;
  if (!cjose_base64url_decode(b64.data(), b64.size(), &raw, &raw_len, &err)) return std::nullopt;
  char* again = nullptr;
  size_t again_len = 0;
  bool ok = cjose_base64url_encode(raw, raw_len, &again, &again_len, &err);
  ok = ok && std::string_view(again, again_len) == b64;
  cjose_get_dealloc()(raw);
  if (again != nullptr) cjose_get_dealloc()(again);
  if (!ok) return std::nullopt;
  return raw_len;
}

}  // namespace

const char* TokenKindName(TokenKind k) {
  switch (k) {
    case TokenKind::kIdToken: return "id_token";
    case TokenKind::kAccessToken: return "access_token";
    case TokenKind::kIntrospectedAccessToken: return "introspected_access_token";
  }
  return "unknown";
}

OidcResult<nlohmann::json> DecodeJwsHeader(std::string_view token, size_t max_bytes) {
  if (token.size() > max_bytes)
    return OidcFailure{OidcError::kTooLarge,
                       "token of " + std::to_string(token.size()) + " bytes exceeds max_token_bytes " + std::to_string(max_bytes), ""};
  if (token.empty()) return OidcFailure{OidcError::kMalformed, "empty token", ""};
  size_t dots = 0;
  for (unsigned char c : token) {
    if (c == '.') {
      ++dots;
    } else if (!IsBase64UrlChar(c)) {
      return OidcFailure{OidcError::kMalformed,
                         c == 0 ? "token contains a NUL byte" : "token contains characters outside base64url", ""};
    }
  }
  if (dots == 4) return OidcFailure{OidcError::kMalformed, "encrypted (JWE) tokens are not supported", ""};
  if (dots != 2) return OidcFailure{OidcError::kMalformed, "not a compact JWS (header.payload.signature)", ""};
  size_t d1 = token.find('.');
  size_t d2 = token.find('.', d1 + 1);
  if (d1 == 0 || d2 == d1 + 1) return OidcFailure{OidcError::kMalformed, "empty JWS header or payload", ""};
  std::string_view h = token.substr(0, d1);
  uint8_t* raw = nullptr;
  size_t raw_len = 0;
  cjose_err err;
  if (!cjose_base64url_decode(h.data(), h.size(), &raw, &raw_len, &err))
    return OidcFailure{OidcError::kMalformed, "JWS header is not base64url", ""};
  std::string text(reinterpret_cast<const char*>(raw), raw_len);
  cjose_get_dealloc()(raw);
  nlohmann::json header = nlohmann::json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object())
    return OidcFailure{OidcError::kMalformed, "JWS header is not a JSON object", ""};
  return header;
}

OidcResult<ValidatedToken> CheckClaims(const OidcProviderConfig& config, const nlohmann::json& header,
                                       const nlohmann::json& payload, TokenKind kind, SystemTime now,
                                       const std::string* expected_nonce) {
  if (!payload.is_object()) return OidcFailure{OidcError::kMalformed, "payload is not a JSON object", ""};
  const int64_t now_s = Seconds(now);
  const int64_t leeway = config.leeway.count();

  // iss: exact match (liboauth2's own iss option is unusable).
  auto iss = payload.find("iss");
  if (iss == payload.end() || !iss->is_string())
    return OidcFailure{OidcError::kWrongIssuer, "token has no iss claim", ""};
  if (iss->get<std::string>() != config.issuer)
    return OidcFailure{OidcError::kWrongIssuer,
                       "issuer '" + Printable(iss->get<std::string>(), 128) + "' is not '" + config.issuer + "'", ""};

  // Token type before audience: an access token is never judged as an ID token.
  if (auto bad = CheckTokenType(config, header, kind)) return *bad;

  // aud / azp (liboauth2 checks neither).
  std::vector<std::string> auds;
  if (!AudienceList(payload, &auds))
    return OidcFailure{OidcError::kWrongAudience, "token has no aud claim, or aud is not a string or a list of strings", ""};
  if (auto bad = kind == TokenKind::kIdToken ? CheckIdTokenAudience(config, payload, auds)
                                             : CheckAccessTokenAudience(config, payload, auds))
    return *bad;

  // exp (required), nbf, iat — on every call, cache hit or not.
  auto exp = payload.find("exp");
  int64_t exp_s = 0;
  if (exp == payload.end() || !NumericDate(*exp, &exp_s))
    return OidcFailure{OidcError::kMalformed, "token has no valid numeric exp claim", ""};
  if (now_s >= exp_s + leeway)
    return OidcFailure{OidcError::kExpired, "token expired " + std::to_string(now_s - exp_s) + " s ago (leeway " +
                                                std::to_string(leeway) + " s)", ""};
  auto nbf = payload.find("nbf");
  if (nbf != payload.end()) {
    int64_t nbf_s = 0;
    if (!NumericDate(*nbf, &nbf_s)) return OidcFailure{OidcError::kMalformed, "nbf is not a valid NumericDate", ""};
    if (now_s + leeway < nbf_s)
      return OidcFailure{OidcError::kNotYetValid, "token not valid before " + std::to_string(nbf_s - now_s) + " s from now", ""};
  }
  auto iat = payload.find("iat");
  if (iat != payload.end()) {
    int64_t iat_s = 0;
    if (!NumericDate(*iat, &iat_s)) return OidcFailure{OidcError::kMalformed, "iat is not a valid NumericDate", ""};
    if (iat_s > now_s + leeway)
      return OidcFailure{OidcError::kNotYetValid, "token issued " + std::to_string(iat_s - now_s) + " s in the future", ""};
  }

  if (expected_nonce != nullptr) {
    auto nonce = payload.find("nonce");
    if (nonce == payload.end() || !nonce->is_string() || nonce->get<std::string>() != *expected_nonce)
      return OidcFailure{OidcError::kNonceMismatch, "ID token nonce does not match the login's nonce", ""};
  }

  ValidatedToken out;
  out.expires = SystemTime(std::chrono::seconds(exp_s));
  const nlohmann::json* user = AtPath(payload, config.username_claim);
  if (user == nullptr || !user->is_string() || user->get<std::string>().empty())
    return OidcFailure{OidcError::kMissingUserName, "token has no usable '" + config.username_claim + "' claim for the user name", ""};
  // The store's own rule (common/names.h): a name it would refuse never gets a session.
  if (Status s = ValidateUserName(user->get<std::string>()); !s.ok())
    return OidcFailure{OidcError::kInvalidUserName, "claim '" + config.username_claim + "': " + s.message(), ""};
  out.identity.user = user->get<std::string>();
  out.identity.source = "oidc:" + config.name;

  // Groups: Entra overage first (never read as "no groups").
  std::string top = config.groups_claim.substr(0, config.groups_claim.find('.'));
  auto names = payload.find("_claim_names");
  if ((names != payload.end() && names->is_object() && (names->contains(top) || names->contains("groups"))) ||
      (payload.contains("hasgroups") && payload["hasgroups"] == true))
    return OidcFailure{OidcError::kGroupsOverage, "groups overage: the token refers to groups by _claim_names instead of listing them",
                       kOverageAdvice};
  const nlohmann::json* groups = AtPath(payload, config.groups_claim);
  if (groups == nullptr || groups->is_null()) {
    if (config.groups_required)
      return OidcFailure{OidcError::kMissingGroups, "token has no '" + config.groups_claim + "' claim and groups_required is set", ""};
  } else {
    bool valid = groups->is_string() || groups->is_array();
    if (groups->is_array())
      for (const auto& g : *groups) valid = valid && g.is_string();
    if (!valid)
      return OidcFailure{OidcError::kMissingGroups, "claim '" + config.groups_claim + "' is not a list of strings", ""};
    for (const auto& g : AsStrings(*groups)) {
      DirectoryGroup dg;
      dg.cn = g;
      out.identity.groups.push_back(std::move(dg));
    }
  }
  if (payload.contains("sub")) out.identity.claims["sub"] = AsStrings(payload["sub"]);
  for (const auto& name : config.claims)
    if (const nlohmann::json* v = AtPath(payload, name)) out.identity.claims[name] = AsStrings(*v);
  out.claims = payload;
  return out;
}

TokenValidator::TokenValidator(OidcProviderConfig config, std::shared_ptr<JwksCache> keys)
    : config_(std::move(config)), keys_(std::move(keys)) {}

OidcResult<ValidatedToken> TokenValidator::Validate(std::string_view token, TokenKind kind, SystemTime now,
                                                    const std::string* expected_nonce) const {
  if (kind == TokenKind::kIntrospectedAccessToken)  // that kind has no JWS; its typ rule would be skipped
    return OidcFailure{OidcError::kInternal, "Validate() called for an introspected token", ""};
  try {
    auto header = DecodeJwsHeader(token, config_.max_token_bytes);
    if (!header.ok()) return header.failure();
    const nlohmann::json& h = header.value();
    if (!h.contains("alg") || !h["alg"].is_string()) return OidcFailure{OidcError::kMalformed, "JWS header has no alg", ""};
    std::string alg = h["alg"].get<std::string>();
    std::string lower = alg;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "none") return OidcFailure{OidcError::kAlgNone, "unsigned token (alg none) refused", ""};
    if (lower.rfind("hs", 0) == 0)
      return OidcFailure{OidcError::kHmacRefused,
                         alg + " token refused: this provider signs with public keys, and an HMAC token could be forged with them", ""};
    if (std::find(config_.allowed_algs.begin(), config_.allowed_algs.end(), alg) == config_.allowed_algs.end())
      return OidcFailure{OidcError::kAlgNotAllowed, "algorithm '" + Printable(alg) + "' is not in allowed_algs", ""};
    if (h.contains("crit")) return OidcFailure{OidcError::kMalformed, "JWS header with crit extensions refused", ""};
    if (token.back() == '.') return OidcFailure{OidcError::kBadSignature, "token has an empty signature", ""};
    std::string kid;
    if (h.contains("kid")) {
      if (!h["kid"].is_string() || h["kid"].get<std::string>().size() > 256)
        return OidcFailure{OidcError::kMalformed, "JWS kid is not a short string", ""};
      kid = h["kid"].get<std::string>();
    }
    // The signature's exact encoding and length, before any key is tried:
    // cjose splits an ECDSA signature in two halves of any length, so R‖S with
    // padded or extra bytes would verify (RFC 7518 §3.4 fixes the length).
    const std::string_view sig_text = token.substr(token.rfind('.') + 1);
    auto sig_len = DecodedSignatureLength(sig_text);
    if (!sig_len) return OidcFailure{OidcError::kMalformed, "JWS signature is not canonical base64url", ""};
    if (size_t want = EcSignatureBytes(alg); want != 0 && *sig_len != want)
      return OidcFailure{OidcError::kBadSignature, alg + " signature is " + std::to_string(*sig_len) +
                                                       " bytes; RFC 7518 requires exactly " + std::to_string(want) + " (R||S)", ""};
    std::string kty = alg.rfind("ES", 0) == 0 ? "EC" : "RSA";
    auto keys = keys_->Find(kid, kty, now);
    if (!keys.ok()) return keys.failure();
    std::string text(token);
    std::optional<nlohmann::json> payload;
    std::string why = "signature does not verify with the provider's key '" + Printable(kid) + "'";
    for (const auto& key : keys.value()) {
      if (!key->alg.empty() && key->alg != alg) continue;
      if (kty == "EC" && key->crv != EcCurveFor(alg)) {
        why = alg + " needs a " + EcCurveFor(alg) + " key; key '" + Printable(key->kid) + "' is " + Printable(key->crv);
        continue;
      }
      if (kty == "RSA" && *sig_len != key->signature_bytes) {
        why = "RSA signature is " + std::to_string(*sig_len) + " bytes; key '" + Printable(key->kid) + "' needs exactly " +
              std::to_string(key->signature_bytes);
        continue;
      }
      payload = VerifyWithLiboauth2(key->verify.get(), text);
      if (payload) break;
    }
    if (!payload) return OidcFailure{OidcError::kBadSignature, why, ""};
    return CheckClaims(config_, h, *payload, kind, now, expected_nonce);
  } catch (const std::exception& e) {
    return OidcFailure{OidcError::kInternal, std::string("token validation failed: ") + e.what(), ""};
  }
}

}  // namespace idb::oidc
