// yaml_reader.h — strict, exception-free reading of hand-written YAML.
//
// Why: every configuration section (mappings, store, daemon, directories,
// oidc) must refuse unknown keys with a "did you mean", report wrong types and
// missing keys as `file:line:col: message`, and never let a yaml-cpp exception
// or a hostile file (binary, huge, deeply nested, alias bombs) crash or hang a
// loader. Owners of other sections reuse this class on the raw YAML::Node that
// Config keeps for them.
//
// Usage:
//   YamlReader r(file, &errors);
//   if (!r.ExpectMap(node, "store")) return;
//   r.CheckKeys(node, {"path", "history_retention_days"}, "store");
//   auto path = r.GetString(node, "path", /*required=*/true);
//   auto days = r.GetInt(node, "history_retention_days", false, 1, 36500);
//
// Every getter returns nullopt (and records a Diagnostic when the key is
// present but wrong, or required but missing). Getters never throw.
// Ownership: errors are appended to the caller's vector, which must outlive
// the reader. Thread-safety: one reader per thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/diagnostic.h"

namespace idb {

// Parses a whole file. Refuses files over `max_bytes`, NUL bytes, more than
// `max_nodes` nodes after alias expansion, nesting deeper than 64, and any
// yaml-cpp error (reported with its line/col), and any scalar that is not
// valid UTF-8 or holds a control character other than tab and newline.
// Returns nullopt on error.
std::optional<YAML::Node> LoadYamlFile(const std::string& path, std::vector<Diagnostic>* errors,
                                       size_t max_bytes = 16u << 20, size_t max_nodes = 2'000'000);
// Same for text already in memory; `file` names it in diagnostics.
std::optional<YAML::Node> LoadYamlString(const std::string& text, const std::string& file,
                                         std::vector<Diagnostic>* errors,
                                         size_t max_nodes = 2'000'000);

// Closest candidate by edit distance (for "did you mean"), if close enough.
std::optional<std::string> DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// The YAML type name used in messages: "map", "list", "string", "null".
const char* YamlTypeName(const YAML::Node& node);

class YamlReader {
 public:
  YamlReader(std::string file, std::vector<Diagnostic>* errors) : file_(std::move(file)), errors_(errors) {}

  const std::string& file() const { return file_; }
  bool ok() const { return errors_->size() == start_errors_; }  // no error since construction
  SourceRef Where(const YAML::Node& node) const;

  // Records "file:line:col: message" at `node` (or the file when invalid).
  void Error(const YAML::Node& node, const std::string& message);

  // A scalar used as a name (rule, profile, module, action, location,
  // warehouse): the store's name rules (common/names.h), reported at the node.
  bool CheckName(const YAML::Node& node, std::string_view what);

  bool ExpectMap(const YAML::Node& node, std::string_view what);
  bool ExpectList(const YAML::Node& node, std::string_view what);
  bool ExpectScalar(const YAML::Node& node, std::string_view what);

  // Reports every key of `map` not in `allowed` ("unknown key 'grant_profile'
  // in rule (did you mean 'grant_profiles'?)"), non-scalar and duplicate keys.
  // Returns true when all keys are allowed.
  bool CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed, std::string_view what);

  // Typed getters on a map key. `required` missing → error. Wrong type → error.
  std::optional<std::string> GetString(const YAML::Node& map, const std::string& key, bool required);
  std::optional<int64_t> GetInt(const YAML::Node& map, const std::string& key, bool required,
                                int64_t min = INT64_MIN, int64_t max = INT64_MAX);
  std::optional<bool> GetBool(const YAML::Node& map, const std::string& key, bool required);
  // A list of strings; a single scalar is accepted as a one-element list when
  // `scalar_ok`.
  std::optional<std::vector<std::string>> GetStringList(const YAML::Node& map, const std::string& key,
                                                        bool required, bool scalar_ok = false);

  // Conversions of a node itself (not a key of a map).
  std::optional<std::string> AsString(const YAML::Node& node, std::string_view what);
  std::optional<int64_t> AsInt(const YAML::Node& node, std::string_view what);
  std::optional<bool> AsBool(const YAML::Node& node, std::string_view what);
  std::optional<std::vector<std::string>> AsStringList(const YAML::Node& node, std::string_view what,
                                                       bool scalar_ok = false);

  // The value node of `key` in `map` (an invalid node when absent), without
  // the yaml-cpp pitfall of operator[] on a non-const node inserting keys.
  static YAML::Node Find(const YAML::Node& map, const std::string& key);

 private:
  std::string file_;
  std::vector<Diagnostic>* errors_;
  size_t start_errors_ = errors_->size();
};

}  // namespace idb
