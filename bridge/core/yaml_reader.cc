// yaml_reader.cc — exception-free YAML loading and strict typed getters.
#include "core/yaml_reader.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/names.h"

namespace idb {
namespace {

constexpr int kMaxDepth = 64;

size_t EditDistance(std::string_view a, std::string_view b) {
  if (a.size() > 256 || b.size() > 256) return SIZE_MAX;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Counts nodes (aliases expanded) and checks depth; false when over a limit.
bool Walk(const YAML::Node& n, int depth, size_t* budget, std::string* why) {
  if (depth > kMaxDepth) {
    *why = "nesting deeper than " + std::to_string(kMaxDepth) + " levels";
    return false;
  }
  if (*budget == 0) {
    *why = "document too large (too many nodes, or an alias bomb)";
    return false;
  }
  --*budget;
  if (n.IsSequence()) {
    for (const auto& c : n) {
      if (!Walk(c, depth + 1, budget, why)) return false;
    }
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      if (!Walk(kv.first, depth + 1, budget, why)) return false;
      if (!Walk(kv.second, depth + 1, budget, why)) return false;
    }
  }
  return true;
}

void Add(std::vector<Diagnostic>* errors, const std::string& file, int line, int col, std::string msg) {
  errors->push_back(Diagnostic{file, line, col, std::move(msg)});
}

// Every scalar, key or value, must be text the loaders, the store and the
// logs can hold (valid UTF-8, no control characters but tab and newline).
// Reports at most `max_reports` scalars; returns false when any was bad.
bool CheckScalarsAreText(const YAML::Node& n, const std::string& file, std::vector<Diagnostic>* errors,
                         int* max_reports) {
  if (n.IsScalar()) {
    Status s = ValidateFileText(n.Scalar(), "text");
    if (s.ok()) return true;
    if (*max_reports > 0) {
      --*max_reports;
      const YAML::Mark m = n.Mark();
      Add(errors, file, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1,
          s.message().find("UTF-8") != std::string::npos ? "text is not valid UTF-8"
                                                           : "text contains a control character");
    }
    return false;
  }
  bool good = true;
  if (n.IsSequence()) {
    for (const auto& c : n) good = CheckScalarsAreText(c, file, errors, max_reports) && good;
  } else if (n.IsMap()) {
    for (const auto& kv : n) {
      good = CheckScalarsAreText(kv.first, file, errors, max_reports) && good;
      good = CheckScalarsAreText(kv.second, file, errors, max_reports) && good;
    }
  }
  return good;
}

}  // namespace

std::optional<std::string> DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    // A prefix/suffix relation ("grant_profile" vs "grant_profiles") counts as close.
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

const char* YamlTypeName(const YAML::Node& node) {
  if (!node.IsDefined()) return "nothing";
  switch (node.Type()) {
    case YAML::NodeType::Null: return "null";
    case YAML::NodeType::Scalar: return "string";
    case YAML::NodeType::Sequence: return "list";
    case YAML::NodeType::Map: return "map";
    default: return "nothing";
  }
}

std::optional<YAML::Node> LoadYamlString(const std::string& text, const std::string& file,
                                         std::vector<Diagnostic>* errors, size_t max_nodes) {
  if (text.find('\0') != std::string::npos) {
    Add(errors, file, 0, 0, "not a YAML text file (contains NUL bytes)");
    return std::nullopt;
  }
  try {
    YAML::Node root = YAML::Load(text);
    size_t budget = max_nodes;
    std::string why;
    if (!Walk(root, 0, &budget, &why)) {
      Add(errors, file, 0, 0, why);
      return std::nullopt;
    }
    int max_reports = 20;
    if (!CheckScalarsAreText(root, file, errors, &max_reports)) return std::nullopt;
    return root;
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg.empty() ? std::string("invalid YAML") : "invalid YAML: " + e.msg;
    if (e.mark.is_null()) {
      Add(errors, file, 0, 0, msg);
    } else {
      Add(errors, file, e.mark.line + 1, e.mark.column + 1, msg);
    }
  } catch (const std::exception& e) {
    Add(errors, file, 0, 0, std::string("invalid YAML: ") + e.what());
  } catch (...) {
    Add(errors, file, 0, 0, "invalid YAML");
  }
  return std::nullopt;
}

std::optional<YAML::Node> LoadYamlFile(const std::string& path, std::vector<Diagnostic>* errors,
                                       size_t max_bytes, size_t max_nodes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    Add(errors, path, 0, 0, "cannot open file");
    return std::nullopt;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) {
      Add(errors, path, 0, 0, "file larger than " + std::to_string(max_bytes) + " bytes");
      return std::nullopt;
    }
  }
  if (in.bad()) {
    Add(errors, path, 0, 0, "cannot read file");
    return std::nullopt;
  }
  return LoadYamlString(text, path, errors, max_nodes);
}

SourceRef YamlReader::Where(const YAML::Node& node) const {
  SourceRef ref{file_, 0, 0};
  try {
    if (node.IsDefined()) {
      YAML::Mark m = node.Mark();
      if (!m.is_null()) {
        ref.line = m.line + 1;
        ref.column = m.column + 1;
      }
    }
  } catch (...) {
  }
  return ref;
}

void YamlReader::Error(const YAML::Node& node, const std::string& message) {
  SourceRef w = Where(node);
  errors_->push_back(Diagnostic{file_, w.line, w.column, message});
}

