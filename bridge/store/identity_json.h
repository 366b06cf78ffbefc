// identity_json.h — Identity <-> JSON, for the store's last-known identities.
//
// Why: `idbridgectl diff` re-evaluates every known user under a new mapping;
// the store keeps each user's groups and claims from the last successful
// login as one JSON document (never a password: Identity has none).
// Form: {"user","source","groups":[{"dn","cn","sid","via":[..]}],"claims":{"k":[..]}}
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/result.h"
#include "core/identity.h"

namespace idb::store {

std::string IdentityToJson(const Identity& identity);
// kDataLoss for text that is not the form above (a damaged store row).
Result<Identity> IdentityFromJson(const std::string& text);

}  // namespace idb::store
