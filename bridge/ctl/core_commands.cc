// core_commands.cc — idbridgectl catalog, check, explain and test.
//
//   catalog [--json]                      every permission: id, title, module, scope, requirements
//   check [--live]                        validate the config and mapping files (exit 0 / 1 + diagnostics);
//                                         --live also looks up every group a rule names in each directory
//   explain --user NAME [--group DN]... [--claim k=v]... [--source S] [--client-address A] [--json]
//           [--store PATH | --use-store]  dry-run a user through the rules; with a store, the
//                                         user's overrides and limits (with provenance) are
//                                         applied, and without --group/--claim the user's
//                                         last-known groups/claims are used. The store is read
//                                         only when asked: --store PATH, or --use-store for
//                                         the store.path of the configuration.
//   test [--cases FILE|DIR]               run the golden cases (mappings.tests by default)
// Exit codes: 0 ok, 1 a finding (invalid config, failed golden case, login
// denied is NOT a finding for explain), 2 usage or operational error.
#include <chrono>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/display_text.h"
#include "core/config.h"
#include "core/dn.h"
#include "core/engine.h"
#include "core/golden.h"
#include "core/ip_network.h"
#include "ctl/commands.h"
#ifdef IDB_CTL_HAVE_STORE
#include "store/explain_inputs.h"
#include "store/sqlite_store.h"
#endif
#ifdef IDB_CTL_HAVE_LDAP
#include "ldap/directory_config.h"
#include "ldap/live_check.h"
#endif
#ifdef IDB_CTL_HAVE_DAEMON
#include "daemon/authenticator_factory.h"
#endif