bool YamlReader::CheckName(const YAML::Node& node, std::string_view what) {
  if (!node.IsDefined() || !node.IsScalar()) return false;
  Status s = ValidateName(node.Scalar(), what);
  if (s.ok()) return true;
  Error(node, s.message());
  return false;
}

bool YamlReader::ExpectMap(const YAML::Node& node, std::string_view what) {
  if (node.IsDefined() && node.IsMap()) return true;
  Error(node, std::string(what) + " must be a map, not " + YamlTypeName(node));
  return false;
}

bool YamlReader::ExpectList(const YAML::Node& node, std::string_view what) {
  if (node.IsDefined() && node.IsSequence()) return true;
  Error(node, std::string(what) + " must be a list, not " + YamlTypeName(node));
  return false;
}

bool YamlReader::ExpectScalar(const YAML::Node& node, std::string_view what) {
  if (node.IsDefined() && node.IsScalar()) return true;
  Error(node, std::string(what) + " must be a string, not " + YamlTypeName(node));
  return false;
}

bool YamlReader::CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed, std::string_view what) {
  if (!map.IsDefined() || !map.IsMap()) return false;
  bool good = true;
  std::set<std::string> seen;
  for (const auto& kv : map) {
    if (!kv.first.IsScalar()) {
      Error(kv.first, "keys of " + std::string(what) + " must be strings, not " + YamlTypeName(kv.first));
      good = false;
      continue;
    }
    const std::string key = kv.first.Scalar();
    if (!seen.insert(key).second) {
      Error(kv.first, "duplicate key '" + key + "' in " + std::string(what));
      good = false;
      continue;
    }
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string msg = "unknown key '" + key + "' in " + std::string(what);
    if (auto hint = DidYouMean(key, allowed)) msg += " (did you mean '" + *hint + "'?)";
    Error(kv.first, msg);
    good = false;
  }
  return good;
}

YAML::Node YamlReader::Find(const YAML::Node& map, const std::string& key) {
  if (!map.IsDefined() || !map.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (const auto& kv : map) {
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

std::optional<std::string> YamlReader::AsString(const YAML::Node& node, std::string_view what) {
  if (!node.IsDefined() || !node.IsScalar()) {
    Error(node, std::string(what) + " must be a string, not " + YamlTypeName(node));
    return std::nullopt;
  }
  return node.Scalar();
}

std::optional<int64_t> YamlReader::AsInt(const YAML::Node& node, std::string_view what) {
  if (node.IsDefined() && node.IsScalar()) {
    try {
      return node.as<int64_t>();
    } catch (...) {
    }
    Error(node, std::string(what) + " must be an integer, not '" + node.Scalar() + "'");
    return std::nullopt;
  }
  Error(node, std::string(what) + " must be an integer, not " + YamlTypeName(node));
  return std::nullopt;
}

std::optional<bool> YamlReader::AsBool(const YAML::Node& node, std::string_view what) {
  if (node.IsDefined() && node.IsScalar()) {
    try {
      return node.as<bool>();
    } catch (...) {
    }
    Error(node, std::string(what) + " must be true or false, not '" + node.Scalar() + "'");
    return std::nullopt;
  }
  Error(node, std::string(what) + " must be true or false, not " + YamlTypeName(node));
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::AsStringList(const YAML::Node& node, std::string_view what,
                                                                 bool scalar_ok) {
  if (scalar_ok && node.IsDefined() && node.IsScalar()) return std::vector<std::string>{node.Scalar()};
  if (!node.IsDefined() || !node.IsSequence()) {
    Error(node, std::string(what) + " must be a list of strings, not " + YamlTypeName(node));
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool good = true;
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      Error(item, "each item of " + std::string(what) + " must be a string, not " + YamlTypeName(item));
      good = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!good) return std::nullopt;
  return out;
}

std::optional<std::string> YamlReader::GetString(const YAML::Node& map, const std::string& key, bool required) {
  YAML::Node v = Find(map, key);
  if (!v.IsDefined()) {
    if (required) Error(map, "missing required key '" + key + "'");
    return std::nullopt;
  }
  return AsString(v, "'" + key + "'");
}

std::optional<int64_t> YamlReader::GetInt(const YAML::Node& map, const std::string& key, bool required,
                                          int64_t min, int64_t max) {
  YAML::Node v = Find(map, key);
  if (!v.IsDefined()) {
    if (required) Error(map, "missing required key '" + key + "'");
    return std::nullopt;
  }
  auto i = AsInt(v, "'" + key + "'");
  if (!i) return std::nullopt;
  if (*i < min || *i > max) {
    Error(v, "'" + key + "' must be between " + std::to_string(min) + " and " + std::to_string(max));
    return std::nullopt;
  }
  return i;
}

std::optional<bool> YamlReader::GetBool(const YAML::Node& map, const std::string& key, bool required) {
  YAML::Node v = Find(map, key);
  if (!v.IsDefined()) {
    if (required) Error(map, "missing required key '" + key + "'");
    return std::nullopt;
  }
  return AsBool(v, "'" + key + "'");
}

std::optional<std::vector<std::string>> YamlReader::GetStringList(const YAML::Node& map, const std::string& key,
                                                                  bool required, bool scalar_ok) {
  YAML::Node v = Find(map, key);
  if (!v.IsDefined()) {
    if (required) Error(map, "missing required key '" + key + "'");
    return std::nullopt;
  }
  return AsStringList(v, "'" + key + "'", scalar_ok);
}

}  // namespace idb
