// The embedded OpenID Provider: oidc-provider configured as the tenant the guide describes
// (one API with its scopes, RS256 JWT access tokens, first-party clients, users with roles).
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { servedOverHttps, type Config } from '../config.ts';
import { API_SCOPES, OIDC_SCOPES, USER_API_SCOPES, parseScope, partitionRequestedScopes, scopesForRoles } from '../domain/access.ts';
import type { Stores, User } from '../storage/index.ts';
import { adapterFactory } from './adapter.ts';
import { accessTokenClaims, claimNames, userClaims } from './claims.ts';
import { clientSecretMatches } from './clients.ts';
import type { KeySet } from './keys.ts';
import { errorPage, pageSecurityHeaders, signOutPage, signedOutPage } from './pages.ts';
import { unavailableWhenDown } from './unavailable.ts';

export const INTERACTION_PATH = '/oidc/interaction';

/** Refresh tokens for browser and mobile apps: a working day, then sign in again. */
const PUBLIC_CLIENT_REFRESH_TTL = 8 * 60 * 60;
const OIDC_USER_SCOPES = ['openid', 'profile', 'email'];
const isOidcScope = (scope: string) => (OIDC_SCOPES as readonly string[]).includes(scope);

export interface ProviderDeps {
  readonly config: Config;
  readonly stores: Stores;
  readonly keySet: KeySet;
  readonly cookieKeys: readonly string[];
  /** Told when the database is away while the provider answers a request (it then answers 503). */
  readonly reportUnavailable: (cause: unknown) => void;
}

/** An account as the provider sees it, carrying the user for our own hooks. */
interface TenantAccount {
  [key: string]: unknown;
  accountId: string;
  user: User;
  claims: (use: string, scope: string) => { sub: string; [claim: string]: unknown };
}

