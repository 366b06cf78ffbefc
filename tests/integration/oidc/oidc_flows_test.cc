// Real logins against npm oidc-provider: authorization code + PKCE with the
// login and consent forms submitted by the test, device flow approved by the
// test, and the refusals of both flows.
#include <gtest/gtest.h>

#include "oidc_test_env.h"

namespace idb::testing {
namespace {

using oidc::OidcError;

::testing::Environment* const kEnv = ::testing::AddGlobalTestEnvironment(new OidcProviderEnvironment);

class OidcFlows : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(SharedProvider(), nullptr);
    provider_ = MakeProvider(TestConfig(SharedProvider()->issuer()));
    ASSERT_NE(provider_, nullptr);
  }
  std::unique_ptr<oidc::OidcProvider> provider_;
};

TEST_F(OidcFlows, CodeFlowWithPkceCompletesIntoIdentityWithGroups) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok()) << start.failure().detail;
  EXPECT_NE(start->authorize_url.find("code_challenge_method=S256"), std::string::npos);
  EXPECT_EQ(start->authorize_url.find(start->poll_handle), std::string::npos);
  auto redirect = BrowserAuthorize(start->authorize_url, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  auto q = QueryParams(*redirect);
  EXPECT_EQ(q["state"], start->state);
  auto done = provider_->HandleRedirect(q, Now());
  ASSERT_TRUE(done.ok()) << done.failure().detail;
  EXPECT_EQ(done->user, "alice");
  EXPECT_EQ(done->source, "oidc:test");
  ASSERT_EQ(done->groups.size(), 2u);
  EXPECT_EQ(done->groups[0].cn, "Mechanics");
  EXPECT_EQ(done->groups[0].dn, "");
  EXPECT_EQ(done->claims["department"], std::vector<std::string>{"Maintenance"});
  auto polled = provider_->PollCodeFlow(start->poll_handle, Now());
  ASSERT_TRUE(polled.ok());
  EXPECT_EQ(polled->user, "alice");
  EXPECT_EQ(provider_->PollCodeFlow(start->poll_handle, Now()).error(), OidcError::kFlowUnknown);
}

TEST_F(OidcFlows, CodeFlowPollIsPendingUntilTheRedirectArrives) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(provider_->PollCodeFlow(start->poll_handle, Now()).error(), OidcError::kAuthorizationPending);
}

TEST_F(OidcFlows, CodeFlowWrongPasswordIsRefusedByTheProviderLoginPage) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  auto redirect = BrowserAuthorize(start->authorize_url, "alice", "wrong-pw");
  ASSERT_FALSE(redirect.ok());
  EXPECT_EQ(redirect.status().code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(provider_->PollCodeFlow(start->poll_handle, Now()).error(), OidcError::kAuthorizationPending);
}

TEST_F(OidcFlows, CodeFlowDeniedConsentEndsAsDenied) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  auto redirect = BrowserAuthorize(start->authorize_url, "bob", "bob-pw", /*approve=*/false);
  ASSERT_TRUE(redirect.ok()) << redirect.status().ToString();
  auto q = QueryParams(*redirect);
  EXPECT_EQ(q["error"], "access_denied");
  EXPECT_EQ(provider_->HandleRedirect(q, Now()).error(), OidcError::kDenied);
  EXPECT_EQ(provider_->PollCodeFlow(start->poll_handle, Now()).error(), OidcError::kDenied);
}

TEST_F(OidcFlows, CodeFlowReplayedRedirectIsRefused) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  auto redirect = BrowserAuthorize(start->authorize_url, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok());
  auto q = QueryParams(*redirect);
  ASSERT_TRUE(provider_->HandleRedirect(q, Now()).ok());
  EXPECT_EQ(provider_->HandleRedirect(q, Now()).error(), OidcError::kFlowUnknown);
}

TEST_F(OidcFlows, CodeFlowUnknownStateIsRefused) {
  EXPECT_EQ(provider_->HandleRedirect({{"state", "forged"}, {"code", "x"}}, Now()).error(), OidcError::kFlowUnknown);
  EXPECT_EQ(provider_->HandleRedirect({{"code", "x"}}, Now()).error(), OidcError::kInvalidRequest);
}

TEST_F(OidcFlows, CodeFlowIssParameterNamingAnotherIssuerIsRefused) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  auto redirect = BrowserAuthorize(start->authorize_url, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok());
  auto q = QueryParams(*redirect);
  q["iss"] = "https://evil.example";
  EXPECT_EQ(provider_->HandleRedirect(q, Now()).error(), OidcError::kWrongIssuer);
}

TEST_F(OidcFlows, CodeFlowCodeFromAnotherLoginFailsPkce) {
  auto a = provider_->BeginCodeFlow(RedirectUri(), Now());
  auto b = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(a.ok() && b.ok());
  auto redirect = BrowserAuthorize(a->authorize_url, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok());
  auto q = QueryParams(*redirect);
  q["state"] = b->state;  // attacker injects a's code into b's login
  auto r = provider_->HandleRedirect(q, Now());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), OidcError::kDenied) << r.failure().detail;  // invalid_grant: PKCE verifier mismatch
}

