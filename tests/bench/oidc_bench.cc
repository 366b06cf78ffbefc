// oidc_bench — token validations per second with a warm JWKS cache, beside
// npm jose's jwtVerify on the same tokens in the same run.
//
// Setup: RS256 and ES256 keys made here (cjose), 200 distinct tokens each
// (iss, aud, exp +1 h, groups), a loopback cpp-httplib server answering
// discovery and the JWKS, one idb OidcProvider with liboauth2's result cache
// on (result_cache_seconds 60, exp/nbf re-checked on every hit) and one with
// it off. After the Google Benchmark runs, the same RS256/ES256 tokens go to
// tests/support/oidc/jose_bench.mjs and a summary with the ratios is printed.
// BM_ExpiredTokenFromWarmCache proves the cache never accepts an expired
// token: it validates a cached token at a clock past exp and fails the run on
// any acceptance.
// Run: build-*/tests/bench/oidc_bench [--benchmark_min_time=1]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "oidc/oidc_provider.h"
#include "oidc_provider.h"
#include "oidc_signer.h"

namespace {

using idb::oidc::OidcProvider;
using idb::oidc::TokenKind;

constexpr int kTokens = 200;

struct Fixture {
  std::unique_ptr<idb::testing::TestSigner> rsa, ec;
  std::vector<std::string> rsa_tokens, ec_tokens;
  httplib::Server server;
  std::thread thread;
  std::string issuer;
  std::unique_ptr<OidcProvider> cached, uncached;

  Fixture() {
    rsa = idb::testing::TestSigner::Create("RS256", "bench-rsa");
    ec = idb::testing::TestSigner::Create("ES256", "bench-ec");
    int port = idb::testing::FreeLoopbackPort();
    issuer = "http://127.0.0.1:" + std::to_string(port);
    nlohmann::json jwks = {{"keys", {rsa->PublicJwk(), ec->PublicJwk()}}};
    server.Get("/.well-known/openid-configuration", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(nlohmann::json({{"issuer", issuer}, {"jwks_uri", issuer + "/jwks"}, {"token_endpoint", issuer + "/token"},
                                      {"authorization_endpoint", issuer + "/auth"}}).dump(), "application/json");
    });
    server.Get("/jwks", [jwks](const httplib::Request&, httplib::Response& res) { res.set_content(jwks.dump(), "application/json"); });
    thread = std::thread([this, port] { server.listen("127.0.0.1", port); });
    while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto now = std::chrono::system_clock::now();
    int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    for (int i = 0; i < kTokens; ++i) {
      nlohmann::json p = {{"iss", issuer}, {"aud", "fleet-app"}, {"sub", "user" + std::to_string(i)},
                          {"preferred_username", "user" + std::to_string(i)}, {"iat", now_s}, {"exp", now_s + 3600},
                          {"groups", {"Mechanics", "Fleet Managers", "Depot " + std::to_string(i % 10)}}};
      rsa_tokens.push_back(rsa->Sign(p));
      ec_tokens.push_back(ec->Sign(p));
    }
    idb::oidc::OidcProviderConfig c;
    c.name = "bench";
    c.issuer = issuer;
    c.client_id = "fleet-app";
    c.result_cache = std::chrono::seconds(60);
    cached = std::move(OidcProvider::Create(c)).value();
    c.result_cache = std::chrono::seconds(0);
    uncached = std::move(OidcProvider::Create(c)).value();
    (void)cached->Warm(now);
    (void)uncached->Warm(now);
  }
  ~Fixture() {
    server.stop();
    thread.join();
  }
};

Fixture& F() {
  static Fixture* f = new Fixture();  // lives until exit; the server thread with it
  return *f;
}

std::map<std::string, double>& Rates() {
  static std::map<std::string, double> r;
  return r;
}

