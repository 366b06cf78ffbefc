// golden.cc — runs mappings/tests/*.yaml golden cases against a Policy.
#include "core/golden.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "core/engine.h"
#include "core/ip_network.h"
#include "core/yaml_reader.h"

namespace idb {
namespace {

struct Point {
  std::string permission, location, warehouse;
  std::string Text() const {
    return permission + (location.empty() ? "" : "@" + location) + (warehouse.empty() ? "" : "#" + warehouse);
  }
};

std::optional<Point> ParsePoint(YamlReader& r, const YAML::Node& n, const Policy& policy) {
  Point p;
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    size_t at = s.find('@'), hash = s.find('#');
    size_t end = std::min(at, hash);
    p.permission = s.substr(0, end);
    if (at != std::string::npos) p.location = s.substr(at + 1, hash > at ? hash - at - 1 : std::string::npos);
    if (hash != std::string::npos) p.warehouse = s.substr(hash + 1, at > hash ? at - hash - 1 : std::string::npos);
  } else if (n.IsMap()) {
    r.CheckKeys(n, {"permission", "location", "warehouse"}, "check point");
    auto perm = r.GetString(n, "permission", true);
    if (!perm) return std::nullopt;
    p.permission = *perm;
    p.location = r.GetString(n, "location", false).value_or("");
    p.warehouse = r.GetString(n, "warehouse", false).value_or("");
  } else {
    r.Error(n, std::string("a check point must be a string or a map, not ") + YamlTypeName(n));
    return std::nullopt;
  }
  if (auto err = policy.ValidatePermission(p.permission)) {
    r.Error(n, *err);
    return std::nullopt;
  }
  return p;
}

void RunFile(const Policy& policy, const std::string& file, GoldenReport* report) {
  ++report->files;
  auto root = LoadYamlFile(file, &report->errors);
  if (!root) return;
  YamlReader r(file, &report->errors);
  if (!r.ExpectMap(*root, "the golden test file")) return;
  r.CheckKeys(*root, {"version", "cases"}, "the golden test file");
  auto version = r.GetInt(*root, "version", true);
  if (version && *version != 1) r.Error(YamlReader::Find(*root, "version"), "unsupported test file version");
  YAML::Node cases = YamlReader::Find(*root, "cases");
  if (!cases.IsDefined()) {
    r.Error(*root, "missing required key 'cases'");
    return;
  }
  if (!r.ExpectList(cases, "'cases'")) return;
  const auto now = std::chrono::system_clock::now();
  for (const auto& c : cases) {
    if (!r.ExpectMap(c, "a test case")) continue;
    const size_t errors_before = report->errors.size();
    auto name = r.GetString(c, "name", true).value_or("(unnamed)");
    r.CheckKeys(c, {"name", "user", "source", "groups", "claims", "limits", "overrides", "expect", "client_address"},
                "case '" + name + "'");
    Identity id;
    id.user = r.GetString(c, "user", false).value_or("test-user");
    id.source = r.GetString(c, "source", false).value_or("ldap:test");
    if (auto address = r.GetString(c, "client_address", false)) {
      auto normalized = NormalizeClientAddress(*address);
      if (normalized.ok()) {
        id.client_address = *normalized;
      } else {
        r.Error(YamlReader::Find(c, "client_address"), "'client_address': " + normalized.status().message());
      }
    }
    YAML::Node groups = YamlReader::Find(c, "groups");
    if (groups.IsDefined() && r.ExpectList(groups, "'groups'")) {
      for (const auto& g : groups) {
        DirectoryGroup dg;
        if (g.IsScalar()) {
          dg.dn = g.Scalar();
        } else if (g.IsMap()) {
          r.CheckKeys(g, {"dn", "cn", "sid"}, "group");
          dg.dn = r.GetString(g, "dn", false).value_or("");
          dg.cn = r.GetString(g, "cn", false).value_or("");
          dg.sid = r.GetString(g, "sid", false).value_or("");
        } else {
          r.Error(g, "a group is a DN string or {dn, cn, sid}");
        }
        id.groups.push_back(std::move(dg));
      }
    }
    YAML::Node claims = YamlReader::Find(c, "claims");
    if (claims.IsDefined() && r.ExpectMap(claims, "'claims'")) {
      for (const auto& kv : claims) {
        if (!kv.first.IsScalar()) continue;
        if (auto vals = r.AsStringList(kv.second, "claim '" + kv.first.Scalar() + "'", true))
          id.claims[kv.first.Scalar()] = *vals;
      }
    }
    UserAdjustments adj;
    YAML::Node limits = YamlReader::Find(c, "limits");
    if (limits.IsDefined() && r.ExpectMap(limits, "'limits'")) {
      r.CheckKeys(limits, {"locations", "warehouses"}, "'limits'");
      if (auto l = r.GetStringList(limits, "locations", false)) adj.limits.locations = *l;
      if (auto w = r.GetStringList(limits, "warehouses", false)) adj.limits.warehouses = *w;
    }
    YAML::Node overrides = YamlReader::Find(c, "overrides");
    if (overrides.IsDefined() && r.ExpectList(overrides, "'overrides'")) {
      int64_t next_id = 1;
      for (const auto& o : overrides) {
        if (!r.ExpectMap(o, "an override")) continue;
        r.CheckKeys(o, {"effect", "permission", "location", "warehouse", "expired"}, "override");
        UserOverride uo;
        uo.id = next_id++;
        auto effect = r.GetString(o, "effect", true).value_or("grant");
        if (effect == "deny") uo.effect = OverrideEffect::kDeny;
        else if (effect != "grant") r.Error(YamlReader::Find(o, "effect"), "effect must be grant or deny");
        uo.permission = r.GetString(o, "permission", true).value_or("");
        if (auto l = r.GetString(o, "location", false)) uo.location = *l;
        if (auto w = r.GetString(o, "warehouse", false)) uo.warehouse = *w;
        if (r.GetBool(o, "expired", false).value_or(false)) uo.expires = now - std::chrono::hours(1);
        adj.overrides.push_back(std::move(uo));
      }
    }
    YAML::Node expect = YamlReader::Find(c, "expect");
    if (!expect.IsDefined()) {
      r.Error(c, "case '" + name + "' has no 'expect'");
      continue;
    }
    if (!r.ExpectMap(expect, "'expect'")) continue;
    r.CheckKeys(expect, {"login", "profiles", "allow", "deny"}, "'expect'");
    auto login = r.GetBool(expect, "login", false);
    auto profiles = r.GetStringList(expect, "profiles", false);
    std::vector<std::pair<Point, bool>> points;
    for (const char* key : {"allow", "deny"}) {
      YAML::Node list = YamlReader::Find(expect, key);
      if (!list.IsDefined()) continue;
      if (!r.ExpectList(list, std::string("'") + key + "'")) continue;
      for (const auto& item : list) {
        if (auto p = ParsePoint(r, item, policy)) points.push_back({*p, std::string(key) == "allow"});
      }
    }
    if (report->errors.size() != errors_before) continue;
    ++report->cases;
    const SourceRef where = r.Where(c);
    DecisionSet d = Evaluate(policy, id, adj, now);
    if (login) {
      ++report->checks;
      if (*login != d.login_allowed())
        report->failures.push_back({file, name, where, std::string("expected login ") + (*login ? "allowed" : "denied") +
                                                          ", got " + (d.login_allowed() ? "allowed" : "denied")});
    }
    if (profiles) {
      ++report->checks;
      std::vector<std::string> want = *profiles;
      std::sort(want.begin(), want.end());
      std::vector<std::string> got = d.profiles();
      std::sort(got.begin(), got.end());
      if (want != got) {
        std::string g;
        for (const auto& s : got) g += (g.empty() ? "" : ", ") + s;
        report->failures.push_back({file, name, where, "expected profiles differ; got [" + g + "]"});
      }
    }
    for (const auto& [p, allow] : points) {
      ++report->checks;
      bool got = d.Check(p.permission, p.location, p.warehouse);
      if (got != allow)
        report->failures.push_back({file, name, where, std::string("expected ") + (allow ? "allow " : "deny ") +
                                                          p.Text() + ", got " + (got ? "allow" : "deny")});
    }
  }
}

}  // namespace

GoldenReport RunGoldenTests(const Policy& policy, const std::string& file_or_dir) {
  GoldenReport report;
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(file_or_dir, ec)) {
      std::vector<std::string> files;
      for (const auto& e : std::filesystem::directory_iterator(file_or_dir, ec)) {
        const auto ext = e.path().extension();
        if (e.is_regular_file() && (ext == ".yaml" || ext == ".yml")) files.push_back(e.path().string());
      }
      std::sort(files.begin(), files.end());
      for (const auto& f : files) RunFile(policy, f, &report);
      if (files.empty()) report.errors.push_back({file_or_dir, 0, 0, "no *.yaml test files"});
    } else {
      RunFile(policy, file_or_dir, &report);
    }
  } catch (const std::exception& e) {
    report.errors.push_back({file_or_dir, 0, 0, std::string("internal error: ") + e.what()});
  }
  return report;
}

}  // namespace idb
