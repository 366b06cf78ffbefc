// password_change_e2e_test.cc — "Change Password" at sign-in end to end: the
// plugin against an in-process idbridged whose directory is a real slapd with
// ppolicy (must change after an administrator's reset, minimum length), and
// the example fleet-host offering the change. Checks the public answers, the
// user-showable policy reason, the history and security log (never a
// password), and the refusal for a directory reached without TLS.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "daemon/daemon_server.h"
#include "daemon/log.h"
#include "daemon_test_env.h"
#include "idbridge.h"
#include "slapd_server.h"

namespace {

using idb::daemon::DaemonServer;
using idb::daemon::testing::DaemonTestEnv;

const char* const kUsers[] = {"mara", "fred", "nils"};

std::string PolicyLdif() {
  std::string ldif =
      "dn: cn=strict,ou=Policies,dc=fleet,dc=test\n"
      "objectClass: device\nobjectClass: pwdPolicy\ncn: strict\n"
      "pwdAttribute: userPassword\npwdMustChange: TRUE\npwdAllowUserChange: TRUE\n"
      "pwdMinLength: 8\npwdCheckQuality: 2\npwdInHistory: 3\n\n";
  for (const char* uid : kUsers) {
    ldif += std::string("dn: uid=") + uid + ",ou=People,dc=fleet,dc=test\nobjectClass: inetOrgPerson\nuid: " + uid +
            "\ncn: " + uid + "\nsn: " + uid + "\nuserPassword: " + uid +
            "-old-pw1\npwdPolicySubentry: cn=strict,ou=Policies,dc=fleet,dc=test\n\n";
  }
  return ldif;
}

class PasswordChangeE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (server_) return;
    idb::testing::SlapdOptions o;
    o.ldif_files = {std::string(IDB_SOURCE_DIR) + "/tests/fixtures/demo-company.ldif"};
    o.ldif_text = PolicyLdif();
    auto s = idb::testing::SlapdServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    idb::daemon::Log::SetQuiet(true);
  }
  void TearDown() override {
    if (client_) idb_client_close(client_);
  }
  // The test config plus one directory (LDAPS with the test CA, or plain LDAP).
  void StartDaemon(bool tls) {
    env_.WriteConfig();
    idb::testing::WriteFile(env_.dir() + "/bind.pw", "svc-test-password\n", 0600);
    std::string config = idb::testing::ReadFile(env_.config_path());
    config += "directories:\n"
              "  - name: demo\n"
              "    preset: openldap\n"
              "    uris: [" + (tls ? server_->ldaps_uri() : server_->ldap_uri()) + "]\n" +
              (tls ? "" : "    insecure: true\n") +
              "    ca_file: " + server_->ca_file() + "\n"
              "    bind_dn: cn=idbridge-svc,ou=Services,dc=fleet,dc=test\n"
              "    bind_password_file: " + env_.dir() + "/bind.pw\n"
              "    user_search_base: ou=People,dc=fleet,dc=test\n"
              "    group_search_base: ou=Groups,dc=fleet,dc=test\n";
    env_.WriteRawConfig(config);
    auto s = DaemonServer::Start(env_.Options());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    daemon_ = std::move(s).value();
    idb_client_options o = IDB_CLIENT_OPTIONS_INIT;
    o.socket_path = env_.socket_path().c_str();
    o.application = "pwchange_e2e";
    ASSERT_EQ(idb_client_open(&o, &client_), IDB_OK);
  }
  static void AdminReset(const std::string& uid, const std::string& pw) {
    ASSERT_TRUE(server_
                    ->Modify("dn: uid=" + uid + ",ou=People,dc=fleet,dc=test\nchangetype: modify\nreplace: userPassword\n"
                             "userPassword: " + pw + "\n-\nreplace: pwdReset\npwdReset: TRUE\n")
                    .ok());
  }
  idb_status Login(const char* user, const char* pw) {
    idb_session* s = nullptr;
    idb_status st = idb_login(client_, user, pw, &s);
    idb_session_close(s);
    return st;
  }
  idb_status Change(const char* user, const char* old_pw, const char* new_pw, const char* address = nullptr) {
    idb_password_change r = IDB_PASSWORD_CHANGE_INIT;
    r.user = user;
    r.old_password = old_pw;
    r.new_password = new_pw;
    r.client_address = address;
    return idb_change_password(client_, &r);
  }
  static std::string LastError() {
    char buf[512];
    idb_last_error(buf, sizeof(buf));
    return buf;
  }

  static inline idb::testing::SlapdServer* server_ = nullptr;
  DaemonTestEnv env_;
  std::unique_ptr<DaemonServer> daemon_;
  idb_client* client_ = nullptr;
};

