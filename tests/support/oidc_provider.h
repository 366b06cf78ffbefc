// oidc_provider.h (tests/support) — a real OpenID provider for tests, and a
// scripted "browser" that completes logins with plain HTTP requests.
//
// Why: OIDC tests must log in for real against a certified provider (npm
// oidc-provider, tests/support/oidc/provider.mjs): code + PKCE with login and
// consent forms submitted by the test, device flow approved by the test,
// wrong passwords refused. OidcTestProvider writes a JSON config into a temp
// dir, starts `node provider.mjs` on a free 127.0.0.1 port, waits for
// discovery, and stops the process by PID (SIGTERM, then SIGKILL) in its
// destructor. Restart() keeps the port (hence the issuer) and can change the
// signing keys (rotation tests).
// Requires `node` and tests/support/oidc/node_modules (.ci/install-deps test);
// Start() fails with a clear message otherwise.
// Thread-safety: one test thread per object.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "oidc_signer.h"

namespace idb::testing {

struct OidcTestUser {
  std::string id;
  std::string password;
  std::vector<std::string> groups;
  bool overage = false;    // Entra-style _claim_names instead of groups
  bool no_groups = false;  // no groups claim at all
  std::string department;
};

struct OidcTestClient {
  std::string client_id;
  std::string client_secret;  // empty: public client
  std::vector<std::string> redirect_uris;
  std::string id_token_alg;  // empty: RS256 (the provider's default)
};

struct OidcProviderOptions {
  std::vector<std::string> kids{"rsa-1", "ec-1"};  // one fresh key per kid; "ec*" = ES256, else RS256
  int id_token_ttl = 300;
  int access_token_ttl = 300;
  std::string access_token_audience = "urn:idbridge:fleet-api";  // a resource identifier, not a client id
  std::vector<OidcTestClient> clients;
  std::vector<OidcTestUser> users;
  bool hang = false;  // accept connections, never answer
  bool opaque_access_tokens = false;  // opaque access tokens (for introspection) instead of JWTs
};

// The standard cast: clients fleet-app (secret fleet-secret) and other-app,
// es-app (ES256 ID tokens), users alice (Mechanics, Fleet Managers), bob (Drivers), carol (no groups
// claim), dave (groups overage). Redirect URI: http://127.0.0.1:<redirect_port>/oidc/callback.
OidcProviderOptions StandardOidcOptions(int redirect_port = 45999);

class OidcTestProvider {
 public:
  static Result<std::unique_ptr<OidcTestProvider>> Start(OidcProviderOptions options);
  ~OidcTestProvider();
  OidcTestProvider(const OidcTestProvider&) = delete;
  OidcTestProvider& operator=(const OidcTestProvider&) = delete;

  Status Stop();
  // Stops and starts again on the same port with new options (e.g. new kids).
  Status Restart(OidcProviderOptions options);

  const std::string& issuer() const { return issuer_; }
  int port() const { return port_; }
  // A signer holding the running provider's own private key `kid` ("rsa-1",
  // "ec-1"): tokens it mints verify against the provider's published JWKS, so
  // refusal tests exercise the claim rules, not a foreign key. nullptr when
  // the provider has no such key.
  std::unique_ptr<TestSigner> Signer(const std::string& kid) const;
  const OidcProviderOptions& options() const { return options_; }

 private:
  OidcTestProvider() = default;
  Status Launch();

  OidcProviderOptions options_;
  std::string dir_;
  std::string issuer_;
  int port_ = 0;
  int pid_ = -1;
};

// A free TCP port on 127.0.0.1 (bound and released).
int FreeLoopbackPort();

// Splits the query of a URL into decoded parameters.
std::map<std::string, std::string> QueryParams(const std::string& url);

// Acts as the user's browser on `authorize_url`: follows the provider's
// redirects by hand with a cookie jar, submits the login form (user,
// password) and the consent form (approve or deny). Returns the URL the
// provider finally redirects to outside itself (redirect_uri?code=…&state=…).
// Unauthenticated when the login page refuses the password.
Result<std::string> BrowserAuthorize(const std::string& authorize_url, const std::string& user,
                                     const std::string& password, bool approve = true);

// Acts as the user's browser on the provider's device page: enters the user
// code, confirms (or aborts), logs in, consents.
Status BrowserApproveDevice(const std::string& issuer, const std::string& user_code, const std::string& user,
                            const std::string& password, bool approve = true);

struct OidcTestTokens {
  std::string id_token;
  std::string access_token;
};

// The test's own code + PKCE login (not the library's), to obtain raw tokens
// for token-login and refusal tests.
Result<OidcTestTokens> ObtainTokens(const std::string& issuer, const OidcTestClient& client, const std::string& user,
                                    const std::string& password);

}  // namespace idb::testing