namespace idb::ctl {
namespace {

std::string ConfigPath(const Args& args) { return args.GetOr("config", kDefaultConfigPath); }

// Loads the config; prints diagnostics and returns null on failure.
std::shared_ptr<const Config> Load(const Args& args, std::ostream& err) {
  ConfigLoad load = LoadConfig(ConfigPath(args));
  if (!load.ok()) {
    for (const auto& d : load.errors) err << d.ToString() << "\n";
    return nullptr;
  }
  return load.config;
}

int RunCatalog(const Args& args, std::ostream& out, std::ostream& err) {
  auto cfg = Load(args, err);
  if (!cfg) return 1;
  const Catalog& cat = cfg->policy->catalog();
  if (args.Flag("json")) {
    nlohmann::json perms = nlohmann::json::array();
    for (const auto& p : cat.permissions()) {
      std::vector<std::string> reqs;
      for (PermissionId r : p.requires_direct) reqs.push_back(cat.Get(r).name);
      perms.push_back({{"id", p.name},
                       {"module", p.module},
                       {"action", p.action},
                       {"title", p.title},
                       {"description", p.description},
                       {"scope", ScopeKindName(p.kind)},
                       {"requires", reqs},
                       {"source", cat.FindModule(p.module)->source}});
    }
    out << nlohmann::json{{"permissions", perms}}.dump(2) << "\n";
    return 0;
  }
  for (const auto& m : cat.modules()) {
    out << m.name << " — " << m.title << " (scope: " << ScopeKindName(m.kind) << ")\n";
    for (PermissionId id : m.permissions) {
      const auto& p = cat.Get(id);
      out << "  " << p.name << std::string(p.name.size() < 44 ? 44 - p.name.size() : 1, ' ') << p.title;
      if (!p.requires_direct.empty()) {
        out << "  [requires";
        for (PermissionId r : p.requires_direct) out << " " << cat.Get(r).name;
        out << "]";
      }
      out << "\n";
    }
  }
  out << cat.size() << " permissions in " << cat.modules().size() << " modules\n";
  return 0;
}

int RunCheck(const Args& args, std::ostream& out, std::ostream& err) {
  auto cfg = Load(args, err);
  if (!cfg) return 1;
  const Policy& p = *cfg->policy;
#ifdef IDB_CTL_HAVE_DAEMON
  {
    // `daemon:`, `directories:` and `oidc:`, exactly as idbridged checks them.
    std::vector<Diagnostic> errors, warnings;
    daemon::CheckDaemonConfiguration(*cfg, &errors, &warnings);
    for (const auto& d : warnings) err << "warning: " << d.ToString() << "\n";
    for (const auto& d : errors) err << d.ToString() << "\n";
    if (!errors.empty()) return 1;
  }
#endif
  out << "ok: " << p.catalog().size() << " permissions, " << p.profiles().size() << " profiles, "
      << p.rules().size() << " rules\n";
#ifdef IDB_CTL_HAVE_LDAP
  if (args.Flag("live")) {
    // Connects to every directory; warns about groups rules name that do not exist (bridge/ldap/live_check.h).
    ldap::LiveCheckReport live = ldap::LiveCheck(*cfg, out);
    return live.warnings + live.errors > 0 ? 1 : 0;
  }
#else
  if (args.Flag("live")) {
    err << "idbridgectl check --live: this build has no LDAP support\n";
    return 2;
  }
#endif
  return 0;
}

int RunExplain(const Args& args, std::ostream& out, std::ostream& err) {
  auto user = args.Get("user");
  if (!user || user->empty()) {
    err << "idbridgectl explain: --user NAME is required\n";
    return 2;
  }
  Identity id;
  id.user = *user;
  id.source = args.GetOr("source", "ldap:explain");
  for (const auto& dn : args.GetAll("group")) {
    DirectoryGroup g;
    auto parsed = ParseDn(dn);
    if (!parsed.ok()) {
      // Not a DN: treat it as a group name (OIDC groups, AD short names).
      g.cn = dn;
    } else {
      g.dn = dn;
    }
    id.groups.push_back(std::move(g));
  }
  for (const auto& kv : args.GetAll("claim")) {
    auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      err << "idbridgectl explain: --claim needs key=value, got '" << kv << "'\n";
      return 2;
    }
    id.claims[kv.substr(0, eq)].push_back(kv.substr(eq + 1));
  }
  auto cfg = Load(args, err);
  if (!cfg) return 1;
  const auto now = std::chrono::system_clock::now();
  UserAdjustments adj;  // empty unless a store is given
  std::optional<std::string> store_path = args.Get("store");
  if (!store_path && args.Flag("use-store")) {
    if (cfg->store.path.empty()) {
      err << "idbridgectl explain: --use-store: the configuration sets no store.path\n";
      return 2;
    }
    store_path = cfg->store.path;
  }
#ifdef IDB_CTL_HAVE_STORE
  std::optional<store::ExplainInputs> inputs;
  if (store_path) {
    store::SqliteStoreOptions opts;
    opts.create_if_missing = false;  // a typo must not explain against an empty store
    auto st = store::OpenSqliteStore(*store_path, opts);
    if (!st.ok()) {
      err << "idbridgectl explain: store " << *store_path << ": " << st.status().ToString() << "\n";
      return 2;
    }
    auto in = store::LoadExplainInputs(**st, id.user, now);
    if (!in.ok()) {
      err << "idbridgectl explain: store " << *store_path << ": " << in.status().ToString() << "\n";
      return 2;
    }
    inputs = std::move(*in);
    adj = inputs->adjustments;
    // No groups/claims on the command line: the identity of the last login.
    if (id.groups.empty() && id.claims.empty() && inputs->known) {
      std::string source = args.Get("source") ? id.source : inputs->known->identity.source;
      id = inputs->known->identity;
      id.user = *user;
      id.source = source;
    }
  }
#else
  if (store_path) {
    err << "idbridgectl explain: this build has no store support\n";
    return 2;
  }
#endif
  if (auto address = args.Get("client-address")) {
    auto normalized = NormalizeClientAddress(*address);
    if (!normalized.ok()) {
      err << "idbridgectl explain: --client-address " << EscapeForDisplay(*address) << ": "
          << normalized.status().message() << "\n";
      return 2;
    }
    id.client_address = *normalized;
  }
  Explanation ex = Explain(*cfg->policy, id, adj, now);
  if (args.Flag("json")) {
    nlohmann::json j = ex.ToJson();
#ifdef IDB_CTL_HAVE_STORE
    if (inputs) j["store"] = inputs->ToJson();
#endif
    out << j.dump(2) << "\n";
  } else {
    out << ex.ToText();
#ifdef IDB_CTL_HAVE_STORE
    if (inputs) {
      out << "store " << *store_path << ":\n";
      for (const auto& line : inputs->ProvenanceLines()) out << "  " << line << "\n";
    }
#endif
  }
  return 0;
}

int RunTest(const Args& args, std::ostream& out, std::ostream& err) {
  auto cfg = Load(args, err);
  if (!cfg) return 1;
  std::string target = args.GetOr("cases", cfg->mappings.tests);
  if (target.empty()) {
    err << "idbridgectl test: no golden cases (set mappings.tests in the config or pass --cases)\n";
    return 2;
  }
  GoldenReport report = RunGoldenTests(*cfg->policy, target);
  for (const auto& d : report.errors) err << d.ToString() << "\n";
  for (const auto& f : report.failures)
    err << f.where.ToString() << ": case '" << f.case_name << "': " << f.message << "\n";
  out << (report.ok() ? "ok: " : "FAILED: ") << report.cases << " cases, " << report.checks << " checks in "
      << report.files << " files; " << report.failures.size() << " failures, " << report.errors.size()
      << " errors\n";
  return report.ok() ? 0 : 1;
}

}  // namespace

std::vector<Command> CoreCommands() {
  return {
      {"catalog", "list every permission (id, title, module, scope, requirements)", {{}, {"json"}}, RunCatalog},
      {"check", "validate the configuration and mapping files (--live: look the groups up in each directory)", {{}, {"live"}}, RunCheck},
      {"explain", "dry-run a user through the rules: matches, profiles, permissions, verdict",
       {{"user", "group", "claim", "source", "store", "client-address"}, {"json", "use-store"}}, RunExplain},
      {"test", "run the golden cases (mappings/tests/*.yaml)", {{"cases"}, {}}, RunTest},
  };
}

}  // namespace idb::ctl