export function createProvider({ config, stores, keySet, cookieKeys, reportUnavailable }: ProviderDeps): Provider {
  const names = claimNames(config);
  const userScopesFor = (roles: readonly string[]) => [...OIDC_USER_SCOPES, ...scopesForRoles(roles)];
  const users = unavailableWhenDown(stores.users, reportUnavailable);

  const configuration: Configuration = {
    adapter: adapterFactory(stores, reportUnavailable),
    jwks: keySet.jwks as Configuration['jwks'],
    cookies: {
      keys: [...cookieKeys],
      // Over HTTPS the session cookie (path /) takes the __Host- prefix: the browser then keeps it
      // only if Secure, for this host alone. The interaction cookies are scoped to their own paths,
      // which the prefix forbids.
      names: {
        session: servedOverHttps(config) ? '__Host-session' : '_session',
        interaction: '_interaction',
        resume: '_interaction_resume',
      },
      long: { signed: true, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, httpOnly: true, sameSite: 'lax' },
    },
    claims: {
      openid: ['sub', names.roles],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    // The implicit access token is bound to the API, so the client reads email/name from the ID token.
    conformIdTokenClaims: false,
    scopes: [...OIDC_SCOPES, ...API_SCOPES],
    responseTypes: ['code', 'id_token token', 'none'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256'],
      userinfoSigningAlgValues: ['RS256'],
      requestObjectSigningAlgValues: ['RS256'],
    },
    clientDefaults: {
      id_token_signed_response_alg: 'RS256',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    extraClientMetadata: { properties: ['first_party'] },
    pkce: { required: () => true },
    ttl: {
      AccessToken: config.accessTokenTtlSeconds,
      ClientCredentials: config.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
      RefreshToken: (_ctx, _token, client) =>
        client.clientAuthMethod === 'none' ? PUBLIC_CLIENT_REFRESH_TTL : 14 * 24 * 60 * 60,
    },
    rotateRefreshToken: true,
    // The SPA's code flow gets a refresh token without asking for offline_access; it then ends
    // with the provider session (expiresWithSession), so signing out revokes it.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),

    async findAccount(_ctx, id) {
      const user = await users.findById(id);
      if (!user || user.disabled) return undefined; // disabled users get no new tokens
      const account: TenantAccount = {
        accountId: user.id,
        user,
        claims: (_use, scope) => ({ ...userClaims(user, names, new Set(parseScope(scope))), sub: user.id }),
      };
      return account;
    },

    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const user = await users.findById(token.accountId);
      return user ? accessTokenClaims(user, names) : undefined;
    },

    // First-party clients never show consent: the grant is recomputed from the user's current
    // roles on every authorization, granting what the roles allow and recording the rest as
    // refused (so prompt=none still succeeds when more was asked than the roles allow).
    async loadExistingGrant(ctx) {
      const { client, session } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (!client.metadata().first_party) return existing;
      const account = ctx.oidc.account as unknown as TenantAccount | undefined;
      if (!account) return existing;

      const grant = existing ?? new ctx.oidc.provider.Grant({ accountId: account.accountId, clientId: client.clientId });
      grant.resources = undefined;
      grant.rejected = undefined;
      grant.openid = undefined;
      const requested = [...ctx.oidc.requestParamScopes];
      const oidcRequested = requested.filter(isOidcScope);
      const { granted, refused } = partitionRequestedScopes(
        requested.filter((s) => !isOidcScope(s)),
        account.user.roles,
      );
      // oidc-provider counts every configured scope, API ones included, as an OP scope too.
      grant.addOIDCScope([...oidcRequested, ...granted].join(' '));
      if (refused.length) grant.rejectOIDCScope(refused.join(' '));
      // The API's token also carries the OIDC scopes, so it works at userinfo too (as the guide's does).
      const resourceScopes = [...oidcRequested.filter((s) => OIDC_USER_SCOPES.includes(s)), ...granted].join(' ');
      for (const indicator of Object.keys(ctx.oidc.resourceServers ?? {})) {
        if (resourceScopes) grant.addResourceScope(indicator, resourceScopes);
        if (refused.length) grant.rejectResourceScope(indicator, refused.join(' '));
      }
      await grant.save();
      return grant;
    },

    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.set(pageSecurityHeaders());
          ctx.type = 'html';
          ctx.body = signOutPage(form);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.set(pageSecurityHeaders());
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
      resourceIndicators: {
        enabled: true,
        // Clients written for the hosted vendor name the API with `audience=`: accept it as `resource`.
        defaultResource: async (ctx, _client, oneOf) => oneOf ?? audienceParameter(ctx) ?? config.apiAudience,
        useGrantedResource: async () => true,
        async getResourceServerInfo(ctx, resource, client) {
          if (resource !== config.apiAudience) throw new errors.InvalidTarget();
          let scope: string;
          if (client.clientAuthMethod === 'none') {
            // A user's token: OIDC scopes (so it also works at userinfo, as the guide says) plus
            // what the user's current roles allow, re-read on every refresh. Before anyone has
            // signed in (the first leg of an authorization request) no token can be issued yet:
            // then the API's user scopes are named, and the grant (loadExistingGrant) narrows them.
            const account = ctx.oidc.entities.Account as unknown as TenantAccount | undefined;
            const accountId = account?.accountId ?? ctx.oidc.session?.accountId;
            const user = account?.user ?? (accountId ? await users.findById(accountId) : undefined);
            if (user && !user.disabled) scope = userScopesFor(user.roles).join(' ');
            else if (accountId) scope = OIDC_USER_SCOPES.join(' '); // a gone or disabled account: nothing for the API
            else scope = [...OIDC_USER_SCOPES, ...USER_API_SCOPES].join(' ');
          } else {
            scope = client.scope ?? '';
          }
          return {
            scope,
            audience: config.apiAudience,
            accessTokenTTL: config.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },

    interactions: {
      url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}`,
      policy: signInPolicy(),
    },

    clientBasedCORS: (_ctx, origin) => origin === new URL(config.publicUrl).origin,

    async renderError(ctx, out) {
      ctx.set(pageSecurityHeaders());
      ctx.type = 'html';
      ctx.body = errorPage('Sign-in failed', describeError(out));
    },
  };

  const provider = new Provider(config.embeddedIssuer, configuration);
  // Behind a trusted proxy, URLs are built from X-Forwarded-Proto/Host.
  provider.proxy = config.trustProxy !== false;

  // Secrets are stored as hashes (see clients.ts); compare the presented secret against the hash.
  provider.Client.prototype.compareClientSecret = function compareClientSecret(presented: string) {
    return Promise.resolve(typeof this.clientSecret === 'string' && clientSecretMatches(this.clientSecret, presented));
  };

  if (config.implicitLocalhostWaiver) waiveImplicitHttpsRule(provider);
  return provider;
}

function audienceParameter(ctx: KoaContextWithOIDC): string | undefined {
  const fromBody = (ctx.oidc.body as Record<string, unknown> | undefined)?.audience;
  const fromQuery = ctx.query?.audience;
  const value = fromBody ?? fromQuery;
  return typeof value === 'string' && value ? value : undefined;
}

function describeError(out: { error?: string; error_description?: string }): string {
  const description = out.error_description ?? 'The request could not be completed.';
  return out.error ? `${description} (${out.error})` : description;
}

/**
 * oidc-provider refuses http and localhost redirect URIs for implicit clients. On a developer's
 * machine (PUBLIC_URL http on loopback, not production: see config.ts) that rule is waived.
 */
function waiveImplicitHttpsRule(provider: Provider): void {
  const schema = (provider.Client as unknown as { Schema: { prototype: unknown } }).Schema.prototype as { invalidate(message: string, code?: string): void };
  const original = schema.invalidate;
  schema.invalidate = function invalidate(message: string, code?: string) {
    if (code === 'implicit-force-https' || code === 'implicit-forbid-localhost') return;
    return original.call(this, message, code);
  };
}

/**
 * The standard prompts, and one more reason to sign in: a session whose person has since been
 * disabled or deleted (findAccount finds no one). Without it the provider went on to consent with
 * no grant and failed with a 500; now it asks for a sign-in (prompt=none: login_required).
 */
function signInPolicy() {
  const { Check, base } = interactionPolicy;
  const policy = base();
  policy.get('login')!.checks.add(
    new Check('account_unavailable', 'the signed-in account is no longer available', 'login_required', (ctx) =>
      ctx.oidc.session?.accountId && !ctx.oidc.account ? Check.REQUEST_PROMPT : Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}