void Validate(benchmark::State& state, OidcProvider* p, const std::vector<std::string>& tokens, const char* name) {
  auto now = std::chrono::system_clock::now();
  size_t i = 0;
  auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = p->ValidateToken(tokens[i++ % tokens.size()], TokenKind::kIdToken, now);
    if (!r.ok()) {
      state.SkipWithError(r.failure().detail.c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  state.SetItemsProcessed(state.iterations());
  if (secs > 0) Rates()[name] = state.iterations() / secs;
}

void BM_Rs256_ResultCache(benchmark::State& s) { Validate(s, F().cached.get(), F().rsa_tokens, "RS256 idbridge (result cache)"); }
void BM_Rs256_NoCache(benchmark::State& s) { Validate(s, F().uncached.get(), F().rsa_tokens, "RS256 idbridge (no result cache)"); }
void BM_Es256_ResultCache(benchmark::State& s) { Validate(s, F().cached.get(), F().ec_tokens, "ES256 idbridge (result cache)"); }
void BM_Es256_NoCache(benchmark::State& s) { Validate(s, F().uncached.get(), F().ec_tokens, "ES256 idbridge (no result cache)"); }

void BM_ExpiredTokenFromWarmCache(benchmark::State& state) {
  auto& f = F();
  auto now = std::chrono::system_clock::now();
  const std::string& t = f.rsa_tokens[0];
  if (!f.cached->ValidateToken(t, TokenKind::kIdToken, now).ok()) state.SkipWithError("warm-up failed");
  auto after_exp = now + std::chrono::hours(2);
  int64_t accepted = 0;
  for (auto _ : state) {
    auto r = f.cached->ValidateToken(t, TokenKind::kIdToken, after_exp);
    if (r.error() != idb::oidc::OidcError::kExpired) ++accepted;
  }
  state.counters["accepted_expired"] = static_cast<double>(accepted);
  if (accepted != 0) state.SkipWithError("an expired token was accepted from the cache");
  Rates()["expired tokens accepted from cache"] = static_cast<double>(accepted);
}

BENCHMARK(BM_Rs256_ResultCache);
BENCHMARK(BM_Rs256_NoCache);
BENCHMARK(BM_Es256_ResultCache);
BENCHMARK(BM_Es256_NoCache);
BENCHMARK(BM_ExpiredTokenFromWarmCache);

double RunJose(const std::vector<std::string>& tokens, const nlohmann::json& jwk, const std::string& alg) {
  std::string dir = IDB_SOURCE_DIR "/tests/support/oidc";
  std::string input = "/tmp/idb-oidc-bench-" + std::to_string(getpid()) + ".json";
  {
    std::ofstream out(input);
    out << nlohmann::json({{"jwks", {{"keys", {jwk}}}}, {"tokens", tokens}, {"issuer", F().issuer},
                           {"audience", "fleet-app"}, {"algorithms", {alg}}}).dump();
  }
  std::string cmd = "node " + dir + "/jose_bench.mjs " + input + " 3 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  double rate = 0;
  if (p != nullptr) {
    char line[512];
    while (fgets(line, sizeof line, p) != nullptr) {
      std::string s(line);
      if (s.rfind("verifications_per_second=", 0) == 0) rate = std::stod(s.substr(25));
    }
    pclose(p);
  }
  std::remove(input.c_str());
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  double jose_rs = RunJose(F().rsa_tokens, F().rsa->PublicJwk(), "RS256");
  double jose_es = RunJose(F().ec_tokens, F().ec->PublicJwk(), "ES256");
  auto& r = Rates();
  std::printf("\n== token validations per second, one thread, same tokens ==\n");
  for (const auto& [name, rate] : r) std::printf("%-40s %12.0f\n", name.c_str(), rate);
  std::printf("%-40s %12.0f\n", "RS256 npm jose jwtVerify", jose_rs);
  std::printf("%-40s %12.0f\n", "ES256 npm jose jwtVerify", jose_es);
  auto ratio = [&](const char* k, double peer) { return peer > 0 && r.count(k) ? r[k] / peer : 0.0; };
  std::printf("ratio RS256 cached/jose %.2fx, uncached/jose %.2fx; ES256 cached/jose %.2fx, uncached/jose %.2fx\n",
              ratio("RS256 idbridge (result cache)", jose_rs), ratio("RS256 idbridge (no result cache)", jose_rs),
              ratio("ES256 idbridge (result cache)", jose_es), ratio("ES256 idbridge (no result cache)", jose_es));
  benchmark::Shutdown();
  return r.count("expired tokens accepted from cache") && r["expired tokens accepted from cache"] != 0 ? 1 : 0;
}
