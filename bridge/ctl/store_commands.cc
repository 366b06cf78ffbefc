// store_commands.cc — idbridgectl commands over the local store (bridge/store).
//
//   override grant|deny --user U --perm P [--location L] [--warehouse W] [--expires T] [--reason TEXT]
//   override remove (--id N | --user U --perm P [--location L] [--warehouse W])
//   override list [--user U] [--json]
//   limits set --user U [--locations A,B] [--warehouses X,Y]   ("" = nothing allowed)
//              [--location NAME]... [--warehouse NAME]...     (names that hold a comma)
//   limits show [--user U] [--json]
//   limits clear --user U
//   history [--user U] [--since T] [--failed] [--limit N] [--json]
//   history prune [--days N]                 (default: store.history_retention_days)
//   audit list [--after SEQ] [--limit N] [--json]
//   audit verify [--anchor SEQ:HASH]         (integrity check + hash chain [+ a hash kept elsewhere]
//                                             + overrides/limits/local admins replayed from the log)
//   local-admin set --user NAME              (password from a prompt or stdin's first line)
//   local-admin remove --user NAME
//   local-admin list
//   diff --config NEW.yaml [--against OLD.yaml] [--json]
//
//   init                                     create the store (write commands never do, unless given --create)
//
// Every command takes --store PATH, which overrides the store path of --config.
// Permissions are validated against the configuration's catalog (did-you-mean,
// requirements such as edit-needs-view); a grant/deny cannot be stored without a
// loadable configuration (fail closed).
// Exit codes: 0 ok; 1 a finding (audit verification failed, diff found
// changes); 2 usage or operational error (bad input, unreadable/damaged store).
// Every change is logged in the security log by the store, in the same
// transaction, with the actor from store/actor.h.
#include <algorithm>
#include <tuple>
#include <cctype>
#include <chrono>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/display_text.h"
#include "core/config.h"
#include "core/engine.h"
#include "ctl/commands.h"
#include "store/actor.h"
#include "store/config_diff.h"
#include "common/names.h"
#include "ctl/time_input.h"
#include "store/password_hash.h"
#include "store/password_prompt.h"
#include "store/schema.h"
#include "store/sqlite_store.h"
#include "store/time_format.h"

