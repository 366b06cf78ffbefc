#include "ctl/args.h"

#include "core/yaml_reader.h"

namespace idb::ctl {
std::optional<std::string> ClosestMatch(const std::string& word, const std::vector<std::string>& candidates) {
  return DidYouMean(word, candidates);  // one "did you mean" rule for options and YAML keys
}

Result<Args> Args::Parse(const std::vector<std::string>& argv, const ArgSpec& spec) {
  Args args;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.size() < 3 || a.rfind("--", 0) != 0) {
      args.positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.flags.count(name)) {
      if (inline_value) return InvalidArgument("option --" + name + " takes no value");
      args.flags_.insert(name);
    } else if (spec.value_options.count(name)) {
      if (inline_value) {
        args.values_.emplace(name, *inline_value);
      } else if (i + 1 < argv.size()) {
        args.values_.emplace(name, argv[++i]);
      } else {
        return InvalidArgument("option --" + name + " needs a value");
      }
    } else {
      std::vector<std::string> known(spec.value_options.begin(), spec.value_options.end());
      known.insert(known.end(), spec.flags.begin(), spec.flags.end());
      std::string msg = "unknown option --" + name;
      if (auto hint = ClosestMatch(name, known)) msg += " (did you mean --" + *hint + "?)";
      return InvalidArgument(msg);
    }
  }
  return args;
}

std::optional<std::string> Args::Get(const std::string& name) const {
  auto range = values_.equal_range(name);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;
}

std::string Args::GetOr(const std::string& name, const std::string& fallback) const {
  auto v = Get(name);
  return v ? *v : fallback;
}

std::vector<std::string> Args::GetAll(const std::string& name) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(name);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

}  // namespace idb::ctl
