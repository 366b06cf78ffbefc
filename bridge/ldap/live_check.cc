#include "ldap/live_check.h"

#include <map>
#include <set>

#include "core/dn.h"
#include "ldap/ad_account.h"
#include "ldap/directory_config.h"
#include "ldap/filter.h"
#include "ldap/group_resolver.h"
#include "ldap/ldap_authenticator.h"

namespace idb::ldap {
namespace {

struct Named {
  Matcher::Kind kind;
  std::string value;
  std::string rule;
  SourceRef where;
};

void Collect(const Matcher& m, const Rule& rule, std::vector<Named>* out) {
  switch (m.kind) {
    case Matcher::Kind::kGroupDn:
    case Matcher::Kind::kGroupSid:
    case Matcher::Kind::kGroupCn:
      out->push_back({m.kind, m.value, rule.name, m.where.line > 0 ? m.where : rule.where});
      break;
    default:
      break;
  }
  for (const auto& c : m.children) Collect(c, rule, out);
}

bool EndsWithDn(const std::string& dn_key, const std::string& base_key) {
  if (base_key.empty()) return true;
  if (dn_key.size() < base_key.size()) return false;
  if (dn_key.compare(dn_key.size() - base_key.size(), base_key.size(), base_key) != 0) return false;
  return dn_key.size() == base_key.size() || dn_key[dn_key.size() - base_key.size() - 1] == ',';
}

}  // namespace

LiveCheckReport LiveCheck(const Config& config, std::ostream& out) {
  LiveCheckReport report;
  std::vector<Diagnostic> errors, warnings;
  std::vector<DirectoryConfig> dirs = ParseDirectories(config.directories, config.path, &errors, &warnings, config.dir);
  for (const auto& d : errors) {
    out << "error: " << d.ToString() << "\n";
    ++report.errors;
  }
  for (const auto& d : warnings) out << "warning: " << d.ToString() << "\n";
  report.warnings += static_cast<int>(warnings.size());
  if (dirs.empty()) {
    out << "live check: no directories configured\n";
    return report;
  }

  std::vector<Named> named;
  if (config.policy) {
    for (const auto& rule : config.policy->rules()) Collect(rule.match, rule, &named);
  }

  for (auto& dir : dirs) {
    const std::string name = dir.name;
    auto auth = LdapAuthenticator::Create(dir);
    if (!auth.ok()) {
      out << "error: directory '" << name << "': " << auth.status().message() << "\n";
      ++report.errors;
      continue;
    }
    bool any_up = false;
    for (const auto& [uri, st] : (*auth)->ProbeServers()) {
      if (st.ok()) {
        out << "ok: directory '" << name << "' server " << uri << " answers and accepts the service account\n";
        any_up = true;
      } else {
        out << "warning: directory '" << name << "' server " << uri << ": " << st.message() << "\n";
        ++report.warnings;
      }
    }
    if (!any_up) {
      out << "error: directory '" << name << "': no server could be asked; groups not checked\n";
      ++report.errors;
      continue;
    }
    const std::string base_key = DnKey(dir.GroupBase());
    std::vector<std::string> filters;
    std::vector<const Named*> asked;
    int checked = 0;
    for (const auto& n : named) {
      std::string filter;
      if (n.kind == Matcher::Kind::kGroupDn) {
        if (!EndsWithDn(DnKey(n.value), base_key)) {
          if (dirs.size() == 1) {
            out << "warning: " << n.where.ToString() << ": rule '" << n.rule << "': group DN '" << n.value
                << "' is outside directory '" << name << "' group_search_base '" << dir.GroupBase() << "'\n";
            ++report.warnings;
          }
          continue;
        }
        filter = "dn:" + n.value;
      } else if (n.kind == Matcher::Kind::kGroupSid) {
        if (!dir.IsActiveDirectory()) continue;
        auto bin = SidFromString(n.value.size() > 2 && (n.value[0] == 's') ? "S" + n.value.substr(1) : n.value);
        if (!bin.ok()) continue;
        filter = "(objectSid=" + EscapeBinaryFilterValue(*bin) + ")";
      } else {
        filter = "(&" + dir.group_filter + "(cn=" + EscapeFilterValue(n.value) + "))";
      }
      filters.push_back(filter);
      asked.push_back(&n);
    }
    auto found = (*auth)->GroupsMatch(filters);
    if (!found.ok()) {
      out << "error: directory '" << name << "': looking groups up failed: " << found.status().message() << "\n";
      ++report.errors;
      continue;
    }
    for (size_t i = 0; i < asked.size(); ++i) {
      ++checked;
      if ((*found)[i]) continue;
      const Named& n = *asked[i];
      const char* what = n.kind == Matcher::Kind::kGroupDn ? "group DN" : n.kind == Matcher::Kind::kGroupSid ? "group SID" : "group CN";
      out << "warning: " << n.where.ToString() << ": rule '" << n.rule << "': " << what << " '" << n.value
          << "' does not exist in directory '" << name << "'\n";
      ++report.warnings;
    }
    out << "live check: directory '" << name << "': " << checked << " group references checked\n";
  }
  return report;
}

}  // namespace idb::ldap