namespace idb::ctl {
namespace {

using nlohmann::json;
using namespace idb::store;

constexpr int kOk = 0;
constexpr int kFinding = 1;
constexpr int kError = 2;

SystemTime Now() { return std::chrono::system_clock::now(); }

// Prints "idbridgectl CMD: message" and returns kError.
int Fail(std::ostream& err, const std::string& cmd, const std::string& message) {
  err << "idbridgectl " << cmd << ": " << message << "\n";
  return kError;
}
int Fail(std::ostream& err, const std::string& cmd, const Status& s) { return Fail(err, cmd, s.ToString()); }

std::shared_ptr<const Config> LoadConfigAt(const std::string& path, const std::string& cmd, std::ostream& err) {
  ConfigLoad load = LoadConfig(path);
  if (!load.ok()) {
    for (const auto& d : load.errors) err << d.ToString() << "\n";
    err << "idbridgectl " << cmd << ": cannot load the configuration " << path << "\n";
    return nullptr;
  }
  return load.config;
}

// What a store command needs: the store, and the configuration when asked for.
struct Session {
  std::shared_ptr<const Config> config;  // may be null when only --store was given
  std::unique_ptr<Store> store;
};

// --store wins over the store path of --config. `need_config`: the command
// validates against the policy, so the configuration must load.
// `create`: false for commands that only read (a typo in --store is an error).
std::optional<Session> OpenSession(const Args& args, const std::string& cmd, std::ostream& err, bool need_config,
                                   bool create) {
  Session s;
  auto store_path = args.Get("store");
  if (need_config || !store_path || args.Get("config")) {
    s.config = LoadConfigAt(args.GetOr("config", kDefaultConfigPath), cmd, err);
    if (!s.config) return std::nullopt;
  }
  std::string path = store_path ? *store_path : s.config->store.path;
  if (path.empty()) {
    Fail(err, cmd, "no store: give --store PATH or set store.path in the configuration");
    return std::nullopt;
  }
  SqliteStoreOptions opts;
  opts.create_if_missing = create;
  auto st = OpenSqliteStore(path, opts);
  if (!st.ok()) {
    std::string hint;
    if (st.status().code() == ErrorCode::kNotFound)
      hint = create ? "" : "; a store is never created silently: `idbridgectl init` (or --create) makes a new, empty one";
    Fail(err, cmd, st.status().ToString() + hint);
    return std::nullopt;
  }
  s.store = std::move(*st);
  return s;
}

std::string Sub(const Args& args) { return args.positional().empty() ? "" : args.positional()[0]; }

// Exactly one sub-command, from `allowed`; prints usage otherwise.
std::optional<std::string> SubCommand(const Args& args, const std::string& cmd,
                                      const std::vector<std::string>& allowed, std::ostream& err,
                                      const std::string& fallback = "") {
  if (args.positional().size() > 1) {
    Fail(err, cmd, "unexpected argument '" + args.positional()[1] + "'");
    return std::nullopt;
  }
  std::string sub = Sub(args).empty() ? fallback : Sub(args);
  for (const auto& a : allowed)
    if (a == sub) return sub;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
  std::string msg = sub.empty() ? "missing sub-command (" + list + ")" : "unknown sub-command '" + sub + "' (" + list + ")";
  if (!sub.empty())
    if (auto hint = ClosestMatch(sub, allowed)) msg += " — did you mean '" + *hint + "'?";
  Fail(err, cmd, msg);
  return std::nullopt;
}

// Options a sub-command does not use are refused instead of silently ignored.
bool OnlyOptions(const Args& args, const std::string& cmd, const std::vector<std::string>& used,
                 std::ostream& err) {
  static const std::vector<std::string> kAll = {"user",       "perm",  "location", "warehouse", "expires",
                                                "reason",     "id",    "locations", "warehouses", "since",
                                                "limit",      "days",  "after",    "against",   "anchor"};
  for (const auto& o : kAll) {
    if (std::find(used.begin(), used.end(), o) != used.end()) continue;
    if (args.Get(o)) {
      Fail(err, cmd, "option --" + o + " does not apply here");
      return false;
    }
  }
  return true;
}

std::optional<std::string> Required(const Args& args, const std::string& cmd, const std::string& name,
                                    std::ostream& err) {
  auto v = args.Get(name);
  if (!v) Fail(err, cmd, "--" + name + " is required");
  return v;
}

std::optional<int64_t> ParseCount(const std::string& text, const std::string& cmd, const std::string& what,
                                  int64_t min, int64_t max, std::ostream& err) {
  try {
    size_t used = 0;
    long long v = std::stoll(text, &used);
    if (used == text.size() && v >= min && v <= max) return v;
  } catch (const std::exception&) {
  }
  Fail(err, cmd, "--" + what + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                     ", got " + Quoted(text));
  return std::nullopt;
}

const char* EffectName(OverrideEffect e) { return e == OverrideEffect::kGrant ? "grant" : "deny"; }

std::string ScopeText(const UserOverride& o) {
  std::string s;
  if (o.location) s += " at location " + Quoted(*o.location);
  if (o.warehouse) s += " at warehouse " + Quoted(*o.warehouse);
  return s.empty() ? " everywhere" : s;
}

json OverrideToJson(const StoredOverride& o, SystemTime now) {
  const auto& e = o.entry;
  return {{"id", e.id},
          {"user", o.user},
          {"effect", EffectName(e.effect)},
          {"permission", e.permission},
          {"location", e.location ? json(*e.location) : json(nullptr)},
          {"warehouse", e.warehouse ? json(*e.warehouse) : json(nullptr)},
          {"expires", e.expires ? json(FormatUtcTime(*e.expires)) : json(nullptr)},
          {"expired", e.expires && *e.expires <= now},
          {"reason", e.reason},
          {"added_by", o.actor},
          {"added", FormatUtcTime(o.created)}};
}

// What the user holds now, for checking a new grant's requirements: the
// engine's decisions from their last-known identity (none if they never logged
// in), plus their unexpired grant overrides — so `grant view` then `grant edit`
// works for a user whose first login is still to come.
// `*known` says whether the store had their identity.
DecisionSet CurrentDecisions(const Policy& policy, Store& store, const std::string& user, SystemTime now,
                             bool* known_identity, Status* error) {
  Identity id;
  id.user = user;
  auto known = store.ListKnownUsers();
  if (!known.ok()) {
    *error = known.status();
    return {};
  }
  *known_identity = false;
  for (const auto& k : *known)
    if (k.identity.user == user) {
      id = k.identity;
      *known_identity = true;
    }
  auto adj = store.AdjustmentsFor(user, now);
  if (!adj.ok()) {
    *error = adj.status();
    return {};
  }
  DecisionSet evaluated = Evaluate(policy, id, *adj, now);
  std::map<std::string, PermissionDecision> held;
  for (const auto& d : evaluated.decisions()) held[d.permission] = d;
  const Catalog& cat = policy.catalog();
  for (const auto& o : adj->overrides) {
    if (o.effect != OverrideEffect::kGrant) continue;
    auto pid = cat.Find(o.permission);
    if (!pid) continue;  // a permission the catalog no longer has
    const PermissionInfo& info = cat.Get(*pid);
    ScopeSet where = ScopeSet::Everywhere();
    if (info.kind == ScopeKind::kLocation && o.location) where = ScopeSet::Only({*o.location});
    if (info.kind == ScopeKind::kWarehouse && o.warehouse) where = ScopeSet::Only({*o.warehouse});
    auto [it, inserted] = held.try_emplace(info.name, PermissionDecision{info.name, info.kind, where});
    if (!inserted) it->second.allowed = it->second.allowed.Union(where);
  }
  std::vector<PermissionDecision> decisions;
  for (auto& [name, d] : held) decisions.push_back(std::move(d));
  return DecisionSet(user, true, evaluated.profiles(), std::move(decisions));
}

// Catalog checks for a grant or deny, with did-you-mean and requirement reasons;
// requirements the user may lack are added to `warnings`.
Status ValidateOverride(const Policy& policy, Store& store, const NewOverride& o, SystemTime now,
                        std::vector<std::string>* warnings) {
  const Catalog& cat = policy.catalog();
  if (o.effect == OverrideEffect::kDeny) {
    if (auto e = policy.ValidateDenyPattern(o.permission)) return InvalidArgument(*e);
  } else if (auto e = policy.ValidatePermission(o.permission)) {
    return InvalidArgument(*e);
  }
  // A scope must fit the permission's kind (a location on a warehouse permission means nothing).
  for (PermissionId pid : policy.ExpandPattern(o.permission)) {
    const PermissionInfo& info = cat.Get(pid);
    if (o.location && info.kind != ScopeKind::kLocation && o.effect == OverrideEffect::kGrant)
      return InvalidArgument(info.name + " is " + ScopeKindName(info.kind) + "-scoped; --location does not apply");
    if (o.warehouse && info.kind != ScopeKind::kWarehouse && o.effect == OverrideEffect::kGrant)
      return InvalidArgument(info.name + " is " + ScopeKindName(info.kind) + "-scoped; --warehouse does not apply");
  }
  if (o.effect == OverrideEffect::kGrant) {
    Status error;
    bool known_identity = false;
    DecisionSet current = CurrentDecisions(policy, store, o.user, now, &known_identity, &error);
    IDB_RETURN_IF_ERROR(error);
    UserOverride grant;
    grant.effect = o.effect;
    grant.permission = o.permission;
    grant.location = o.location;
    grant.warehouse = o.warehouse;
    grant.expires = o.expires;
    auto notes = ValidateOverrideGrant(policy, current, known_identity, grant);
    if (!notes.ok()) return notes.status();
    *warnings = std::move(*notes);
  }
  return Status::Ok();
}

int OverrideAdd(const Args& args, OverrideEffect effect, std::ostream& out, std::ostream& err) {
  const std::string cmd = std::string("override ") + EffectName(effect);
  if (!OnlyOptions(args, cmd, {"user", "perm", "location", "warehouse", "expires", "reason"}, err)) return kError;
  auto user = Required(args, cmd, "user", err);
  auto perm = Required(args, cmd, "perm", err);
  if (!user || !perm) return kError;
  const SystemTime now = Now();
  NewOverride o;
  o.user = *user;
  o.effect = effect;
  o.permission = *perm;
  o.location = args.Get("location");
  o.warehouse = args.Get("warehouse");
  o.reason = args.GetOr("reason", "");
  if (auto e = args.Get("expires")) {
    auto t = ParseAdminTime(*e, now, TimeDirection::kFuture);
    if (!t.ok()) return Fail(err, cmd, t.status());
    o.expires = *t;
  }
  // Cheap input checks before touching the configuration or the store.
  if (Status s = ValidateUserName(o.user); !s.ok()) return Fail(err, cmd, s);
  if (o.location)
    if (Status s = ValidateName(*o.location, "location"); !s.ok()) return Fail(err, cmd, s);
  if (o.warehouse)
    if (Status s = ValidateName(*o.warehouse, "warehouse"); !s.ok()) return Fail(err, cmd, s);
  if (Status s = ValidateText(o.reason, "reason"); !s.ok()) return Fail(err, cmd, s);

  auto session = OpenSession(args, cmd, err, /*need_config=*/true, /*create=*/args.Flag("create"));
  if (!session) return kError;
  std::vector<std::string> warnings;
  if (Status s = ValidateOverride(*session->config->policy, *session->store, o, now, &warnings); !s.ok())
    return Fail(err, cmd, s);
  auto id = session->store->AddOverride(o, CurrentActor(), now);
  if (!id.ok()) return Fail(err, cmd, id.status());
  UserOverride shown{*id, o.effect, o.permission, o.location, o.warehouse, o.expires, o.reason};
  out << "override #" << *id << ": " << EffectName(effect) << " " << o.permission << " for " << Quoted(o.user)
      << ScopeText(shown) << (o.expires ? " until " + FormatAdminTime(*o.expires) : std::string(", no expiry"))
      << "\n";
  for (const auto& w : warnings) err << cmd << ": warning: " << w << "\n";
  return kOk;
}

int OverrideRemove(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string cmd = "override remove";
  if (!OnlyOptions(args, cmd, {"id", "user", "perm", "location", "warehouse"}, err)) return kError;
  auto id_text = args.Get("id");
  if (id_text && (args.Get("user") || args.Get("perm")))
    return Fail(err, cmd, "give either --id or --user and --perm, not both");
  std::optional<int64_t> id;
  OverrideKey key;
  if (id_text) {
    id = ParseCount(*id_text, cmd, "id", 1, INT64_MAX, err);
    if (!id) return kError;
  } else {
    auto user = args.Get("user");
    auto perm = args.Get("perm");
    if (!user || !perm) return Fail(err, cmd, "give --id N, or --user U and --perm P (with the override's scope)");
    key = {*user, *perm, args.Get("location"), args.Get("warehouse")};
  }
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  const SystemTime now = Now();
  if (id) {
    if (Status s = session->store->RemoveOverride(*id, CurrentActor(), now); !s.ok()) return Fail(err, cmd, s);
    out << "removed override #" << *id << "\n";
    return kOk;
  }
  auto n = session->store->RemoveOverrides(key, CurrentActor(), now);
  if (!n.ok()) return Fail(err, cmd, n.status());
  out << "removed " << *n << " override" << (*n == 1 ? "" : "s") << " of " << key.permission << " for "
      << Quoted(key.user) << "\n";
  return kOk;
}

int OverrideList(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string cmd = "override list";
  if (!OnlyOptions(args, cmd, {"user"}, err)) return kError;
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  auto list = session->store->ListOverrides(args.Get("user"));
  if (!list.ok()) return Fail(err, cmd, list.status());
  const SystemTime now = Now();
  if (args.Flag("json")) {
    json arr = json::array();
    for (const auto& o : *list) arr.push_back(OverrideToJson(o, now));
    out << json{{"overrides", arr}}.dump(2) << "\n";
    return kOk;
  }
  if (list->empty()) out << "no overrides\n";
  for (const auto& o : *list) {
    const auto& e = o.entry;
    out << "#" << e.id << " " << Quoted(o.user) << " " << EffectName(e.effect) << " " << e.permission
        << ScopeText(e);
    if (e.expires) out << (*e.expires <= now ? " EXPIRED " : " until ") << FormatUtcTime(*e.expires);
    out << " — added " << FormatUtcTime(o.created) << " by " << o.actor;
    if (!e.reason.empty()) out << ": " << e.reason;
    out << "\n";
  }
  return kOk;
}

int RunOverride(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "override", {"grant", "deny", "remove", "list"}, err);
  if (!sub) return kError;
  if (*sub != "list" && args.Flag("json")) return Fail(err, "override " + *sub, "--json applies to list only");
  if (*sub == "grant") return OverrideAdd(args, OverrideEffect::kGrant, out, err);
  if (*sub == "deny") return OverrideAdd(args, OverrideEffect::kDeny, out, err);
  if (*sub == "remove") return OverrideRemove(args, out, err);
  return OverrideList(args, out, err);
}

// --- limits ---

json ListJson(const std::optional<std::vector<std::string>>& l) { return l ? json(*l) : json(nullptr); }

std::string ListText(const std::optional<std::vector<std::string>>& l) {
  if (!l) return "no restriction";
  if (l->empty()) return "none at all";
  std::string s;
  for (const auto& n : *l) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// A place list from the comma form (--locations "A,B"; "" = none at all) or
// the repeatable one (--location A --location "Depot B, North"), whose values
// are taken whole. nullopt when neither was given.
std::optional<Result<std::vector<std::string>>> PlaceList(const Args& args, const std::string& plural,
                                                          const std::string& singular) {
  const auto comma_form = args.Get(plural);
  std::vector<std::string> repeated = args.GetAll(singular);
  if (comma_form && !repeated.empty())
    return Result<std::vector<std::string>>(
        InvalidArgument("give --" + plural + " or repeated --" + singular + ", not both"));
  if (comma_form) return ParseNameList(*comma_form, singular);
  if (repeated.empty()) return std::nullopt;
  for (const auto& name : repeated)
    if (Status s = ValidateName(name, singular); !s.ok()) return Result<std::vector<std::string>>(s);
  std::sort(repeated.begin(), repeated.end());
  repeated.erase(std::unique(repeated.begin(), repeated.end()), repeated.end());
  return Result<std::vector<std::string>>(std::move(repeated));
}

int RunLimits(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "limits", {"set", "show", "clear"}, err);
  if (!sub) return kError;
  const std::string cmd = "limits " + *sub;
  if (*sub != "show" && args.Flag("json")) return Fail(err, cmd, "--json applies to show only");
  if (*sub == "set") {
    if (!OnlyOptions(args, cmd, {"user", "locations", "warehouses", "location", "warehouse"}, err)) return kError;
    auto user = Required(args, cmd, "user", err);
    if (!user) return kError;
    if (Status s = ValidateUserName(*user); !s.ok()) return Fail(err, cmd, s);
    LimitsUpdate u;
    for (auto [plural, singular, field] : {std::tuple{"locations", "location", &u.locations},
                                           std::tuple{"warehouses", "warehouse", &u.warehouses}}) {
      auto list = PlaceList(args, plural, singular);
      if (!list) continue;
      if (!list->ok()) return Fail(err, cmd, list->status());
      *field = {true, **list};
    }
    if (!u.locations.change && !u.warehouses.change)
      return Fail(err, cmd,
                  "give --locations A,B and/or --warehouses X,Y (an empty value means none at all), or repeat "
                  "--location NAME / --warehouse NAME for names that hold a comma");
    auto session = OpenSession(args, cmd, err, false, args.Flag("create"));
    if (!session) return kError;
    if (Status s = session->store->UpdateLimits(*user, u, CurrentActor(), Now()); !s.ok()) return Fail(err, cmd, s);
    auto now_limits = session->store->GetLimits(*user);
    if (!now_limits.ok()) return Fail(err, cmd, now_limits.status());
    out << Quoted(*user) << ": locations: " << ListText(now_limits->locations)
        << "; warehouses: " << ListText(now_limits->warehouses) << "\n";
    return kOk;
  }
  if (*sub == "clear") {
    if (!OnlyOptions(args, cmd, {"user"}, err)) return kError;
    auto user = Required(args, cmd, "user", err);
    if (!user) return kError;
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    if (Status s = session->store->ClearLimits(*user, CurrentActor(), Now()); !s.ok()) return Fail(err, cmd, s);
    out << Quoted(*user) << ": limits cleared (no restriction from the store)\n";
    return kOk;
  }
  if (!OnlyOptions(args, cmd, {"user"}, err)) return kError;
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  std::vector<std::pair<std::string, UserLimits>> rows;
  if (auto user = args.Get("user")) {
    auto l = session->store->GetLimits(*user);
    if (!l.ok()) return Fail(err, cmd, l.status());
    rows.emplace_back(*user, *l);
  } else {
    auto all = session->store->ListLimits();
    if (!all.ok()) return Fail(err, cmd, all.status());
    rows = std::move(*all);
  }
  if (args.Flag("json")) {
    json arr = json::array();
    for (const auto& [u, l] : rows)
      arr.push_back({{"user", u}, {"locations", ListJson(l.locations)}, {"warehouses", ListJson(l.warehouses)}});
    out << json{{"limits", arr}}.dump(2) << "\n";
    return kOk;
  }
  if (rows.empty()) out << "no limits are set\n";
  for (const auto& [u, l] : rows)
    out << Quoted(u) << ": locations: " << ListText(l.locations) << "; warehouses: " << ListText(l.warehouses)
        << "\n";
  return kOk;
}

// --- history ---

int RunHistory(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "history", {"list", "prune"}, err, "list");
  if (!sub) return kError;
  if (*sub == "prune") {
    const std::string cmd = "history prune";
    if (!OnlyOptions(args, cmd, {"days"}, err)) return kError;
    if (args.Flag("json") || args.Flag("failed")) return Fail(err, cmd, "--json/--failed do not apply to prune");
    std::optional<int64_t> days;
    if (auto d = args.Get("days")) {
      days = ParseCount(*d, cmd, "days", 1, 36500, err);
      if (!days) return kError;
    }
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    if (!days) {
      if (!session->config) return Fail(err, cmd, "give --days N (or --config with store.history_retention_days)");
      days = session->config->store.history_retention_days;
      if (*days <= 0) return Fail(err, cmd, "store.history_retention_days is not set: history is kept forever");
    }
    const SystemTime now = Now();
    const SystemTime cutoff = now - std::chrono::hours(24) * *days;
    auto n = session->store->PruneHistory(cutoff, CurrentActor(), now);
    if (!n.ok()) return Fail(err, cmd, n.status());
    out << "removed " << *n << " login record" << (*n == 1 ? "" : "s") << " older than " << FormatUtcTime(cutoff)
        << "\n";
    return kOk;
  }
  const std::string cmd = "history";
  if (!OnlyOptions(args, cmd, {"user", "since", "limit"}, err)) return kError;
  HistoryQuery q;
  q.user = args.Get("user");
  q.failed_only = args.Flag("failed");
  if (auto s = args.Get("since")) {
    auto t = ParseAdminTime(*s, Now(), TimeDirection::kPast);
    if (!t.ok()) return Fail(err, cmd, t.status());
    q.since = *t;
  }
  if (auto l = args.Get("limit")) {
    auto n = ParseCount(*l, cmd, "limit", 1, 1'000'000, err);
    if (!n) return kError;
    q.limit = *n;
  }
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  auto rows = session->store->QueryHistory(q);
  if (!rows.ok()) return Fail(err, cmd, rows.status());
  if (args.Flag("json")) {
    json arr = json::array();
    for (const auto& r : *rows)
      arr.push_back({{"time", FormatUtcTime(r.time)},
                     {"user", r.user},
                     {"method", r.method},
                     {"source", r.source},
                     {"result", r.success ? "success" : "failure"},
                     {"reason", r.reason},
                     {"client", r.client},
                     {"client_address", r.client_address},
                     {"detail", r.detail},
                     {"typed_user", r.typed_user}});
    // ensure_ascii: every non-ASCII character as \uXXXX, so a bidi override or
    // a zero-width space in a name cannot disguise the output in a terminal.
    out << json{{"logins", arr}}.dump(2, ' ', true, json::error_handler_t::replace) << "\n";
    return kOk;
  }
  if (rows->empty()) out << "no login records\n";
  for (const auto& r : *rows) {
    // Every field escaped (common/display_text.h): names are stored as given.
    out << FormatUtcTime(r.time) << "  " << (r.success ? "ok    " : "FAILED") << "  " << Quoted(r.user) << "  "
        << r.method << (r.source.empty() ? "" : " (" + EscapeForDisplay(r.source) + ")") << "  " << r.reason
        << "  from " << (r.client_address.empty() ? "-" : EscapeForDisplay(r.client_address)) << "  "
        << EscapeForDisplay(r.client);
    if (!r.typed_user.empty() && r.typed_user != r.user) out << "  typed " << Quoted(r.typed_user);
    if (!r.detail.empty()) out << "  " << EscapeForDisplay(r.detail);
    out << "\n";
  }
  return kOk;
}

