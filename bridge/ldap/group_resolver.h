// group_resolver.h — a user's groups, direct and nested, with provenance.
//
// Why: rules name groups, and users are often members only through nesting
// (Senior Mechanics is a member of Mechanics). IT must see how each group was
// reached, so every DirectoryGroup carries `via`: empty for a direct group,
// else the path from the user's direct group, e.g. {"Senior Mechanics"}.
// Methods (DirectoryConfig::nested_method):
//  - iterative (OpenLDAP): breadth-first over each group's memberOf, with
//    cycle detection (a visited set) and a depth limit;
//  - in_chain (AD): one search with LDAP_MATCHING_RULE_IN_CHAIN
//    (member:1.2.840.113556.1.4.1941:=<user DN>), paged;
//  - token_groups (AD): the user's tokenGroups SIDs (base-scope read), then
//    the groups with those objectSids.
// AD's primary group (primaryGroupID + the user's domain SID, e.g. Domain
// Users) is added as a direct group when configured.
// The nesting structure (a group's cn, objectSid and parent groups) is cached
// for group_cache_ttl; the user's own membership is always read fresh.
// Ownership: GroupCache owns its entries. Thread-safety: GroupCache is safe
// for concurrent use; ResolveGroups uses the caller's connection only.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "core/identity.h"
#include "ldap/connection.h"
#include "ldap/directory_config.h"

namespace idb::ldap {

struct GroupInfo {
  std::string dn;
  std::string cn;
  std::string sid;                   // S-1-5-… or ""
  std::vector<std::string> parents;  // memberOf DNs as returned
};

// Entries are immutable and shared: a lookup hands out a reference-counted
// pointer, not a copy of the group's DN, cn and parent list (a login with 20
// groups did 20 such copies under the lock).
class GroupCache {
 public:
  explicit GroupCache(std::chrono::seconds ttl) : ttl_(ttl) {}
  // Null when absent, expired, or caching is off (ttl 0).
  std::shared_ptr<const GroupInfo> Get(const std::string& key, std::chrono::system_clock::time_point now);
  void Put(const std::string& key, std::shared_ptr<const GroupInfo> info, std::chrono::system_clock::time_point now);

 private:
  struct Cached {
    std::shared_ptr<const GroupInfo> info;
    std::chrono::system_clock::time_point stored;
  };
  const std::chrono::seconds ttl_;
  std::mutex mu_;
  std::unordered_map<std::string, Cached> entries_;  // guarded by mu_
};

// Attributes ResolveGroups needs on the user entry (add them to the user search).
std::vector<std::string> UserAttributesForGroups(const DirectoryConfig& config);

// The user's groups. `user` is the entry found by the user search (with the
// attributes above). Fails (fail closed) when the directory cannot answer.
Result<std::vector<DirectoryGroup>> ResolveGroups(Connection& conn, const DirectoryConfig& config, const Entry& user,
                                                  GroupCache* cache, std::chrono::system_clock::time_point now);

// Normal form of a DN for comparisons (core's RFC 4514 normaliser; ASCII
// lower-case when the DN does not parse).
std::string DnKey(const std::string& dn);

}  // namespace idb::ldap
