#include "ldap/group_resolver.h"

#include <deque>
#include <set>

#include "core/dn.h"
#include "ldap/ad_account.h"
#include "ldap/filter.h"

namespace idb::ldap {
namespace {

constexpr const char* kInChainOid = "1.2.840.113556.1.4.1941";

GroupInfo InfoFromEntry(const Entry& e) {
  GroupInfo g;
  g.dn = e.dn;
  g.cn = e.First("cn");
  if (g.cn.empty()) g.cn = FirstCnOf(e.dn);
  if (auto sid = SidToString(e.First("objectsid")); sid.ok()) g.sid = *sid;
  g.parents = e.Values("memberof");
  return g;
}

const std::vector<std::string> kGroupAttrs = {"cn", "objectSid", "memberOf"};

// Reads one group (cache first). A group that no longer exists yields a bare
// entry (cn from its DN, no parents) rather than failing the login.
Result<GroupInfo> ReadGroup(Connection& conn, const std::string& dn, GroupCache* cache,
                            std::chrono::system_clock::time_point now) {
  const std::string key = DnKey(dn);
  GroupInfo info;
  if (cache && cache->Get(key, now, &info)) return info;
  auto r = conn.Search(dn, LDAP_SCOPE_BASE, "(objectClass=*)", kGroupAttrs);
  if (!r.ok() && r.status().code() != ErrorCode::kNotFound) return r.status();
  if (r.ok() && !r->empty()) {
    info = InfoFromEntry(r->front());
  } else {
    info.dn = dn;
    info.cn = FirstCnOf(dn);
  }
  if (cache) cache->Put(key, info, now);
  return info;
}

// Breadth-first from the direct groups over `parents_of`, giving each reached
// group its path. `fetch` returns a group's info (may hit the directory).
template <typename Fetch>
Result<std::vector<DirectoryGroup>> Walk(const std::vector<GroupInfo>& direct, int depth_limit, bool nested, Fetch fetch) {
  std::vector<DirectoryGroup> out;
  std::set<std::string> seen;
  struct Item {
    GroupInfo info;
    std::vector<std::string> via;
  };
  std::deque<Item> queue;
  for (const auto& g : direct) {
    if (seen.insert(DnKey(g.dn)).second) queue.push_back({g, {}});
  }
  while (!queue.empty()) {
    Item item = std::move(queue.front());
    queue.pop_front();
    out.push_back(DirectoryGroup{item.info.dn, item.info.cn, item.info.sid, item.via});
    if (!nested || static_cast<int>(item.via.size()) >= depth_limit) continue;
    for (const auto& parent : item.info.parents) {
      if (!seen.insert(DnKey(parent)).second) continue;  // cycle or already reached by a shorter path
      auto info = fetch(parent);
      if (!info.ok()) return info.status();
      std::vector<std::string> via = item.via;
      via.push_back(item.info.cn);
      queue.push_back({std::move(*info), std::move(via)});
    }
  }
  return out;
}

}  // namespace

std::string DnKey(const std::string& dn) {
  auto n = NormalizeDn(dn);
  return n.ok() ? *n : AsciiLower(dn);
}

bool GroupCache::Get(const std::string& key, std::chrono::system_clock::time_point now, GroupInfo* out) {
  if (ttl_.count() <= 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.second >= ttl_) return false;
  *out = it->second.first;
  return true;
}

void GroupCache::Put(const std::string& key, GroupInfo info, std::chrono::system_clock::time_point now) {
  if (ttl_.count() <= 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() > 100000) entries_.clear();  // memory bound
  entries_[key] = {std::move(info), now};
}

std::vector<std::string> UserAttributesForGroups(const DirectoryConfig& c) {
  std::vector<std::string> a = {"memberOf"};
  if (c.primary_group) {
    a.push_back("objectSid");
    a.push_back("primaryGroupID");
  }
  return a;
}

Result<std::vector<DirectoryGroup>> ResolveGroups(Connection& conn, const DirectoryConfig& c, const Entry& user,
                                                  GroupCache* cache, std::chrono::system_clock::time_point now) {
  const std::string base = c.GroupBase();
  // 1. Direct groups.
  std::vector<GroupInfo> direct;
  if (c.group_membership == GroupMembership::kMemberSearch) {
    const std::string filter = "(&" + c.group_filter + "(" + c.member_attribute + "=" + EscapeFilterValue(user.dn) + "))";
    auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, filter, kGroupAttrs, c.page_size);
    if (!r.ok()) return r.status();
    for (const auto& e : *r) direct.push_back(InfoFromEntry(e));
  } else {
    for (const auto& dn : user.Values("memberof")) {
      GroupInfo g;
      g.dn = dn;
      g.cn = FirstCnOf(dn);
      direct.push_back(std::move(g));
    }
  }