// --- audit ---

int RunAudit(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "audit", {"list", "verify"}, err);
  if (!sub) return kError;
  const std::string cmd = "audit " + *sub;
  if (*sub == "verify") {
    if (!OnlyOptions(args, cmd, {"anchor"}, err)) return kError;
    // --anchor SEQ:HASH — an entry's hash recorded elsewhere earlier (e.g. the
    // head printed by a previous verify): catches a chain rewritten from scratch.
    std::optional<std::pair<int64_t, std::string>> anchor;
    if (auto a = args.Get("anchor")) {
      auto colon = a->find(':');
      if (colon == std::string::npos || colon + 65 != a->size())
        return Fail(err, cmd, "--anchor must be SEQ:HASH (the 64-hex-digit hash of entry SEQ), got " + Quoted(*a));
      auto seq = ParseCount(a->substr(0, colon), cmd, "anchor sequence", 1, INT64_MAX, err);
      if (!seq) return kError;
      anchor = std::make_pair(*seq, a->substr(colon + 1));
    }
    if (args.Flag("json")) return Fail(err, cmd, "--json applies to list only");
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    if (Status s = session->store->CheckIntegrity(); !s.ok()) {
      err << "idbridgectl " << cmd << ": " << s.ToString() << "\n";
      return s.code() == ErrorCode::kDataLoss ? kFinding : kError;
    }
    auto report = session->store->VerifySecurityLog();
    if (!report.ok()) return Fail(err, cmd, report.status());
    if (!report->ok) {
      if (report->state_problems.empty()) {
        out << "FAILED: " << (report->bad_seq ? "entry " + std::to_string(report->bad_seq) + ": " : std::string())
            << report->problem << "\n";
      } else {
        out << "FAILED: the hash chain is intact but the store does not match it:\n";
        for (const auto& p : report->state_problems) out << "  " << p << "\n";
      }
      return kFinding;
    }
    if (anchor) {
      auto entry = session->store->ListSecurityLog(anchor->first - 1, 1);
      if (!entry.ok()) return Fail(err, cmd, entry.status());
      if (entry->empty() || entry->front().seq != anchor->first || entry->front().hash != anchor->second) {
        out << "FAILED: entry " << anchor->first << ": does not match the anchor (the log was rewritten or truncated)\n";
        return kFinding;
      }
    }
    out << "ok: " << report->entries << " entries, hash chain intact" << (anchor ? ", anchor matches" : "")
        << "; head " << report->entries << ":" << report->head_hash << "\n";
    return kOk;
  }
  if (!OnlyOptions(args, cmd, {"after", "limit"}, err)) return kError;
  int64_t after = 0, limit = 1000;
  if (auto a = args.Get("after")) {
    auto n = ParseCount(*a, cmd, "after", 0, INT64_MAX, err);
    if (!n) return kError;
    after = *n;
  }
  if (auto l = args.Get("limit")) {
    auto n = ParseCount(*l, cmd, "limit", 1, 1'000'000, err);
    if (!n) return kError;
    limit = *n;
  }
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  auto rows = session->store->ListSecurityLog(after, limit);
  if (!rows.ok()) return Fail(err, cmd, rows.status());
  auto parse = [](const std::string& text) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? json(text) : j;
  };
  if (args.Flag("json")) {
    json arr = json::array();
    for (const auto& e : *rows)
      arr.push_back({{"seq", e.seq},
                     {"time", FormatUtcTime(e.time)},
                     {"actor", e.event.actor},
                     {"action", e.event.action},
                     {"target", e.event.target},
                     {"before", parse(e.event.before)},
                     {"after", parse(e.event.after)},
                     {"hash", e.hash}});
    out << json{{"entries", arr}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
    return kOk;
  }
  if (rows->empty()) out << "no entries\n";
  for (const auto& e : *rows) {
    out << e.seq << "  " << FormatUtcTime(e.time) << "  " << e.event.actor << "  " << e.event.action << "  "
        << Quoted(e.event.target) << "\n    before: " << SanitizeForLog(e.event.before, 2000)
        << "\n    after:  " << SanitizeForLog(e.event.after, 2000) << "\n";
  }
  return kOk;
}

