// pkce.h — random flow secrets and the PKCE S256 challenge (RFC 7636).
//
// Why: state, nonce, code_verifier and poll handles must be unguessable
// (OpenSSL RAND_bytes, 32 bytes → 43 base64url characters). The challenge is
// BASE64URL(SHA-256(verifier)), computed with OpenSSL and cjose's base64url.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/result.h"

namespace idb::oidc {

// `bytes` random bytes, base64url without padding. kInternal if the RNG fails.
Result<std::string> RandomUrlSafe(size_t bytes = 32);

// BASE64URL(SHA-256(ASCII(verifier))).
std::string PkceS256Challenge(const std::string& verifier);

}  // namespace idb::oidc
