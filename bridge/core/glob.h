// glob.h — shell-style patterns for group names, sources and permission ids.
//
// Why: rules say `group_glob: "Depot *"`, `source: "oidc:*"` and
// `deny: ["*.delete"]`. Syntax: `*` any run, `?` one character, `[abc]`,
// `[a-z]`, `[!x]` classes, `\x` a literal x. Matching is linear-time-bounded
// (no exponential backtracking). A bad pattern (unterminated class, trailing
// backslash, empty pattern, empty class) is a validation error.
// Thread-safety: immutable after Compile.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace idb {

class Glob {
 public:
  // case_insensitive compares ASCII letters without case.
  [[nodiscard]] static Result<Glob> Compile(std::string_view pattern, bool case_insensitive);
  bool Matches(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }
  bool case_insensitive() const { return case_insensitive_; }
  // Literal text every match starts with (ASCII-folded when case-insensitive).
  const std::string& prefix() const { return prefix_; }
  // True when the pattern contains any of * ? [ (else it is a literal).
  static bool HasWildcards(std::string_view pattern);

 private:
  std::string pattern_;
  std::string prefix_;  // literal prefix (folded when case-insensitive): a cheap early reject
  bool case_insensitive_ = false;
};

}  // namespace idb
