#include "samba_dc.h"

#include <ldap.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <thread>

namespace idb::testing {
namespace {

bool PortInUse(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool busy = bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0;
  close(fd);
  return busy;
}

bool Executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }

bool CanBind(const std::string& uri, const std::string& who, const std::string& pw) {
  LDAP* ld = nullptr;
  if (ldap_initialize(&ld, uri.c_str()) != LDAP_SUCCESS) return false;
  const int v3 = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval tv{2, 0};
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv);
  berval cred{pw.size(), const_cast<char*>(pw.data())};
  const int rc = ldap_sasl_bind_s(ld, who.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
  ldap_unbind_ext_s(ld, nullptr, nullptr);
  return rc == LDAP_SUCCESS;
}

}  // namespace

std::string SambaDc::CannotRunReason() {
  if (geteuid() != 0) return "Samba AD DC needs root (running as uid " + std::to_string(geteuid()) + ")";
  for (const char* bin : {"/usr/sbin/samba", "/usr/bin/samba-tool"}) {
    if (!Executable(bin)) {
      return std::string(bin) + " is missing: install samba samba-ad-dc samba-ad-provision samba-dsdb-modules "
                                "samba-vfs-modules winbind (.ci/install-deps test)";
    }
  }
  for (int port : {389, 636}) {
    if (PortInUse(port)) return "port " + std::to_string(port) + " on 127.0.0.1 is already in use (another directory server?)";
  }
  return "";
}

Status SambaDc::Tool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"samba-tool"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--configfile=" + conf_);
  auto r = RunCommand(argv, "", std::chrono::seconds(120));
  if (r.exit_code != 0) {
    std::string cmd;
    for (const auto& a : args) cmd += " " + a;
    return Internal("samba-tool" + cmd + " failed: " + r.output);
  }
  return Status::Ok();
}

Result<std::unique_ptr<SambaDc>> SambaDc::Start() {
  if (std::string why = CannotRunReason(); !why.empty()) return FailedPrecondition(why);
  std::unique_ptr<SambaDc> s(new SambaDc());
  s->dir_ = MakeTempDir("idb-samba");
  if (s->dir_.empty()) return Internal("cannot make a temp dir for samba");
  s->admin_password_ = "Adm1n-" + std::to_string(getpid()) + "-Test!";
  IDB_RETURN_IF_ERROR(s->Provision());
  IDB_RETURN_IF_ERROR(s->Launch());
  return s;
}