// --- local admin ---

int RunLocalAdmin(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "local-admin", {"set", "remove", "list"}, err);
  if (!sub) return kError;
  const std::string cmd = "local-admin " + *sub;
  if (args.Flag("json")) return Fail(err, cmd, "--json does not apply");
  if (*sub == "list") {
    if (!OnlyOptions(args, cmd, {}, err)) return kError;
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    auto admins = session->store->ListLocalAdmins();
    if (!admins.ok()) return Fail(err, cmd, admins.status());
    if (admins->empty()) out << "no local administrator (none exists by default)\n";
    for (const auto& a : *admins) out << Quoted(a) << "\n";
    return kOk;
  }
  if (!OnlyOptions(args, cmd, {"user"}, err)) return kError;
  auto user = Required(args, cmd, "user", err);
  if (!user) return kError;
  if (Status s = ValidateUserName(*user); !s.ok()) return Fail(err, cmd, s);
  if (*sub == "remove") {
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    if (Status s = session->store->RemoveLocalAdmin(*user, CurrentActor(), Now()); !s.ok()) return Fail(err, cmd, s);
    out << "removed local administrator " << Quoted(*user) << "\n";
    return kOk;
  }
  // Open the store first: a bad --store is reported before asking for a password.
  auto session = OpenSession(args, cmd, err, false, args.Flag("create"));
  if (!session) return kError;
  auto password = ReadNewPassword(0);
  if (!password.ok()) return Fail(err, cmd, password.status());
  if (Status s = CheckPasswordStrength(*password, *user); !s.ok()) return Fail(err, cmd, s);
  auto hash = HashPassword(*password);
  if (!hash.ok()) return Fail(err, cmd, hash.status());
  if (Status s = session->store->SetLocalAdmin(*user, *hash, CurrentActor(), Now()); !s.ok())
    return Fail(err, cmd, s);
  out << "local administrator " << Quoted(*user) << " set (PBKDF2-HMAC-SHA256, " << kDefaultPbkdf2Iterations
      << " iterations)\n";
  return kOk;
}

