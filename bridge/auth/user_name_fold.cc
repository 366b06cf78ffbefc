#include "auth/user_name_fold.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>
#include <unicode/ustring.h>

#include <climits>
#include <vector>

namespace idb {
namespace {

// ICU's own lazy initialisation of the instance is invisible to
// ThreadSanitizer (libicuuc is not instrumented); a function-local static
// makes the hand-over from the initialising thread explicit.
const icu::Normalizer2* NfkcCasefold() {
  static const icu::Normalizer2* const instance = [] {
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFKCCasefoldInstance(status);
    return U_FAILURE(status) ? nullptr : n;
  }();
  return instance;
}

}  // namespace

Result<std::string> FoldUserName(std::string_view name) {
  if (name.size() > INT32_MAX / 2) return InvalidArgument("user name too long to fold");
  // u_strFromUTF8 rejects malformed UTF-8 (UnicodeString::fromUTF8 would
  // silently substitute U+FFFD and fold two different names together).
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = 0;
  std::vector<UChar> utf16(name.size() + 1);
  u_strFromUTF8(utf16.data(), static_cast<int32_t>(utf16.size()), &length, name.data(),
                static_cast<int32_t>(name.size()), &status);
  if (U_FAILURE(status)) return InvalidArgument("user name is not valid UTF-8");
  const icu::Normalizer2* nfkc_cf = NfkcCasefold();
  if (nfkc_cf == nullptr) return Internal("ICU has no NFKC_Casefold data");
  icu::UnicodeString folded = nfkc_cf->normalize(icu::UnicodeString(utf16.data(), length), status);
  if (U_FAILURE(status)) return Internal(std::string("NFKC_Casefold failed: ") + u_errorName(status));
  std::string out;
  folded.toUTF8String(out);
  return out;
}

}  // namespace idb
