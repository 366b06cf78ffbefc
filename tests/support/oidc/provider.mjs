// provider.mjs — a real OpenID provider (npm oidc-provider) for idbridge's OIDC tests.
//
// Why: tests must complete real logins (authorization code + PKCE, device flow)
// against a certified provider, with passwords that are actually CHECKED (the
// built-in devInteractions accept any password), RS256 and ES256 signing keys,
// a `groups` claim in ID tokens and JWT access tokens.
//
// Usage: node provider.mjs CONFIG.json
// CONFIG.json (written by tests/support/oidc_provider.cc):
//   { "port": 40123, "issuer": "http://127.0.0.1:40123",
//     "kids": ["rsa-1", "ec-1"],            // keys are generated at start, one per kid
//     "ttl": { "IdToken": 300, "AccessToken": 300, "DeviceCode": 600 },
//     "access_token_audience": "urn:idbridge:fleet-api",   // aud of access tokens (a resource identifier)
//     "clients": [ { client_id, client_secret?, redirect_uris, ... } ],
//     "users": [ { "id": "alice", "password": "...", "email": "...",
//                  "groups": ["Mechanics"], "overage": false, "no_groups": false } ],
//     "hang": false,                         // true: accept connections, never answer
//     "opaque_access_tokens": false,         // true: opaque access tokens (introspection tests)
//     "keys_file": "/tmp/idb-oidc-XXXXXX/keys.json" }  // where the generated private JWKS is written (mode 0600)
//                                        // so tests can mint tokens with the provider's real keys
// Prints "READY <port>" on stdout once listening. Stopped by SIGTERM.
import http from 'node:http';
import fs from 'node:fs';
import { generateKeyPair, exportJWK } from 'jose';
import Provider from 'oidc-provider';

const cfg = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

