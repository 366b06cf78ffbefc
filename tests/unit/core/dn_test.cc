// Tests for the RFC 4514 DN parser/normaliser (core/dn.h).
#include "core/dn.h"

#include <gtest/gtest.h>

#include <random>

namespace idb {
namespace {

TEST(Dn, NormalisesCaseAndSpacesAroundSeparators) {
  EXPECT_EQ(*NormalizeDn("CN=Mechanics, OU=Groups , DC=fleet,DC=Test"), "cn=mechanics,ou=groups,dc=fleet,dc=test");
  EXPECT_EQ(*NormalizeDn("cn = Mechanics,ou=Groups,dc=fleet,dc=test"), "cn=mechanics,ou=groups,dc=fleet,dc=test");
}

TEST(Dn, EscapedCommaIsPartOfTheValue) {
  auto dn = ParseDn("CN=Smith\\, John,OU=People,DC=x");
  ASSERT_TRUE(dn.ok());
  ASSERT_EQ(dn->rdns.size(), 3u);
  EXPECT_EQ(dn->rdns[0].attributes[0].value, "Smith, John");
  EXPECT_EQ(dn->Normalized(), "cn=smith\\, john,ou=people,dc=x");
}

TEST(Dn, HexEscapeEqualsCharacterEscape) {
  EXPECT_TRUE(SameDn("CN=Smith\\2C John,DC=x", "cn=smith\\, john,dc=x"));
  EXPECT_TRUE(SameDn("CN=Caf\\C3\\A9,DC=x", "CN=Café,DC=x"));
}

TEST(Dn, HexStringValueIsKept) {
  auto n = NormalizeDn("UID=#04024869,DC=x");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, "uid=#04024869,dc=x");
}

TEST(Dn, MultiValuedRdnIsOrderIndependent) {
  EXPECT_TRUE(SameDn("CN=A+OU=B,DC=x", "ou=b + cn=a,dc=x"));
  auto dn = ParseDn("CN=A+OU=B,DC=x");
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->rdns[0].attributes.size(), 2u);
}

TEST(Dn, OidTypesMapToNames) {
  EXPECT_TRUE(SameDn("2.5.4.3=Mechanics,0.9.2342.19200300.100.1.25=test", "CN=Mechanics,DC=test"));
  EXPECT_TRUE(SameDn("OID.2.5.4.3=Mechanics,DC=test", "CN=Mechanics,DC=test"));
}

TEST(Dn, EscapedLeadingAndTrailingSpacesAreKept) {
  auto dn = ParseDn("CN=\\ lead and trail\\ ,DC=x");
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->rdns[0].attributes[0].value, " lead and trail ");
  EXPECT_FALSE(SameDn("CN=\\ a,DC=x", "CN=a,DC=x"));
}

TEST(Dn, QuotedValuesAreAccepted) {
  EXPECT_TRUE(SameDn("CN=\"Smith, John\",DC=x", "CN=Smith\\, John,DC=x"));
}

TEST(Dn, FirstCnIsTheLeftmostCn) {
  EXPECT_EQ(FirstCnOf("CN=Fleet Managers,OU=Groups,DC=fleet,DC=test"), "Fleet Managers");
  EXPECT_EQ(FirstCnOf("OU=Groups,DC=x"), "");
  EXPECT_EQ(FirstCnOf("not a dn"), "");
}

TEST(Dn, EmptyStringIsTheRootDn) {
  auto dn = ParseDn("");
  ASSERT_TRUE(dn.ok());
  EXPECT_TRUE(dn->rdns.empty());
}

TEST(Dn, EscapeDnValueEscapesSpecials) {
  EXPECT_EQ(EscapeDnValue("Smith, J+K"), "Smith\\, J\\+K");
  EXPECT_EQ(EscapeDnValue(" #lead"), "\\ #lead");
  EXPECT_EQ(EscapeDnValue("trail "), "trail\\ ");
  EXPECT_EQ(EscapeDnValue("a\"b\\c<d>e;f=g"), "a\\\"b\\\\c\\<d\\>e\\;f\\=g");
  // Round trip: an escaped value parses back to itself.
  auto dn = ParseDn("CN=" + EscapeDnValue(" x,y+z\\ ") + ",DC=t");
  ASSERT_TRUE(dn.ok());
  EXPECT_EQ(dn->rdns[0].attributes[0].value, " x,y+z\\ ");
}

TEST(Dn, NormalizeIntoMatchesNormalize) {
  std::string buf;
  for (const char* s : {"CN=A,DC=x", "CN=Smith\\, J,DC=x", "cn=a+ou=b,dc=x", "  CN = A  ,  DC = x  "}) {
    ASSERT_TRUE(NormalizeDnInto(s, &buf)) << s;
    EXPECT_EQ(buf, *NormalizeDn(s)) << s;
  }
}