TEST_F(OidcFlows, CodeFlowIdTokenWithAnotherNonceIsRefused) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  // Same PKCE challenge and state, but the nonce of another session.
  std::string url = start->authorize_url;
  size_t at = url.find("&nonce=");
  size_t end = url.find('&', at + 1);
  url = url.substr(0, at) + "&nonce=attacker-nonce" + url.substr(end);
  auto redirect = BrowserAuthorize(url, "alice", "alice-pw");
  ASSERT_TRUE(redirect.ok());
  auto r = provider_->HandleRedirect(QueryParams(*redirect), Now());
  EXPECT_EQ(r.error(), OidcError::kNonceMismatch);
}

TEST_F(OidcFlows, CodeFlowRefusesNonLoopbackHttpRedirectUri) {
  EXPECT_EQ(provider_->BeginCodeFlow("http://evil.example/cb", Now()).error(), OidcError::kInvalidRequest);
  EXPECT_EQ(provider_->BeginCodeFlow("", Now()).error(), OidcError::kInvalidRequest);
}

TEST_F(OidcFlows, CodeFlowExpiresAfterFlowTimeout) {
  auto start = provider_->BeginCodeFlow(RedirectUri(), Now());
  ASSERT_TRUE(start.ok());
  auto later = Now() + std::chrono::seconds(601);
  EXPECT_EQ(provider_->PollCodeFlow(start->poll_handle, later).error(), OidcError::kFlowExpired);
}

TEST_F(OidcFlows, DeviceFlowApprovedByTheUserCompletes) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok()) << start.failure().detail;
  EXPECT_FALSE(start->user_code.empty());
  EXPECT_NE(start->verification_uri.find("/device"), std::string::npos);
  ASSERT_TRUE(BrowserApproveDevice(SharedProvider()->issuer(), start->user_code, "bob", "bob-pw").ok());
  auto r = provider_->PollDeviceFlow(start->handle, now + start->interval);
  ASSERT_TRUE(r.ok()) << r.failure().detail;
  EXPECT_EQ(r->user, "bob");
  ASSERT_EQ(r->groups.size(), 1u);
  EXPECT_EQ(r->groups[0].cn, "Drivers");
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now + 2 * start->interval).error(), OidcError::kFlowUnknown);
}

TEST_F(OidcFlows, DeviceFlowIsPendingBeforeApproval) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now + start->interval).error(), OidcError::kAuthorizationPending);
}

TEST_F(OidcFlows, DeviceFlowPollingTooFastIsSlowDownWithoutAskingTheProvider) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now).error(), OidcError::kSlowDown);
}

TEST_F(OidcFlows, DeviceFlowAbortedByTheUserIsDenied) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok());
  ASSERT_TRUE(BrowserApproveDevice(SharedProvider()->issuer(), start->user_code, "bob", "bob-pw", false).ok());
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now + start->interval).error(), OidcError::kDenied);
}

TEST_F(OidcFlows, DeviceFlowWrongPasswordNeverCompletes) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok());
  auto s = BrowserApproveDevice(SharedProvider()->issuer(), start->user_code, "bob", "not-bobs");
  EXPECT_EQ(s.code(), ErrorCode::kUnauthenticated);
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now + start->interval).error(), OidcError::kAuthorizationPending);
}

TEST_F(OidcFlows, DeviceFlowExpiresAfterExpiresIn) {
  auto now = Now();
  auto start = provider_->BeginDeviceFlow(now);
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(provider_->PollDeviceFlow(start->handle, now + start->expires_in).error(), OidcError::kFlowExpired);
}

TEST_F(OidcFlows, DeviceFlowUnknownHandleIsRefused) {
  EXPECT_EQ(provider_->PollDeviceFlow("no-such-handle", Now()).error(), OidcError::kFlowUnknown);
}

TEST_F(OidcFlows, DiscoveryNamingAnotherIssuerIsRefused) {
  // Same server, but configured as "localhost": the discovery document says 127.0.0.1.
  std::string issuer = SharedProvider()->issuer();
  issuer.replace(issuer.find("127.0.0.1"), 9, "localhost");
  auto p = MakeProvider(TestConfig(issuer));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->BeginDeviceFlow(Now()).error(), OidcError::kWrongIssuer);
}

TEST_F(OidcFlows, RedirectPageSaysWhatHappenedInGeneralTerms) {
  oidc::OidcResult<Identity> bad = oidc::OidcFailure{OidcError::kDenied, "<script>", ""};
  std::string html = oidc::RedirectPageHtml(bad);
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("cancelled or refused"), std::string::npos);
  // A refused token: the browser learns that, not which rule (that is for the history).
  oidc::OidcResult<Identity> azp = oidc::OidcFailure{OidcError::kWrongAudience, "ID token azp 'cli' names another client", ""};
  html = oidc::RedirectPageHtml(azp);
  EXPECT_NE(html.find("answer was refused"), std::string::npos) << html;
  EXPECT_EQ(html.find("azp"), std::string::npos) << html;
  EXPECT_EQ(html.find("wrong_audience"), std::string::npos) << html;
  Identity who;
  who.user = "alice";
  oidc::OidcResult<Identity> alice = who;
  EXPECT_NE(oidc::RedirectPageHtml(alice).find("Signed in as alice"), std::string::npos);
}

}  // namespace
}  // namespace idb::testing