  // 2. Primary group (AD): domain SID of the user + primaryGroupID.
  if (c.primary_group) {
    const std::string rid = user.First("primarygroupid");
    auto user_sid = SidToString(user.First("objectsid"));
    if (!rid.empty() && user_sid.ok()) {
      uint32_t rid_n = 0;
      try {
        rid_n = static_cast<uint32_t>(std::stoul(rid));
      } catch (...) {
        rid_n = 0;
      }
      auto group_sid = SidWithRid(*user_sid, rid_n);
      auto bin = group_sid.ok() ? SidFromString(*group_sid) : Result<std::string>(group_sid.status());
      if (rid_n != 0 && bin.ok()) {
        const std::string key = "sid:" + *group_sid;
        GroupInfo info;
        if (!(cache && cache->Get(key, now, &info))) {
          auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, "(objectSid=" + EscapeBinaryFilterValue(*bin) + ")", kGroupAttrs);
          if (!r.ok()) return r.status();
          if (!r->empty()) {
            info = InfoFromEntry(r->front());
            if (cache) cache->Put(key, info, now);
          }
        }
        if (!info.dn.empty()) direct.push_back(info);
      }
    }
  }

  if (!c.nested_groups) {
    return Walk(direct, 0, false, [](const std::string&) -> Result<GroupInfo> { return Internal("unused"); });
  }

  // 3. Nesting.
  if (c.nested_method == NestedMethod::kIterative) {
    // Direct groups read from memberOf need their own entry (cn, sid, parents).
    for (auto& g : direct) {
      if (!g.parents.empty() || !g.sid.empty()) continue;
      auto info = ReadGroup(conn, g.dn, cache, now);
      if (!info.ok()) return info.status();
      g = std::move(*info);
    }
    return Walk(direct, c.nested_depth_limit, true,
                [&](const std::string& dn) { return ReadGroup(conn, dn, cache, now); });
  }

  // AD: the whole transitive set in one go, then provenance from memberOf.
  std::vector<Entry> all;
  if (c.nested_method == NestedMethod::kInChain) {
    const std::string filter = "(&" + c.group_filter + "(" + c.member_attribute + ":" + kInChainOid + ":=" +
                               EscapeFilterValue(user.dn) + "))";
    auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, filter, kGroupAttrs, c.page_size);
    if (!r.ok()) return r.status();
    all = std::move(*r);
  } else {
    auto tg = conn.Search(user.dn, LDAP_SCOPE_BASE, "(objectClass=*)", {"tokenGroups"});
    if (!tg.ok()) return tg.status();
    std::vector<std::string> sids = tg->empty() ? std::vector<std::string>{} : tg->front().Values("tokengroups");
    for (size_t i = 0; i < sids.size(); i += 100) {
      std::string filter = "(|";
      for (size_t k = i; k < std::min(sids.size(), i + 100); ++k) filter += "(objectSid=" + EscapeBinaryFilterValue(sids[k]) + ")";
      filter += ")";
      auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, filter, kGroupAttrs, c.page_size);
      if (!r.ok()) return r.status();
      for (auto& e : *r) all.push_back(std::move(e));
    }
  }
  std::map<std::string, GroupInfo> by_key;
  for (const auto& e : all) by_key[DnKey(e.dn)] = InfoFromEntry(e);
  for (auto& g : direct) {
    auto it = by_key.find(DnKey(g.dn));
    if (it != by_key.end()) g = it->second;
  }
  auto walked = Walk(direct, c.nested_depth_limit, true, [&](const std::string& dn) -> Result<GroupInfo> {
    auto it = by_key.find(DnKey(dn));
    if (it != by_key.end()) return it->second;
    // A parent outside the IN_CHAIN/tokenGroups answer — e.g. BUILTIN\Users,
    // reached through the primary group, which AD does not link by `member`.
    return ReadGroup(conn, dn, cache, now);
  });
  if (!walked.ok()) return walked;
  // Groups the server reported but the walk did not reach (depth limit,
  // missing memberOf): still the user's groups; their path is unknown.
  std::set<std::string> reached;
  for (const auto& g : *walked) reached.insert(DnKey(g.dn));
  for (const auto& [key, info] : by_key) {
    if (!reached.count(key)) walked->push_back(DirectoryGroup{info.dn, info.cn, info.sid, {"(nested)"}});
  }
  return walked;
}

}  // namespace idb::ldap
