// The end user's address: IP/CIDR parsing, client address validation, the
// `client_network` rule matcher (validation with file:line:col, evaluation,
// explanation).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/golden.h"
#include "core/ip_network.h"
#include "temp_dir.h"
#include "test_policy.h"

namespace idb {
namespace {

using ::testing::HasSubstr;
using idb::testing::Errors;
using idb::testing::MakePolicy;
const SystemTime kNow = SystemTime(std::chrono::hours(24 * 365 * 50));

IpAddress Ip(const std::string& s) {
  auto a = ParseIpAddress(s);
  EXPECT_TRUE(a.ok()) << s;
  return a.ok() ? *a : IpAddress{};
}

IpNetwork Net(const std::string& s) {
  auto n = ParseIpNetwork(s);
  EXPECT_TRUE(n.ok()) << s << ": " << n.status().ToString();
  return n.ok() ? *n : IpNetwork{};
}

TEST(IpNetwork, ParsesIpv4AndIpv6Literals) {
  EXPECT_EQ(Ip("10.20.3.4").ToString(), "10.20.3.4");
  EXPECT_FALSE(Ip("10.20.3.4").v6);
  EXPECT_EQ(Ip("2001:DB8:0:0::7").ToString(), "2001:db8::7");
  EXPECT_TRUE(Ip("::1").v6);
  EXPECT_EQ(Ip("::ffff:10.1.2.3").ToString(), "10.1.2.3");  // IPv4-mapped = IPv4
}

TEST(IpNetwork, RefusesAnythingButALiteral) {
  for (const char* bad : {"", "10.20.3", "10.20.3.256", "010.1.1.1x", "1.2.3.4:80", "[::1]", "fe80::1%eth0",
                          "host.example", " 10.0.0.1", "10.0.0.1 ", "::g", "1.2.3.4/8"}) {
    EXPECT_FALSE(ParseIpAddress(bad).ok()) << bad;
  }
}

TEST(IpNetwork, ContainsByPrefix) {
  EXPECT_TRUE(Net("10.20.0.0/16").Contains(Ip("10.20.255.1")));
  EXPECT_FALSE(Net("10.20.0.0/16").Contains(Ip("10.21.0.1")));
  EXPECT_TRUE(Net("10.20.0.0/14").Contains(Ip("10.23.1.1")));
  EXPECT_FALSE(Net("10.20.0.0/14").Contains(Ip("10.24.1.1")));
  EXPECT_TRUE(Net("0.0.0.0/0").Contains(Ip("203.0.113.9")));
  EXPECT_FALSE(Net("0.0.0.0/0").Contains(Ip("::1")));  // families never mix
  EXPECT_TRUE(Net("10.0.0.7").Contains(Ip("10.0.0.7")));  // a bare address is one host
  EXPECT_FALSE(Net("10.0.0.7").Contains(Ip("10.0.0.8")));
  EXPECT_TRUE(Net("2001:db8::/32").Contains(Ip("2001:db8:ffff::1")));
  EXPECT_FALSE(Net("2001:db8::/33").Contains(Ip("2001:db8:8000::1")));
  EXPECT_TRUE(Net("10.0.0.0/8").Contains(Ip("::ffff:10.9.9.9")));
  EXPECT_EQ(Net("2001:DB8::/32").ToString(), "2001:db8::/32");
}

TEST(IpNetwork, BadNetworksAreExplained) {
  EXPECT_THAT(ParseIpNetwork("10.20.1.0/16").status().message(), HasSubstr("host bits set (did you mean 10.20.0.0/16?)"));
  EXPECT_THAT(ParseIpNetwork("10.20.0.0/33").status().message(), HasSubstr("at most 32"));
  EXPECT_THAT(ParseIpNetwork("2001:db8::/129").status().message(), HasSubstr("at most 128"));
  EXPECT_THAT(ParseIpNetwork("10.20.0.0/").status().message(), HasSubstr("prefix length"));
  EXPECT_THAT(ParseIpNetwork("10.20.0.0/1a").status().message(), HasSubstr("not a number"));
  EXPECT_THAT(ParseIpNetwork("10.20.0.0/-1").status().message(), HasSubstr("not a number"));
  EXPECT_THAT(ParseIpNetwork("depot-a/16").status().message(), HasSubstr("is not a network"));
}

TEST(ClientAddress, IpLiteralsAreCanonicalNamesLowerCase) {
  EXPECT_EQ(*NormalizeClientAddress("10.20.3.4"), "10.20.3.4");
  EXPECT_EQ(*NormalizeClientAddress("2001:0DB8::0007"), "2001:db8::7");
  EXPECT_EQ(*NormalizeClientAddress("::ffff:10.1.2.3"), "10.1.2.3");
  EXPECT_EQ(*NormalizeClientAddress("Depot-A-PC12.Fleet.Example"), "depot-a-pc12.fleet.example");
  EXPECT_EQ(*NormalizeClientAddress("pc12"), "pc12");
}

TEST(ClientAddress, AnythingElseIsRefused) {
  for (const char* bad : {"", " ", "10.20.3.4 ", "10.20.3.300", "1.2.3.4:80", "[::1]", "fe80::1%eth0",
                          "-pc", "pc-", "a..b", ".pc", "pc.", "http://pc", "p c", "pc\n", "pc\u200b",
                          "ali\u202ece", "pc_12", "pc;rm"}) {
    EXPECT_FALSE(NormalizeClientAddress(bad).ok()) << bad;
  }
  EXPECT_FALSE(NormalizeClientAddress(std::string(64, 'a')).ok());  // a label over 63
  EXPECT_FALSE(NormalizeClientAddress(std::string(200, 'a').insert(60, ".").insert(120, ".").insert(180, ".") + ".bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").ok());
  std::string ok_name = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
                        std::string(61, 'd');
  EXPECT_EQ(ok_name.size(), 253u);
  EXPECT_TRUE(NormalizeClientAddress(ok_name).ok());
  EXPECT_FALSE(NormalizeClientAddress(ok_name + "d").ok());
}

std::string NetRule(const std::string& network) {
  return "version: 1\nrules:\n  - name: depot-a-lan\n    match: { client_network: \"" + network +
         "\" }\n    grant_profiles: [viewer]\n";
}

TEST(ClientNetworkRule, BadNetworksAreReportedAtTheirPosition) {
  EXPECT_THAT(Errors(NetRule("10.20.1.0/16")),
              HasSubstr("rules.yaml:4:30: 'client_network': '10.20.1.0/16' has host bits set (did you mean 10.20.0.0/16?)"));
  EXPECT_THAT(Errors(NetRule("10.20.0.0/40")), HasSubstr("rules.yaml:4:30: 'client_network': '10.20.0.0/40': the prefix"));
  EXPECT_THAT(Errors(NetRule("2001:db8::/200")), HasSubstr("rules.yaml:4:30: 'client_network'"));
  EXPECT_THAT(Errors(NetRule("depot-a")), HasSubstr("rules.yaml:4:30: 'client_network': 'depot-a' is not a network"));
  EXPECT_THAT(Errors(NetRule("")), HasSubstr("'client_network' must not be empty"));
  EXPECT_THAT(Errors("version: 1\nrules:\n  - name: r\n    match: { client_network: [10.0.0.0/8] }\n"
                     "    grant_profiles: [viewer]\n"),
              HasSubstr("rules.yaml:4:30: 'client_network' must be a string"));
  EXPECT_EQ(Errors(NetRule("10.20.0.0/16")), "");
  EXPECT_EQ(Errors(NetRule("2001:db8::/32")), "");
}

Identity From(const std::string& address) {
  Identity id;
  id.user = "u";
  id.source = "ldap:corp";
  id.groups.push_back({"CN=Mechanics,OU=Groups,DC=fleet,DC=test", "Mechanics", "", {}});
  id.client_address = address;
  return id;
}

TEST(ClientNetworkRule, MatchesOnlyAddressesInsideTheNetwork) {
  auto p = MakePolicy(NetRule("10.20.0.0/16"));
  EXPECT_TRUE(Evaluate(*p, From("10.20.3.4"), {}, kNow).login_allowed());
  EXPECT_FALSE(Evaluate(*p, From("10.21.3.4"), {}, kNow).login_allowed());
  EXPECT_FALSE(Evaluate(*p, From("2001:db8::1"), {}, kNow).login_allowed());
  // No address, or a host name: the network cannot be shown to hold.
  EXPECT_FALSE(Evaluate(*p, From(""), {}, kNow).login_allowed());
  EXPECT_FALSE(Evaluate(*p, From("pc12.fleet.example"), {}, kNow).login_allowed());
  auto v6 = MakePolicy(NetRule("2001:db8::/32"));
  EXPECT_TRUE(Evaluate(*v6, From("2001:db8:1::9"), {}, kNow).login_allowed());
  EXPECT_FALSE(Evaluate(*v6, From("2001:db9::9"), {}, kNow).login_allowed());
}

TEST(ClientNetworkRule, CombinesWithGroupsAndDenies) {
  auto p = MakePolicy(
      "version: 1\nrules:\n"
      "  - name: mechanics\n    match: { group_cn: Mechanics }\n    grant_profiles: [editor]\n"
      "  - name: outside-depot-lan\n    match: { not: { client_network: 10.20.0.0/16 } }\n"
      "    deny: [work_orders.edit]\n");
  auto inside = Evaluate(*p, From("10.20.0.9"), {}, kNow);
  auto outside = Evaluate(*p, From("192.0.2.1"), {}, kNow);
  auto unknown = Evaluate(*p, From(""), {}, kNow);
  EXPECT_TRUE(inside.Check("work_orders.edit", "Depot A", ""));
  EXPECT_FALSE(outside.Check("work_orders.edit", "Depot A", ""));
  EXPECT_TRUE(outside.Check("work_orders.view", "Depot A", ""));
  EXPECT_FALSE(unknown.Check("work_orders.edit", "Depot A", ""));  // not shown inside: the deny holds
}

TEST(ClientNetworkRule, ExplanationNamesTheNetworkAndTheAddress) {
  auto p = MakePolicy(NetRule("10.20.0.0/16"));
  Explanation ex = Explain(*p, From("10.20.3.4"), {}, kNow);
  ASSERT_EQ(ex.matched_rules.size(), 1u);
  ASSERT_EQ(ex.matched_rules[0].reasons.size(), 1u);
  EXPECT_EQ(ex.matched_rules[0].reasons[0].matcher, "client_network");
  EXPECT_EQ(ex.matched_rules[0].reasons[0].pattern, "10.20.0.0/16");
  EXPECT_EQ(ex.matched_rules[0].reasons[0].matched, "10.20.3.4");
  EXPECT_EQ(ex.ToJson()["client_address"], "10.20.3.4");
  EXPECT_THAT(ex.ToText(), HasSubstr("user u (ldap:corp) from 10.20.3.4"));
  EXPECT_THAT(ex.ToText(), HasSubstr("because client_network 10.20.0.0/16 matched 10.20.3.4"));
}

TEST(ClientNetworkRule, ExplanationTextEscapesDisguisedNames) {
  auto p = MakePolicy(NetRule("10.20.0.0/16"));
  Identity id = From("10.20.3.4");
  id.user = "ali\u200Bce\u202E";
  const std::string text = Explain(*p, id, {}, kNow).ToText();
  EXPECT_THAT(text, HasSubstr("user ali\\u{200B}ce\\u{202E} (ldap:corp)"));
  EXPECT_EQ(text.find("\u202E"), std::string::npos);
}

TEST(ClientNetworkRule, GoldenCasesCanGiveTheClientAddress) {
  auto p = MakePolicy(NetRule("10.20.0.0/16"));
  idb::testing::TempDir dir;
  const std::string file = dir.Write("cases.yaml",
                                     "version: 1\ncases:\n"
                                     "  - name: inside\n    client_address: 10.20.9.9\n    expect: { login: true }\n"
                                     "  - name: outside\n    client_address: 10.30.9.9\n    expect: { login: false }\n"
                                     "  - name: none\n    expect: { login: false }\n");
  GoldenReport ok = RunGoldenTests(*p, file);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(ok.cases, 3);
  const std::string bad = dir.Write("bad.yaml",
                                    "version: 1\ncases:\n"
                                    "  - name: typo\n    client_address: 10.20.9.300\n    expect: { login: true }\n");
  GoldenReport r = RunGoldenTests(*p, bad);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_THAT(r.errors[0].ToString(), HasSubstr("bad.yaml:4:21: 'client_address': the client address is neither"));
}

}  // namespace
}  // namespace idb
