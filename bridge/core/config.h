// config.h — the daemon configuration file (config/idbridge.yaml) and the
// mapping policy it names.
//
// Why: one loader for idbridged and idbridgectl, so `idbridgectl check`
// validates exactly what the daemon will load. Core reads `version`,
// `mappings` and `store`; the `daemon`, `directories` and `oidc` sections are
// kept as raw YAML nodes for their owners, who parse them with YamlReader
// (yaml_reader.h) using `file` for diagnostics and ResolvePath() for paths.
// Relative paths inside the file resolve against the file's directory.
//
//   version: 1
//   mappings:
//     catalog: ../mappings/catalog.yaml
//     profiles: ../mappings/profiles.yaml
//     rules: ../mappings/rules.yaml
//     tests: ../mappings/tests          # golden cases (optional)
//   store:
//     path: /var/lib/idbridge/idbridge.db
//     history_retention_days: 365
//     history_commit: after_answer      # or before_answer
//     history_queue_rows: 8192
//   daemon: {...}  directories: [...]  oidc: {...}
//
// Ownership: LoadConfig returns a shared_ptr<const Config>; the daemon swaps it
// atomically on reload. Thread-safety: Config is immutable, but yaml-cpp nodes
// are not safe to read from several threads at once: owners must convert their
// raw section into their own structs at load time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "core/diagnostic.h"
#include "core/policy.h"

namespace idb {

struct MappingSettings {
  std::string catalog;   // absolute or relative-to-cwd after resolution
  std::string profiles;
  std::string rules;
  std::string tests;     // directory of golden cases ("" = none)
};

struct StoreSettings {
  std::string path;                 // resolved
  int history_retention_days = 365;
  // store.history_commit: "after_answer" (default) or "before_answer" (a login
  // is answered only once its history row is durable; docs/store.md).
  bool history_commit_before_answer = false;
  // store.history_queue_rows: login-history rows idbridged keeps waiting for a
  // commit (a failing store included) before it refuses new logins.
  int history_queue_rows = 8192;
};

struct Config {
  std::string path;        // the config file as given
  std::string dir;         // its directory (for ResolvePath)
  int version = 1;
  std::string files_hash;  // sha256 hex over the config file and every mapping file, in load order
  MappingSettings mappings;
  StoreSettings store;
  // Raw sections for their owners (invalid/Null nodes when absent).
  YAML::Node daemon;
  YAML::Node directories;
  YAML::Node oidc;
  std::shared_ptr<const Policy> policy;

  // `p` if absolute, else dir/p.
  std::string ResolvePath(const std::string& p) const;
};

struct ConfigLoad {
  std::shared_ptr<const Config> config;  // null when errors is non-empty
  std::vector<Diagnostic> errors;
  bool ok() const { return config != nullptr; }
};

// Loads the config file and the mapping files it names. Never throws.
ConfigLoad LoadConfig(const std::string& path);

// Top-level keys the config accepts (for did-you-mean and for owners).
const std::vector<std::string>& ConfigTopLevelKeys();

// sha256 hex of a byte string (used for files_hash).
std::string Sha256Hex(const std::string& bytes);

}  // namespace idb