// --- offline credentials (cached for logins while every directory is down) ---

// Offline credentials are keyed by the account name lower-cased (ASCII), as
// the directory authenticator stores them: `--user Sam` finds "sam".
std::string LowerAscii(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int RunOffline(const Args& args, std::ostream& out, std::ostream& err) {
  auto sub = SubCommand(args, "offline", {"list", "forget"}, err);
  if (!sub) return kError;
  const std::string cmd = "offline " + *sub;
  if (*sub == "list") {
    if (!OnlyOptions(args, cmd, {"user"}, err)) return kError;
    std::optional<std::string> user = args.Get("user");
    if (user) {
      if (Status s = ValidateUserName(*user); !s.ok()) return Fail(err, cmd, s);
      user = LowerAscii(*user);
    }
    auto session = OpenSession(args, cmd, err, false, false);
    if (!session) return kError;
    auto rows = session->store->ListOfflineCredentials(user);
    if (!rows.ok()) return Fail(err, cmd, rows.status());
    const SystemTime now = Now();
    if (args.Flag("json")) {
      json arr = json::array();
      for (const auto& r : *rows)
        arr.push_back({{"directory", r.directory},
                       {"user", r.user},
                       {"stored", FormatUtcTime(r.stored_at)},
                       {"groups", r.groups},
                       {"iterations", r.iterations},
                       {"failures", r.failures},
                       {"locked_until", r.locked_until > now ? json(FormatUtcTime(r.locked_until)) : json(nullptr)}});
      out << json{{"offline_credentials", arr}}.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
      return kOk;
    }
    if (rows->empty()) out << "no cached offline credentials\n";
    for (const auto& r : *rows) {
      out << Quoted(r.directory) << "/" << Quoted(r.user) << "  stored " << FormatUtcTime(r.stored_at) << "  "
          << r.groups << " groups  " << r.failures << " offline failures";
      if (r.locked_until > now) out << "  LOCKED until " << FormatUtcTime(r.locked_until);
      out << "\n";
    }
    return kOk;
  }
  if (args.Flag("json")) return Fail(err, cmd, "--json does not apply");
  if (!OnlyOptions(args, cmd, {"user", "directory"}, err)) return kError;
  auto user = Required(args, cmd, "user", err);
  if (!user) return kError;
  if (Status s = ValidateUserName(*user); !s.ok()) return Fail(err, cmd, s);
  std::optional<std::string> directory = args.Get("directory");
  auto session = OpenSession(args, cmd, err, false, false);
  if (!session) return kError;
  const std::string name = LowerAscii(*user);
  auto n = session->store->ForgetOfflineCredentials(name, directory, CurrentActor(), Now());
  if (!n.ok()) return Fail(err, cmd, n.status());
  out << "forgot " << *n << " cached offline credential" << (*n == 1 ? "" : "s") << " of " << Quoted(name) << "\n";
  return kOk;
}

// --- init ---

// The only commands that create a store: `init`, and a write command given
// --create. Everything else refuses a missing file, so a store removed under a
// running idbridged is never silently replaced by an empty one.
int RunInit(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string cmd = "init";
  if (!args.positional().empty()) return Fail(err, cmd, "unexpected argument '" + args.positional()[0] + "'");
  if (!OnlyOptions(args, cmd, {}, err)) return kError;
  if (args.Flag("json")) return Fail(err, cmd, "--json does not apply");
  std::ostringstream missing;  // the "does not exist" of a first open is expected here
  if (auto existing = OpenSession(args, cmd, missing, false, false)) {
    auto report = existing->store->VerifySecurityLog();
    out << "the store already exists; left unchanged";
    if (report.ok()) out << " (" << report->entries << " security-log entries)";
    out << "\n";
    return kOk;
  }
  auto created = OpenSession(args, cmd, err, false, true);
  if (!created) return kError;
  out << "created an empty store (mode 0600, schema version " << kSchemaVersion << ")\n";
  return kOk;
}

// --- diff ---

int RunDiff(const Args& args, std::ostream& out, std::ostream& err) {
  const std::string cmd = "diff";
  if (!args.positional().empty()) return Fail(err, cmd, "unexpected argument '" + args.positional()[0] + "'");
  if (!OnlyOptions(args, cmd, {"against"}, err)) return kError;
  auto new_path = args.Get("config");
  if (!new_path) return Fail(err, cmd, "--config NEW.yaml is required (the configuration to try)");
  const std::string old_path = args.GetOr("against", kDefaultConfigPath);
  auto new_cfg = LoadConfigAt(*new_path, cmd, err);
  if (!new_cfg) return kError;
  auto old_cfg = LoadConfigAt(old_path, cmd, err);
  if (!old_cfg) return kError;
  // The store of the deployed configuration, unless --store says otherwise.
  std::string store_path = args.GetOr("store", old_cfg->store.path);
  if (store_path.empty()) return Fail(err, cmd, "no store: give --store PATH or set store.path");
  SqliteStoreOptions opts;
  opts.create_if_missing = false;
  auto store = OpenSqliteStore(store_path, opts);
  if (!store.ok()) return Fail(err, cmd, store.status());
  auto known = (*store)->ListKnownUsers();
  if (!known.ok()) return Fail(err, cmd, known.status());
  const SystemTime now = Now();
  std::vector<DiffInput> inputs;
  for (auto& k : *known) {
    auto adj = (*store)->AdjustmentsFor(k.identity.user, now);
    if (!adj.ok()) return Fail(err, cmd, adj.status());
    inputs.push_back({std::move(k.identity), std::move(*adj)});
  }
  DiffReport report = DiffPolicies(*old_cfg->policy, *new_cfg->policy, inputs, now);
  if (args.Flag("json")) {
    json j = report.ToJson();
    j["before"] = old_path;
    j["after"] = *new_path;
    out << j.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    out << report.ToText();
  }
  return report.changed.empty() ? kOk : kFinding;
}

}  // namespace