Status SambaDc::Provision() {
  auto r = RunCommand({"samba-tool", "domain", "provision", "--targetdir=" + dir_, "--realm=FLEET.TEST",
                       "--domain=FLEET", "--server-role=dc", "--dns-backend=NONE", "--use-rfc2307",
                       "--adminpass=" + admin_password_, "--option=interfaces = lo",
                       "--option=bind interfaces only = yes"},
                      "", std::chrono::seconds(300));
  if (r.exit_code != 0) return FailedPrecondition("samba-tool domain provision failed: " + r.output);
  conf_ = dir_ + "/etc/smb.conf";

  auto ca = TestCa::Create(dir_);
  if (!ca.ok()) return ca.status();
  auto cert = ca->IssueServerCert("samba", {"dc.fleet.test"}, dir_);
  if (!cert.ok()) return cert.status();
  ca_file_ = ca->ca_file();

  for (const char* sub : {"/cache", "/run", "/log", "/winbindd", "/ntp_signd"}) {
    const std::string d = dir_ + sub;
    mkdir(d.c_str(), 0750);
    chmod(d.c_str(), 0750);  // samba refuses looser permissions on ntp_signd
  }
  std::string conf = ReadFile(conf_);
  // Appended at the end of [global] so they win over what provision copied
  // from the machine's /etc/samba/smb.conf.
  const std::string extra =
      "\tldap server require strong auth = no\n"
      "\tserver services = ldap, cldap, kdc\n"
      "\ttls enabled = yes\n"
      "\ttls keyfile = " + cert->second + "\n"
      "\ttls certfile = " + cert->first + "\n"
      "\ttls cafile = " + ca_file_ + "\n"
      "\tlog file = " + dir_ + "/log/samba.log\n"
      "\tpid directory = " + dir_ + "/run\n"
      "\twinbindd socket directory = " + dir_ + "/winbindd\n"
      "\tntp signd socket directory = " + dir_ + "/ntp_signd\n"
      "\tcache directory = " + dir_ + "/cache\n";
  const size_t global = conf.find("[global]");
  if (global == std::string::npos) return Internal("provisioned smb.conf has no [global] section");
  size_t end = conf.find("\n[", global);
  end = end == std::string::npos ? conf.size() : end + 1;
  conf.insert(end, extra + "\n");
  if (!WriteFile(conf_, conf, 0644)) return Internal("cannot rewrite " + conf_);

  // Demo users and groups (the AD side of tests/fixtures/demo-company.ldif).
  const std::string pw = kUserPassword;
  struct User {
    const char* name;
    const char* given;
    const char* sn;
    const char* dept;
    const char* title;
  };
  const User users[] = {{"alice", "Alice", "Smith", "Maintenance", "Senior Mechanic"},
                        {"mike", "Mike", "Wrench", "Maintenance", "Mechanic"},
                        {"dave", "Dave", "Disabled", "Maintenance", "Mechanic"},
                        {"emma", "Emma", "Expired", "Depot A", "Clerk"},
                        {"nick", "Nick", "Newpass", "Depot B", "Clerk"},
                        {"lara", "Lara", "Locked", "IT", "Analyst"}};
  IDB_RETURN_IF_ERROR(Tool({"domain", "passwordsettings", "set", "--account-lockout-threshold=3",
                            "--account-lockout-duration=30", "--reset-account-lockout-after=30"}));
  IDB_RETURN_IF_ERROR(Tool({"user", "create", kServiceUser, kServicePassword, "--use-username-as-cn"}));
  for (const auto& u : users) {
    IDB_RETURN_IF_ERROR(Tool({"user", "create", u.name, pw, std::string("--given-name=") + u.given,
                              std::string("--surname=") + u.sn, std::string("--department=") + u.dept,
                              std::string("--job-title=") + u.title,
                              std::string("--mail-address=") + u.name + "@fleet.test"}));
  }
  for (const char* g : {"Mechanics", "Senior Mechanics", "Depot A Staff"}) IDB_RETURN_IF_ERROR(Tool({"group", "add", g}));
  IDB_RETURN_IF_ERROR(Tool({"group", "addmembers", "Mechanics", "Senior Mechanics,mike,dave"}));
  IDB_RETURN_IF_ERROR(Tool({"group", "addmembers", "Senior Mechanics", "alice"}));
  IDB_RETURN_IF_ERROR(Tool({"group", "addmembers", "Depot A Staff", "alice,emma"}));
  IDB_RETURN_IF_ERROR(Tool({"user", "disable", "dave"}));
  IDB_RETURN_IF_ERROR(Tool({"user", "setexpiry", "emma", "--days=0"}));
  IDB_RETURN_IF_ERROR(Tool({"user", "setpassword", "nick", "--newpassword=" + pw, "--must-change-at-next-login"}));
  return Status::Ok();
}

Status SambaDc::Launch() {
  const std::string log = dir_ + "/log/samba-stdout.log";
  if (!process_.Start({"samba", "-F", "--no-process-group", "-s", conf_}, log)) return Internal("cannot start samba");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.Running()) {
      return FailedPrecondition("samba exited at start; its log:\n" + ReadFile(log) + ReadFile(dir_ + "/log/samba.log"));
    }
    if (CanBind("ldap://127.0.0.1:389", "Administrator@fleet.test", admin_password_)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  process_.Stop();
  return DeadlineExceeded("samba did not accept a bind within 60 s; its log:\n" + ReadFile(log));
}

SambaDc::~SambaDc() {
  process_.Stop(std::chrono::milliseconds(10000));
  if (std::getenv("IDB_KEEP_TEST_DIRS") == nullptr) RemoveTree(dir_);  // keep for post-mortems
}

}  // namespace idb::testing
