#include "slapd_server.h"

#include <ldap.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace idb::testing {
namespace {

std::string RandomPassword() {
  std::random_device rd;
  static const char kChars[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string s;
  for (int i = 0; i < 24; ++i) s.push_back(kChars[rd() % (sizeof kChars - 1)]);
  return s;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// True when a simple bind as `dn` works on `uri` (plain LDAP).
bool CanBind(const std::string& uri, const std::string& dn, const std::string& pw) {
  LDAP* ld = nullptr;
  if (ldap_initialize(&ld, uri.c_str()) != LDAP_SUCCESS) return false;
  const int v3 = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
  timeval tv{1, 0};
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
  berval cred{pw.size(), const_cast<char*>(pw.data())};
  const int rc = ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  ldap_unbind_ext_s(ld, nullptr, nullptr);
  return rc == LDAP_SUCCESS;
}

}  // namespace

std::string SlapdServer::WithMemberOf(const std::string& ldif) {
  // Records are separated by blank lines; we handle plain "attr: value" lines
  // (our fixtures use no folding or base64 for dn/member).
  std::vector<std::vector<std::string>> records(1);
  std::istringstream in(ldif);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      if (!records.back().empty()) records.emplace_back();
      continue;
    }
    records.back().push_back(line);
  }
  auto value_of = [](const std::string& line, const std::string& attr) -> std::optional<std::string> {
    if (line.size() > attr.size() + 1 && Lower(line.substr(0, attr.size() + 1)) == attr + ":" && line[attr.size() + 1] == ' ') {
      return line.substr(attr.size() + 2);
    }
    return std::nullopt;
  };
  std::map<std::string, std::vector<std::string>> member_of;  // lower(member DN) → group DNs
  for (const auto& rec : records) {
    std::string dn;
    for (const auto& l : rec) {
      if (auto v = value_of(l, "dn")) dn = *v;
      if (auto v = value_of(l, "member")) member_of[Lower(*v)].push_back(dn);
    }
  }
  std::string out;
  for (const auto& rec : records) {
    if (rec.empty()) continue;
    std::string dn;
    for (const auto& l : rec) {
      out += l + "\n";
      if (auto v = value_of(l, "dn")) dn = *v;
    }
    auto it = member_of.find(Lower(dn));
    if (it != member_of.end()) {
      for (const auto& g : it->second) out += "memberOf: " + g + "\n";
    }
    out += "\n";
  }
  return out;
}

