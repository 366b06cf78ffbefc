// args.h — command-line parsing for idbridgectl.
//
// Why: every command declares the options it takes; anything else is refused
// with a clear message (and a "did you mean" for typos) instead of being
// silently ignored. `--key value` and `--key=value` are both accepted;
// repeated options keep every value in order.
// Thread-safety: plain values.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace idb::ctl {

struct ArgSpec {
  std::set<std::string> value_options;  // e.g. {"config", "user", "group"}
  std::set<std::string> flags;          // e.g. {"json", "failed"}
};

class Args {
 public:
  static Result<Args> Parse(const std::vector<std::string>& argv, const ArgSpec& spec);

  bool Flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> Get(const std::string& name) const;  // last value
  std::string GetOr(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> GetAll(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::multimap<std::string, std::string> values_;
  std::set<std::string> flags_;
  std::vector<std::string> positional_;
};

// Closest candidate within a small edit distance, for "did you mean" hints.
std::optional<std::string> ClosestMatch(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace idb::ctl