// NormalizeDn takes fast paths for common shapes; on any input it must give
// exactly what the full parser gives (the same normal form, or an error).
TEST(Dn, FastPathsAgreeWithTheParserOnRandomDns) {
  static const char* kPieces[] = {"cn", "CN", "ou", "Ou", "dc", "uid", "x-1", "2.5.4.3", "oid.2.5.4.11", "=", "=",
                                  ",", ",", ", ", " ,", " = ", " ", "  ", "+", ";", "\\,", "\\2C", "\\", "#04",
                                  "#", "\"q,r\"", "\"", "a", "Z", "Group 12", "Mechanics", "\xc3\xa9", "-", "<", ">",
                                  "!", ".", "\x7f", "\t", "TEAM", "Depot A", "Ab"};
  std::mt19937 rng(2026);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  int parsed = 0, total = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string dn;
    if (round % 2 == 0) {
      // Well-formed shapes with random case, spacing and length (some > 64 bytes).
      const size_t rdns = 1 + pick(6);
      for (size_t r = 0; r < rdns; ++r) {
        if (r) dn += pick(8) == 0 ? ", " : ",";
        dn += kPieces[pick(7)];
        dn += pick(10) == 0 ? " = " : "=";
        for (size_t k = pick(4); k > 0; --k) dn += kPieces[27 + pick(15)];
      }
      if (pick(10) == 0) dn = " " + dn;
      if (pick(10) == 0) dn += " ";
    } else {
      for (size_t k = 1 + pick(12); k > 0; --k) dn += kPieces[pick(std::size(kPieces))];
    }
    auto want = ParseDn(dn);
    auto got = NormalizeDn(dn);
    ++total;
    ASSERT_EQ(got.ok(), want.ok()) << "'" << dn << "'";
    if (want.ok()) {
      ++parsed;
      ASSERT_EQ(*got, want->Normalized()) << "'" << dn << "'";
      std::string into = "stale";
      size_t end = 0;
      ASSERT_TRUE(NormalizeDnInto(dn, &into, &end));
      ASSERT_EQ(into, *got);
      if (end != std::string::npos) {  // a plain normal form: first RDN up to the first ','
        ASSERT_EQ(into.find_first_of("\\+"), std::string::npos) << "'" << dn << "'";
        ASSERT_EQ(end, std::min(into.find(','), into.size())) << "'" << dn << "'";
      }
    }
  }
  // Both answers must be common, or the comparison proves little.
  EXPECT_GT(parsed, total / 4);
  EXPECT_LT(parsed, total - total / 10);
}

TEST(Dn, NormalizeIntoReportsTheEndOfAPlainFirstRdn) {
  std::string out;
  size_t end = 0;
  ASSERT_TRUE(NormalizeDnInto("CN=Mechanics,OU=Groups,DC=fleet", &out, &end));  // 16-64 bytes
  EXPECT_EQ(end, 12u);
  ASSERT_TRUE(NormalizeDnInto("cn = a , ou=b", &out, &end));  // spaces around separators
  EXPECT_EQ(out, "cn=a,ou=b");
  EXPECT_EQ(end, 4u);
  ASSERT_TRUE(NormalizeDnInto("CN=A Single Long Group Name", &out, &end));
  EXPECT_EQ(end, out.size());
  ASSERT_TRUE(NormalizeDnInto("cn=Smith\\, J,ou=People", &out, &end));  // escapes: the parser's form
  EXPECT_EQ(end, std::string::npos);
}

TEST(Dn, MalformedDnsAreRefusedWithAReason) {
  const char* bad[] = {"CN",           "=value",       "CN=a,,DC=x", "CN=a,",     "CN=a\\",     "CN=a\\zz",
                       "CN=#abc",      "CN=#zz",       "CN=\"open",  "CN=a\"b",   "C N=a",      "1.2.=a",
                       "CN=a,DC",      ",CN=a",        "CN=a+",      "CN=#0102 x"};
  for (const char* s : bad) {
    auto r = ParseDn(s);
    EXPECT_FALSE(r.ok()) << s;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("malformed DN"), std::string::npos) << s;
    }
    EXPECT_FALSE(NormalizeDn(s).ok()) << s;
  }
}

TEST(Dn, VeryLongInputIsRefusedNotCrashed) {
  std::string huge = "CN=" + std::string(100000, 'a');
  EXPECT_FALSE(ParseDn(huge).ok());
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "CN=a,";
  many += "DC=x";
  EXPECT_TRUE(ParseDn(many).ok());
}

}  // namespace
}  // namespace idb