TEST_F(PasswordChangeE2e, MustChangeUserChangesThroughThePluginThenSignsIn) {
  AdminReset("mara", "mara-reset-pw");
  StartDaemon(/*tls=*/true);
  ASSERT_EQ(Login("mara", "mara-reset-pw"), IDB_E_MUST_CHANGE_PASSWORD) << LastError();

  EXPECT_EQ(Change("mara", "mara-reset-pw", "short", "203.0.113.9"), IDB_E_PASSWORD_POLICY);
  EXPECT_NE(LastError().find("too short"), std::string::npos) << LastError();

  ASSERT_EQ(Change("mara", "not-the-password", "Mara-New-Pw-2"), IDB_E_BAD_CREDENTIALS);
  const std::string wrong = LastError();
  ASSERT_EQ(Change("nobody-at-all", "not-the-password", "Mara-New-Pw-2"), IDB_E_BAD_CREDENTIALS);
  EXPECT_EQ(LastError(), wrong);

  ASSERT_EQ(Change("mara", "mara-reset-pw", "Mara-New-Pw-2", "203.0.113.9"), IDB_OK) << LastError();
  // The test rules map no directory user: "no profile" means the password was accepted.
  EXPECT_EQ(Login("mara", "Mara-New-Pw-2"), IDB_E_NO_PROFILE) << LastError();
  EXPECT_EQ(Login("mara", "mara-reset-pw"), IDB_E_BAD_CREDENTIALS);

  daemon_->core().FlushHistory();
  auto store = env_.OpenStore();
  auto history = store->QueryHistory({});
  ASSERT_TRUE(history.ok());
  std::vector<std::string> reasons;
  for (const auto& h : *history) {
    if (h.method == "password_change") reasons.push_back(h.user + ":" + h.reason);
    EXPECT_EQ((h.detail + h.client).find("Mara-New"), std::string::npos) << h.detail;
    EXPECT_EQ((h.detail + h.client).find("reset-pw"), std::string::npos) << h.detail;
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"mara:policy_too_short", "mara:bad_credentials",
                                               "nobody-at-all:unknown_user", "mara:password_changed"}));
  auto log = store->ListSecurityLog(0, 1000);
  ASSERT_TRUE(log.ok());
  bool changed = false;
  for (const auto& e : *log) {
    const std::string all = e.event.actor + e.event.target + e.event.before + e.event.after;
    EXPECT_EQ(all.find("Mara-New"), std::string::npos);
    if (e.event.action == "password.change" && e.event.target == "mara") {
      changed = true;
      EXPECT_NE(e.event.after.find("ldap:demo"), std::string::npos) << e.event.after;
      EXPECT_NE(e.event.actor.find("addr=203.0.113.9"), std::string::npos) << e.event.actor;
    }
  }
  EXPECT_TRUE(changed);
}

TEST_F(PasswordChangeE2e, DirectoryWithoutTlsRefusesClearly) {
  StartDaemon(/*tls=*/false);
  EXPECT_EQ(Change("fred", "fred-old-pw1", "Fred-New-Pw-2"), IDB_E_UNSUPPORTED);
  EXPECT_NE(LastError().find("TLS"), std::string::npos) << LastError();
  // The same answer for a user who does not exist.
  const std::string known = LastError();
  EXPECT_EQ(Change("nobody-at-all", "fred-old-pw1", "Fred-New-Pw-2"), IDB_E_UNSUPPORTED);
  EXPECT_EQ(LastError(), known);
}

// Runs fleet-host with `input` on stdin; returns its exit status and output.
int RunFleetHost(const std::vector<std::string>& args, const std::string& input, std::string* output) {
  int in[2], out[2];
  if (::pipe(in) != 0 || ::pipe(out) != 0) return -1;
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(out[1], 2);
    ::close(in[1]);
    ::close(out[0]);
    std::vector<char*> argv = {const_cast<char*>(FLEET_HOST_PATH)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof(buf))) > 0) output->append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(PasswordChangeE2e, FleetHostOffersTheChangeAndAsksTwice) {
  AdminReset("nils", "nils-reset-pw");
  StartDaemon(/*tls=*/true);
  const std::vector<std::string> args = {"--plugin", IDB_PLUGIN_PATH, "--socket", env_.socket_path(), "--user", "nils"};
  std::string out;
  EXPECT_EQ(RunFleetHost(args, "nils-reset-pw\nNils-New-Pw-2\nNils-Other-Pw-3\n", &out), 2) << out;
  EXPECT_NE(out.find("the two new passwords differ"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunFleetHost(args, "nils-reset-pw\nshort\nshort\n", &out), 2) << out;
  EXPECT_NE(out.find("too short"), std::string::npos) << out;
  out.clear();
  RunFleetHost(args, "nils-reset-pw\nNils-New-Pw-2\nNils-New-Pw-2\n", &out);
  EXPECT_NE(out.find("You must change your password."), std::string::npos) << out;
  EXPECT_NE(out.find("Password changed."), std::string::npos) << out;
  // Then signed in with the new password (no profile is mapped in the test rules).
  EXPECT_NE(out.find("no security profile"), std::string::npos) << out;
  EXPECT_EQ(Login("nils", "Nils-New-Pw-2"), IDB_E_NO_PROFILE);
}

}  // namespace
