// identity.h — what an authenticator learned about a user, the engine's input.
//
// Why: LDAP, OIDC and the local administrator all end in the same shape, so the
// mapping engine (pure, no I/O) never knows where a user came from except
// through `source` ("ldap:corp", "oidc:entra", "local").
// Thread-safety: plain values.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace idb {

struct DirectoryGroup {
  std::string dn;   // as the directory returned it (normalised by the engine)
  std::string cn;   // common name, or the group name for OIDC groups/roles
  std::string sid;  // AD objectSid in S-1-5-... form; empty elsewhere
  // How the group was reached: empty = direct member; otherwise the nesting
  // path from the user's direct group to this one, e.g. {"Senior Mechanics"}
  // for Mechanics reached through Senior Mechanics.
  std::vector<std::string> via;
};

struct Identity {
  std::string user;    // canonical login name (sAMAccountName, uid, preferred_username…)
  std::string source;  // "ldap:<directory>", "oidc:<provider>", "local"
  std::vector<DirectoryGroup> groups;
  // Attributes/claims exposed to rules (department, title, mail…); multi-valued.
  std::map<std::string, std::vector<std::string>> claims;
  // The end user's machine as the login named it (core/ip_network.h
  // NormalizeClientAddress: a canonical IP literal or a lower-case host name);
  // empty = not given. Set by the daemon, not by authenticators.
  std::string client_address = {};
};

}  // namespace idb
