// A second, separately started OpenID provider playing the hosted vendor (Auth0-style tokens):
// issuer with a trailing slash, `audience=` instead of `resource=`, `aud` as an array, no `typ`
// header, scopes in a `permissions` array, machine subjects "<client>@clients". It is a real
// provider (oidc-provider) signing real tokens; only its sign-in is automatic (login_hint).
// Usage: node test/support/vendor-idp.ts PORT API_AUDIENCE SPA_REDIRECT_URI [DEFAULT_EMAIL]
import http from 'node:http';
import Provider, { errors, type Configuration } from 'oidc-provider';
import { exportJWK, generateKeyPair } from 'jose';

const [portArgument, audience, redirectUri, defaultEmail = 'ellen@abc-inc.example'] = process.argv.slice(2) as [string, string, string, string?];
const issuer = `http://127.0.0.1:${portArgument}/`;
const NS = 'https://api.abc-inc.example/';
const USER_PERMISSIONS = ['read:timesheets', 'create:timesheets', 'delete:timesheets'];
const MANAGERS = new Set(['maria@abc-inc.example']);

const permissionsOf = (email: string) => (MANAGERS.has(email) ? [...USER_PERMISSIONS, 'approve:timesheets'] : USER_PERMISSIONS);

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const configuration: Configuration = {
  jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'vendor-1', alg: 'RS256', use: 'sig' }] as never },
  clients: [
    {
      client_id: 'vendor-spa',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [new URL('/', redirectUri).href],
    },
    {
      client_id: 'vendor-m2m',
      client_secret: 'vendor-m2m-secret-vendor-m2m-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: 'batch:upload',
    },
  ],
  scopes: ['openid', 'profile', 'email', 'offline_access', ...USER_PERMISSIONS, 'approve:timesheets', 'batch:upload'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  cookies: { keys: ['vendor-cookie-key-vendor-cookie-key'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async (ctx) => {
        const requested = (ctx.oidc.body as Record<string, unknown> | undefined)?.audience ?? ctx.query?.audience;
        return typeof requested === 'string' ? requested : audience;
      },
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, client) => {
        if (resource !== audience) throw new errors.InvalidTarget();
        // As the vendor does without a tenant default audience: a machine must name the API as
        // `audience` (it knows no `resource` parameter).
        const named = (ctx.oidc.body as Record<string, unknown> | undefined)?.audience;
        if (ctx.oidc.params?.grant_type === 'client_credentials' && !named) throw new errors.InvalidRequest('No audience parameter was provided');
        return {
          scope: client.clientAuthMethod === 'none' ? [...USER_PERMISSIONS, 'approve:timesheets'].join(' ') : 'batch:upload',
          audience,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: `auth0|${id}`, email: id, email_verified: true, name: id.split('@')[0] }),
  }),
  extraTokenClaims: async (_ctx, token) => {
    const accountId = 'accountId' in token ? token.accountId : undefined;
    return accountId ? { [`${NS}email`]: accountId } : undefined;
  },
  formats: {
    customizers: {
      // The vendor's access-token shape.
      async jwt(_ctx, token, jwt) {
        const payload = jwt.payload as Record<string, unknown>;
        const email = 'accountId' in token ? (token.accountId as string | undefined) : undefined;
        const granted = String(payload.scope ?? '').split(' ').filter(Boolean);
        payload.permissions = email ? granted.filter((s) => permissionsOf(email).includes(s)) : granted;
        payload.aud = [audience, `${issuer}userinfo`];
        payload.azp = payload.client_id;
        delete payload.client_id;
        if (email) payload.sub = `auth0|${email}`;
        else Object.assign(payload, { sub: `${payload.azp}@clients`, gty: 'client-credentials' });
        jwt.header = { typ: undefined };
      },
    },
  },
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true },
};

const provider = new Provider(issuer, configuration);
const callback = provider.callback();

// Sign-in is automatic for the user named by login_hint (else DEFAULT_EMAIL); consent grants what was asked.
async function interact(req: http.IncomingMessage, res: http.ServerResponse) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    const accountId = typeof params.login_hint === 'string' ? params.login_hint : defaultEmail;
    return provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
  }
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  const details = prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
  if (details.missingOIDCScope) grant!.addOIDCScope(details.missingOIDCScope.join(' '));
  for (const [indicator, scopes] of Object.entries(details.missingResourceScopes ?? {})) grant!.addResourceScope(indicator, scopes.join(' '));
  return provider.interactionFinished(req, res, { consent: { grantId: await grant!.save() } }, { mergeWithLastSubmission: true });
}

http
  .createServer((req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interact(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
      return;
    }
    void callback(req, res);
  })
  .listen(Number(portArgument), '127.0.0.1', () => process.stdout.write('ready\n'));
