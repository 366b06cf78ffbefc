// jose_bench.mjs — the peer measurement for idbridge's token validation:
// npm jose jwtVerify (local JWKS, issuer + audience checked) on the same
// tokens, single thread. Used by tests/bench/oidc_bench.cc.
// Usage: node jose_bench.mjs INPUT.json SECONDS
//   INPUT.json: { "jwks": {...}, "tokens": [...], "issuer": "...", "audience": "...", "algorithms": ["RS256"] }
// Prints: verifications_per_second=<n>
import fs from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';

const d = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const seconds = Number(process.argv[3] || 2);
const jwks = createLocalJWKSet(d.jwks);
const opts = { issuer: d.issuer, audience: d.audience, algorithms: d.algorithms };
for (const t of d.tokens) await jwtVerify(t, jwks, opts); // warm-up; throws if a token is refused
let n = 0;
const start = performance.now();
const end = start + seconds * 1000;
while (performance.now() < end) {
  for (const t of d.tokens) {
    await jwtVerify(t, jwks, opts);
    n++;
  }
}
const elapsed = (performance.now() - start) / 1000;
console.log(`verifications_per_second=${Math.round(n / elapsed)}`);