std::vector<Command> StoreCommands() {
  const std::set<std::string> common = {"store"};
  auto with = [&](std::set<std::string> s) {
    s.insert(common.begin(), common.end());
    return s;
  };
  return {
      {"override", "per-user permission overrides: grant|deny|remove|list",
       {with({"user", "perm", "location", "warehouse", "expires", "reason", "id"}), {"json", "create"}}, RunOverride},
      {"limits", "per-user location/warehouse limits: set|show|clear",
       {with({"user", "locations", "warehouses", "location", "warehouse"}), {"json", "create"}}, RunLimits},
      {"history", "login history [--user U] [--since T] [--failed]; history prune [--days N]",
       {with({"user", "since", "limit", "days"}), {"failed", "json"}}, RunHistory},
      {"audit", "security log: list | verify (hash chain; exit 1 on tampering)",
       {with({"after", "limit", "anchor"}), {"json"}}, RunAudit},
      {"local-admin", "break-glass local administrator: set|remove|list (none by default)",
       {with({"user"}), {"json", "create"}}, RunLocalAdmin},
      {"offline", "cached offline-login credentials: list [--user U] | forget --user U [--directory D]",
       {with({"user", "directory"}), {"json"}}, RunOffline},
      {"init", "create the store (the only command that does, besides a write command given --create)",
       {with({}), {"json"}}, RunInit},
      {"diff", "what-if: who gains/loses what under --config NEW.yaml vs --against the current one",
       {with({"against"}), {"json"}}, RunDiff},
  };
}

}  // namespace idb::ctl
