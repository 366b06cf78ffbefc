// config.cc — LoadConfig: the daemon config file and the mapping files it names.
#include "core/config.h"

#include <openssl/evp.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/yaml_reader.h"

namespace idb {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

const std::vector<std::string>& ConfigTopLevelKeys() {
  static const std::vector<std::string> keys = {"version", "mappings", "store", "daemon", "directories", "oidc"};
  return keys;
}

std::string Sha256Hex(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string Config::ResolvePath(const std::string& p) const {
  if (p.empty() || p[0] == '/') return p;
  if (dir.empty()) return p;
  return (std::filesystem::path(dir) / p).lexically_normal().string();
}

ConfigLoad LoadConfig(const std::string& path) {
  ConfigLoad load;
  try {
    auto cfg = std::make_shared<Config>();
    cfg->path = path;
    cfg->dir = std::filesystem::path(path).parent_path().string();
    auto root = LoadYamlFile(path, &load.errors);
    if (!root) return load;
    YamlReader r(path, &load.errors);
    if (!r.ExpectMap(*root, "the configuration file")) return load;
    r.CheckKeys(*root, ConfigTopLevelKeys(), "the configuration file");
    if (auto v = r.GetInt(*root, "version", true)) {
      if (*v != 1) {
        r.Error(YamlReader::Find(*root, "version"),
                "unsupported configuration version " + std::to_string(*v) + " (this build reads version 1)");
      }
      cfg->version = static_cast<int>(*v);
    }
    YAML::Node mappings = YamlReader::Find(*root, "mappings");
    if (!mappings.IsDefined()) {
      r.Error(*root, "missing required key 'mappings'");
    } else if (r.ExpectMap(mappings, "'mappings'")) {
      r.CheckKeys(mappings, {"catalog", "profiles", "rules", "tests"}, "'mappings'");
      auto get = [&](const char* key, bool required) {
        auto v = r.GetString(mappings, key, required);
        return v ? cfg->ResolvePath(*v) : std::string();
      };
      cfg->mappings.catalog = get("catalog", true);
      cfg->mappings.profiles = get("profiles", true);
      cfg->mappings.rules = get("rules", true);
      cfg->mappings.tests = get("tests", false);
    }
    YAML::Node store = YamlReader::Find(*root, "store");
    if (store.IsDefined() && r.ExpectMap(store, "'store'")) {
      r.CheckKeys(store, {"path", "history_retention_days", "history_commit", "history_queue_rows"}, "'store'");
      if (auto p = r.GetString(store, "path", true)) cfg->store.path = cfg->ResolvePath(*p);
      if (auto d = r.GetInt(store, "history_retention_days", false, 1, 36500))
        cfg->store.history_retention_days = static_cast<int>(*d);
      if (auto q = r.GetInt(store, "history_queue_rows", false, 1, 1'000'000))
        cfg->store.history_queue_rows = static_cast<int>(*q);
      if (auto c = r.GetString(store, "history_commit", false)) {
        if (*c == "before_answer" || *c == "after_answer")
          cfg->store.history_commit_before_answer = *c == "before_answer";
        else
          r.Error(YamlReader::Find(store, "history_commit"),
                  "store.history_commit must be after_answer or before_answer, got '" + *c + "'");
      }
    }
    cfg->daemon.reset(YamlReader::Find(*root, "daemon"));
    cfg->directories.reset(YamlReader::Find(*root, "directories"));
    cfg->oidc.reset(YamlReader::Find(*root, "oidc"));
    if (!r.ok()) return load;

    PolicyLoad policy = LoadPolicy(cfg->mappings.catalog, cfg->mappings.profiles, cfg->mappings.rules);
    if (!policy.ok()) {
      load.errors.insert(load.errors.end(), policy.errors.begin(), policy.errors.end());
      return load;
    }
    std::string text;
    ReadFile(path, &text);
    cfg->files_hash = Sha256Hex(Sha256Hex(text) + policy.policy->files_hash());
    cfg->policy = std::move(policy.policy);
    load.config = std::move(cfg);
  } catch (const std::exception& e) {
    load.errors.push_back({path, 0, 0, std::string("internal error while loading: ") + e.what()});
    load.config.reset();
  }
  return load;
}

}  // namespace idb
