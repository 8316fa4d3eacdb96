// A real OpenID Connect provider (panva's oidc-provider, OpenID Certified) for the portal's
// single sign-on tests and for `make demo`. Loopback only; never for production.
//
//   node server.js            listens on OIDC_PORT (0: a free port) and prints one line:
//                             "ready <issuer>" once it answers.
//
// Environment:
//   OIDC_PORT            port on 127.0.0.1 (default 0: a free one)
//   OIDC_HOST            host name in the issuer (default 127.0.0.1)
//   OIDC_CLIENTS         JSON list of clients: [{client_id, client_secret, redirect_uris}]
//   OIDC_ACCOUNTS        JSON list of identities (default: the demo identities below)
//   OIDC_ID_TOKEN_TTL    seconds an id_token lives (default 300)
//
// Identities sign in with their email and the password "demo-Portal-2026". Each has a tenant
// (`tid`), and `amr` ["pwd", "mfa"] when the identity "used multi-factor" at the provider.
// A disabled identity is refused at the provider (access_denied), as a leaver would be.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const PASSWORD = 'demo-Portal-2026';
const OAKFIELD = '3f0e2c9a-0a1b-4c59-9d0e-0a4f0a1d0001';
const HILLCREST = '3f0e2c9a-0a1b-4c59-9d0e-0a4f0a1d0002';

const DEMO_ACCOUNTS = [
  { email: 'dsl@oakfield.demo', name: 'Dana Oakfield', tid: OAKFIELD, mfa: true },
  { email: 'staff@oakfield.demo', name: 'Sam Oakfield', tid: OAKFIELD, mfa: false },
  { email: 'left@oakfield.demo', name: 'Lee Leaver', tid: OAKFIELD, mfa: true, disabled: true },
  { email: 'stranger@oakfield.demo', name: 'Stranger', tid: OAKFIELD, mfa: true },
  { email: 'dsl@hillcrest.demo', name: 'Harper Hillcrest', tid: HILLCREST, mfa: true },
];

const env = process.env;
const accounts = new Map(
  (env.OIDC_ACCOUNTS ? JSON.parse(env.OIDC_ACCOUNTS) : DEMO_ACCOUNTS).map((a) => [a.email.toLowerCase(), a]),
);
const clients = env.OIDC_CLIENTS
  ? JSON.parse(env.OIDC_CLIENTS)
  : [{ client_id: 'portal', client_secret: 'demo-client-secret', redirect_uris: ['http://127.0.0.1:5000/sign-in/organisation/callback'] }];

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`
    + `<body><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(Number(env.OIDC_PORT || 0), '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://${env.OIDC_HOST || '127.0.0.1'}:${port}`;

  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      redirect_uris: c.redirect_uris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    acrValues: ['pwd', 'mfa'],
    claims: { openid: ['sub', 'tid', 'acr', 'amr', 'auth_time'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    ttl: { IdToken: Number(env.OIDC_ID_TOKEN_TTL || 300) },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = accounts.get(sub);
      if (!account || account.disabled) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, email: account.email, email_verified: true, name: account.name, tid: account.tid };
        },
      };
    },
    // A first-party client: no consent screen (the grant is made at once).
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url.split('?')[0]);
    if (!match) {
      callback(req, res);
      return;
    }
    try {
      const details = await provider.interactionDetails(req, res);
      if (req.method === 'POST' && match[2]) {
        const form = await readForm(req);
        const email = (form.get('login') || '').trim().toLowerCase();
        const account = accounts.get(email);
        if (!account || form.get('password') !== PASSWORD) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(page('Sign in to the demo identity provider', `<p role="alert">Wrong email or password.</p>${loginForm(match[1])}`));
          return;
        }
        if (account.disabled) {
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'account disabled' }, { mergeWithLastSubmission: false });
          return;
        }
        const amr = account.mfa ? ['pwd', 'mfa'] : ['pwd'];
        await provider.interactionFinished(req, res, { login: { accountId: email, amr, acr: account.mfa ? 'mfa' : 'pwd' } }, { mergeWithLastSubmission: false });
        return;
      }
      if (req.method === 'GET' && !match[2] && details.prompt.name === 'login') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Sign in to the demo identity provider', loginForm(match[1])));
        return;
      }
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end('unexpected interaction');
    } catch (error) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction error: ${error.name}`);
    }
  });

  process.stdout.write(`ready ${issuer}\n`);
});

function loginForm(uid) {
  return `<form method="post" action="/interaction/${escapeHtml(uid)}/login">`
    + '<label for="login">Email address</label><input id="login" name="login" type="email" autocomplete="username">'
    + '<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">'
    + '<button type="submit">Sign in</button></form>';
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