if (cfg.hang) {
  // A provider that hangs: accepts TCP connections and never answers.
  const server = http.createServer(() => {});
  server.listen(cfg.port, '127.0.0.1', () => console.log(`READY ${cfg.port}`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  await startProvider();
}

function htmlEscape(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

async function makeKeys(kids) {
  const keys = [];
  for (const kid of kids) {
    const alg = kid.startsWith('ec') ? 'ES256' : 'RS256';
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, kid, alg, use: 'sig' });
  }
  return keys;
}

async function startProvider() {
  const users = new Map(cfg.users.map((u) => [u.id, u]));
  const userClaims = (u) => {
    const c = { sub: u.id, preferred_username: u.id, email: u.email || `${u.id}@fleet.test`, name: u.name || u.id };
    if (u.overage) {
      c._claim_names = { groups: 'src1' };
      c._claim_sources = { src1: { endpoint: 'https://graph.microsoft.com/v1.0/users/x/getMemberObjects' } };
    } else if (!u.no_groups) {
      c.groups = u.groups || [];
    }
    if (u.department) c.department = u.department;
    return c;
  };

  const ttl = cfg.ttl || {};
  const keys = await makeKeys(cfg.kids || ['rsa-1', 'ec-1']);
  if (cfg.keys_file) fs.writeFileSync(cfg.keys_file, JSON.stringify({ keys }), { mode: 0o600 });
  const configuration = {
    clients: cfg.clients,
    jwks: { keys },
    cookies: { keys: ['idbridge-test-cookie-key'] },
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name', 'department'],
      email: ['email'],
      groups: ['groups', '_claim_names', '_claim_sources'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    async findAccount(ctx, id) {
      const u = users.get(id);
      if (!u) return undefined;
      return { accountId: id, async claims() { return userClaims(u); } };
    },
    extraTokenClaims(ctx, token) {
      const u = users.get(token.accountId);
      if (!u || token.kind !== 'AccessToken') return undefined;
      const c = userClaims(u);
      delete c.sub;
      return c;
    },
    ttl: {
      IdToken: ttl.IdToken || 300,
      AccessToken: ttl.AccessToken || 300,
      DeviceCode: ttl.DeviceCode || 600,
      Interaction: 600, Session: 3600, Grant: 3600,
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      introspection: { enabled: true },
      revocation: { enabled: true },
      deviceFlow: {
        enabled: true,
        userCodeInputSource(ctx, form, out, err) {
          ctx.body = `<!DOCTYPE html><html><body><h1>Device</h1>${err ? `<p class="error">${err.name === 'AbortedError' ? 'aborted' : 'code refused'}</p>` : ''}${form}<button type="submit" form="op.deviceInputForm">Continue</button></body></html>`;
        },
        userCodeConfirmSource(ctx, form, client, deviceInfo, userCode) {
          ctx.body = `<!DOCTYPE html><html><body><h1>Confirm ${htmlEscape(userCode)}</h1>${form}<button type="submit" form="op.deviceConfirmForm">Continue</button><button type="submit" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button></body></html>`;
        },
        successSource(ctx) {
          ctx.body = '<!DOCTYPE html><html><body><h1>Sign-in Success</h1></body></html>';
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => 'urn:idbridge:fleet',
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'openid profile email groups',
          audience: cfg.access_token_audience || 'urn:idbridge:fleet-api',
          accessTokenFormat: cfg.opaque_access_tokens ? 'opaque' : 'jwt',
          ...(cfg.opaque_access_tokens ? {} : { jwt: { sign: { alg: 'RS256' } } }),
        }),
      },
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><html><body><h1>error</h1><pre class="error">${htmlEscape(out.error)}: ${htmlEscape(out.error_description || '')}</pre></body></html>`;
    },
  };

  const provider = new Provider(cfg.issuer, configuration);
  const callback = provider.callback();

  async function readForm(req) {
    let body = '';
    for await (const chunk of req) body += chunk;
    return Object.fromEntries(new URLSearchParams(body));
  }

  function page(res, status, html) {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!DOCTYPE html><html><body>${html}</body></html>`);
  }

  function loginForm(uid, error) {
    return `<h1>Login</h1>${error ? `<p class="error">${htmlEscape(error)}</p>` : ''}
<form data-kind="login" method="post" action="/interaction/${uid}/login">
<input name="login"><input name="password" type="password"><button type="submit">Sign in</button></form>`;
  }

  async function interaction(req, res) {
    const url = new URL(req.url, cfg.issuer);
    const parts = url.pathname.split('/').filter(Boolean); // interaction, uid, [action]
    const uid = parts[1];
    const action = parts[2];
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'GET') {
      if (details.prompt.name === 'login') return page(res, 200, loginForm(uid));
      return page(res, 200, `<h1>Consent</h1><form data-kind="consent" method="post" action="/interaction/${uid}/confirm"><button type="submit">Allow</button></form>
<form data-kind="abort" method="post" action="/interaction/${uid}/abort"><button type="submit">Deny</button></form>`);
    }
    const form = await readForm(req);
    if (action === 'login') {
      const u = users.get(form.login || '');
      // The point of these pages: the password is checked (no empty password).
      if (!u || !form.password || u.password !== form.password) {
        return page(res, 200, loginForm(uid, 'invalid user name or password'));
      }
      return provider.interactionFinished(req, res, { login: { accountId: u.id } }, { mergeWithLastSubmission: false });
    }
    if (action === 'confirm') {
      const { prompt: { details: missing }, params, session: { accountId } } = details;
      let { grantId } = details;
      const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId: params.client_id });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      if (missing.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) grant.addResourceScope(indicator, scopes.join(' '));
      }
      grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    if (action === 'abort') {
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'user denied' }, { mergeWithLastSubmission: false });
    }
    return page(res, 404, '<h1>not found</h1>');
  }

  const server = http.createServer((req, res) => {
    if (req.url.startsWith('/interaction/')) {
      interaction(req, res).catch((e) => page(res, 400, `<pre class="error">${htmlEscape(e.message)}</pre>`));
      return;
    }
    callback(req, res);
  });
  server.keepAliveTimeout = 1000;
  server.listen(cfg.port, '127.0.0.1', () => console.log(`READY ${cfg.port}`));
  process.on('SIGTERM', () => { server.close(); process.exit(0); });
}