Result<std::unique_ptr<SlapdServer>> SlapdServer::Start(SlapdOptions o) {
  std::unique_ptr<SlapdServer> s(new SlapdServer());
  s->options_ = o;
  s->dir_ = o.dir.empty() ? MakeTempDir("idb-slapd") : o.dir;
  if (s->dir_.empty()) return Internal("cannot make a temp dir for slapd");
  mkdir(s->dir_.c_str(), 0700);
  const std::string db = s->dir_ + "/db";
  mkdir(db.c_str(), 0700);
  s->root_dn_ = "cn=admin," + o.suffix;
  s->root_password_ = RandomPassword();

  // TLS material.
  std::string cert, key;
  std::optional<TestCa> own_ca;
  if (o.ca == nullptr) {
    auto ca = TestCa::Create(s->dir_);
    if (!ca.ok()) return ca.status();
    own_ca = std::move(*ca);
  }
  const TestCa& ca = o.ca ? *o.ca : *own_ca;
  auto pair = ca.IssueServerCert("slapd", {}, s->dir_);
  if (!pair.ok()) return pair.status();
  s->ca_file_ = ca.ca_file();
  std::tie(cert, key) = *pair;

  s->ldap_port_ = o.ldap_port ? o.ldap_port : FreePort();
  s->ldaps_port_ = o.ldaps_port ? o.ldaps_port : FreePort();
  if (s->ldap_port_ <= 0 || s->ldaps_port_ <= 0) return Internal("no free port");

  std::ostringstream conf;
  conf << "# slapd.conf written by tests/support/slapd_server.cc\n"
       << "include /etc/ldap/schema/core.schema\n"
       << "include /etc/ldap/schema/cosine.schema\n"
       << "include /etc/ldap/schema/inetorgperson.schema\n"
       << "include /etc/ldap/schema/nis.schema\n"
       << "modulepath /usr/lib/ldap\n"
       << "moduleload back_mdb\nmoduleload memberof\nmoduleload refint\nmoduleload ppolicy\n"
       << "pidfile " << s->dir_ << "/slapd.pid\n"
       << "argsfile " << s->dir_ << "/slapd.args\n"
       << "TLSCACertificateFile " << s->ca_file_ << "\n"
       << "TLSCertificateFile " << cert << "\n"
       << "TLSCertificateKeyFile " << key << "\n"
       << "sizelimit 500\n"
       << "database mdb\n"
       << "maxsize " << o.max_size_bytes << "\n"
       << "suffix \"" << o.suffix << "\"\n"
       << "rootdn \"" << s->root_dn_ << "\"\n"
       << "rootpw " << s->root_password_ << "\n"
       << "directory " << db << "\n"
       << "index objectClass eq\nindex uid eq\nindex cn eq\nindex member eq\n"
       << "limits dn.exact=\"" << o.service_dn << "\" size=unlimited\n"
       << "access to attrs=userPassword by self =xw by anonymous auth by * none\n"
       << "access to dn.subtree=\"ou=Groups," << o.suffix << "\" by dn.exact=\"" << o.service_dn
       << "\" read by users read by * none\n"
       << "access to * by dn.exact=\"" << o.service_dn << "\" read by self read by users search by * none\n"
       << "overlay memberof\nmemberof-refint TRUE\n"
       << "overlay refint\nrefint_attributes member\n"
       << "overlay ppolicy\nppolicy_default \"cn=default,ou=Policies," << o.suffix << "\"\n";
  const std::string conf_path = s->dir_ + "/slapd.conf";
  if (!WriteFile(conf_path, conf.str(), 0600)) return Internal("cannot write " + conf_path);

  std::string ldif;
  for (const auto& f : o.ldif_files) {
    std::string text = ReadFile(f);
    if (text.empty()) return NotFound("LDIF fixture missing or empty: " + f);
    ldif += text + "\n\n";
  }
  ldif += o.ldif_text;
  const std::string seed = s->dir_ + "/seed.ldif";
  if (!WriteFile(seed, WithMemberOf(ldif), 0600)) return Internal("cannot write " + seed);
  auto r = RunCommand({"slapadd", "-q", "-f", conf_path, "-l", seed});
  if (r.exit_code != 0) return Internal("slapadd failed: " + r.output);
  IDB_RETURN_IF_ERROR(s->Launch());
  return s;
}

Status SlapdServer::Launch() {
  const std::string urls = "ldap://127.0.0.1:" + std::to_string(ldap_port_) + "/ ldaps://127.0.0.1:" +
                           std::to_string(ldaps_port_) + "/";
  const std::string log = dir_ + "/slapd.log";
  if (!process_.Start({"slapd", "-d", "0", "-f", dir_ + "/slapd.conf", "-h", urls}, log)) {
    return Internal("cannot start slapd");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  const std::string uri = "ldap://127.0.0.1:" + std::to_string(ldap_port_);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) return Internal("slapd exited at start; its log:\n" + ReadFile(log));
    if (CanBind(uri, root_dn_, root_password_)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  process_.Stop();
  return DeadlineExceeded("slapd did not accept a bind within 20 s; its log:\n" + ReadFile(log));
}

SlapdServer::~SlapdServer() {
  Stop();
  if (!options_.keep_dir) RemoveTree(dir_);
}

void SlapdServer::Stop() { process_.Stop(); }
void SlapdServer::Kill() { process_.Kill(); }
void SlapdServer::Pause() {
  if (process_.pid() > 0) kill(process_.pid(), SIGSTOP);
}
void SlapdServer::Resume() {
  if (process_.pid() > 0) kill(process_.pid(), SIGCONT);
}

Status SlapdServer::Restart() {
  if (process_.Running()) return Status::Ok();
  return Launch();
}

Status SlapdServer::Modify(const std::string& ldif, bool add) {
  std::vector<std::string> argv = {"ldapmodify", "-x", "-H", "ldap://127.0.0.1:" + std::to_string(ldap_port_), "-D",
                                   root_dn_, "-w", root_password_};
  if (add) argv.push_back("-a");
  auto r = RunCommand(argv, ldif, std::chrono::seconds(30));
  if (r.exit_code != 0) return Internal("ldapmodify failed: " + r.output);
  return Status::Ok();
}

}  // namespace idb::testing
