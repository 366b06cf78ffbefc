// user_name_fold.h — the one normal form of a typed user name, for keys that
// must not depend on how a name was spelled (the per-user login throttle).
//
// Why: `Mike`, `MIKE`, `ｍｉｋｅ` (full-width) and `mi\u0301ke`/`míke` are
// different byte strings that a directory may fold to the same entry; a
// throttle keyed on the bytes gives each spelling fresh guesses. The form is
// Unicode NFKC_Casefold (ICU's Normalizer2 "nfkc_cf": compatibility
// decomposition, case folding, recomposition, default-ignorables removed) —
// the mapping Unicode defines for caseless identifier matching.
// Thread-safety: pure function (ICU's normalizer instance is immutable).
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace idb {

// NFKC_Casefold of UTF-8 `name`. kInvalidArgument for malformed UTF-8.
Result<std::string> FoldUserName(std::string_view name);

}  // namespace idb
