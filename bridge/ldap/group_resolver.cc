#include "ldap/group_resolver.h"

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>

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

using GroupPtr = std::shared_ptr<const GroupInfo>;

GroupPtr Share(GroupInfo info) { return std::make_shared<const GroupInfo>(std::move(info)); }

// Reads one group (cache first). A group that no longer exists yields a bare
// entry (cn from its DN, no parents) rather than failing the login.
Result<GroupPtr> ReadGroup(Connection& conn, const std::string& dn, GroupCache* cache,
                           std::chrono::system_clock::time_point now) {
  const std::string key = DnKey(dn);
  if (cache) {
    if (GroupPtr hit = cache->Get(key, now)) return hit;
  }
  auto r = conn.Search(dn, LDAP_SCOPE_BASE, "(objectClass=*)", kGroupAttrs);
  if (!r.ok() && r.status().code() != ErrorCode::kNotFound) return r.status();
  GroupInfo info;
  if (r.ok() && !r->empty()) {
    info = InfoFromEntry(r->front());
  } else {
    info.dn = dn;
    info.cn = FirstCnOf(dn);
  }
  GroupPtr shared = Share(std::move(info));
  if (cache) cache->Put(key, shared, now);
  return shared;
}

// Breadth-first from the direct groups over `parents_of`, giving each reached
// group its path. `fetch` returns a group's info (may hit the directory).
template <typename Fetch>
Result<std::vector<DirectoryGroup>> Walk(const std::vector<GroupPtr>& direct, int depth_limit, bool nested, Fetch fetch) {
  std::vector<DirectoryGroup> out;
  std::unordered_set<std::string> seen;
  struct Item {
    GroupPtr info;
    std::vector<std::string> via;
  };
  std::deque<Item> queue;
  for (const auto& g : direct) {
    if (seen.insert(DnKey(g->dn)).second) queue.push_back({g, {}});
  }
  while (!queue.empty()) {
    Item item = std::move(queue.front());
    queue.pop_front();
    const GroupInfo& info = *item.info;
    const bool deeper = nested && static_cast<int>(item.via.size()) < depth_limit;
    if (deeper) {
      for (const auto& parent : info.parents) {
        if (!seen.insert(DnKey(parent)).second) continue;  // cycle or already reached by a shorter path
        auto parent_info = fetch(parent);
        if (!parent_info.ok()) return parent_info.status();
        std::vector<std::string> via = item.via;
        via.push_back(info.cn);
        queue.push_back({std::move(*parent_info), std::move(via)});
      }
    }
    out.push_back(DirectoryGroup{info.dn, info.cn, info.sid, std::move(item.via)});
  }
  return out;
}

}  // namespace

std::string DnKey(const std::string& dn) {
  auto n = NormalizeDn(dn);
  return n.ok() ? *n : AsciiLower(dn);
}

std::shared_ptr<const GroupInfo> GroupCache::Get(const std::string& key, std::chrono::system_clock::time_point now) {
  if (ttl_.count() <= 0) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.stored >= ttl_) return nullptr;
  return it->second.info;
}

void GroupCache::Put(const std::string& key, std::shared_ptr<const GroupInfo> info,
                     std::chrono::system_clock::time_point now) {
  if (ttl_.count() <= 0 || !info) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.size() > 100000) entries_.clear();  // memory bound
  entries_[key] = Cached{std::move(info), now};
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
  // 1. Direct groups. From memberOf only the DN is known yet: `complete`
  // says which entries still need their own read (cn, sid, parents).
  std::vector<GroupPtr> direct;
  std::vector<bool> complete;
  if (c.group_membership == GroupMembership::kMemberSearch) {
    const std::string filter = "(&" + c.group_filter + "(" + c.member_attribute + "=" + EscapeFilterValue(user.dn) + "))";
    auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, filter, kGroupAttrs, c.page_size);
    if (!r.ok()) return r.status();
    for (const auto& e : *r) {
      direct.push_back(Share(InfoFromEntry(e)));
      complete.push_back(true);
    }
  } else {
    for (const auto& dn : user.Values("memberof")) {
      GroupInfo g;
      g.dn = dn;
      g.cn = FirstCnOf(dn);
      direct.push_back(Share(std::move(g)));
      complete.push_back(false);
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
        GroupPtr info = cache ? cache->Get(key, now) : nullptr;
        if (!info) {
          auto r = conn.Search(base, LDAP_SCOPE_SUBTREE, "(objectSid=" + EscapeBinaryFilterValue(*bin) + ")", kGroupAttrs);
          if (!r.ok()) return r.status();
          if (!r->empty()) {
            info = Share(InfoFromEntry(r->front()));
            if (cache) cache->Put(key, info, now);
          }
        }
        if (info && !info->dn.empty()) {
          direct.push_back(std::move(info));
          complete.push_back(true);
        }
      }
    }
  }

  if (!c.nested_groups) {
    return Walk(direct, 0, false, [](const std::string&) -> Result<GroupPtr> { return Internal("unused"); });
  }

  // 3. Nesting.
  if (c.nested_method == NestedMethod::kIterative) {
    // Direct groups read from memberOf need their own entry (cn, sid, parents).
    for (size_t i = 0; i < direct.size(); ++i) {
      if (complete[i]) continue;
      auto info = ReadGroup(conn, direct[i]->dn, cache, now);
      if (!info.ok()) return info.status();
      direct[i] = std::move(*info);
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
  std::map<std::string, GroupPtr> by_key;
  for (const auto& e : all) by_key[DnKey(e.dn)] = Share(InfoFromEntry(e));
  for (auto& g : direct) {
    auto it = by_key.find(DnKey(g->dn));
    if (it != by_key.end()) g = it->second;
  }
  auto walked = Walk(direct, c.nested_depth_limit, true, [&](const std::string& dn) -> Result<GroupPtr> {
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
    if (!reached.count(key)) walked->push_back(DirectoryGroup{info->dn, info->cn, info->sid, {"(nested)"}});
  }
  return walked;
}

}  // namespace idb::ldap
