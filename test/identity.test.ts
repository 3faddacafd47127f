// The embedded identity provider, driven by an independent relying party (openid-client) over
// real HTTP, on both database engines.
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IMPORT_SECRET } from '../src/identity/index.ts';
import { ENGINES } from './support/databases.ts';
import { json } from './support/http.ts';
import { client, discover, signInImplicit, signInWithCode, SPA_CLIENT_ID, USER_SCOPE } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';
import { SignInPageError, UserAgent } from './support/user-agent.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';
const NS = 'https://api.abc-inc.example/';

describe.each(ENGINES)('identity provider [%s]', (engine) => {
  let running: RunningSystem;
  let jwks: ReturnType<typeof createRemoteJWKSet>;

  beforeAll(async () => {
    running = await startSystem(engine);
    jwks = createRemoteJWKSet(new URL(`${running.issuer}/jwks`));
  });
  afterAll(async () => running?.stop());

  const verifyAccessToken = (token: string) =>
    jwtVerify(token, jwks, { issuer: running.issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['RS256'] });

  it('publishes discovery at /oidc with the issuer, S256-only PKCE and both SPA flows', async () => {
    const response = await fetch(`${running.baseUrl}/oidc/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const metadata = await json(response);
    expect(metadata.issuer).toBe(`${running.baseUrl}/oidc`);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.response_types_supported).toEqual(expect.arrayContaining(['code', 'id_token token']));
    expect(metadata.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'implicit', 'refresh_token', 'client_credentials']),
    );
    expect(metadata.id_token_signing_alg_values_supported).toEqual(['RS256']);
    expect(metadata.end_session_endpoint).toBe(`${running.baseUrl}/oidc/session/end`);
    expect(metadata.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'read:timesheets', 'create:timesheets', 'delete:timesheets', 'approve:timesheets', 'batch:upload']),
    );
  });

  it('publishes only public RS256 keys with unique kids', async () => {
    const { keys } = await json(await fetch(`${running.issuer}/jwks`));
    expect(keys.length).toBeGreaterThan(0);
    expect(new Set(keys.map((k: { kid: string }) => k.kid)).size).toBe(keys.length);
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(secret);
      expect(Buffer.from(key.n, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
    }
  });

  describe('client credentials (the import job)', () => {
    it('issues an RFC 9068 access token for the API with exactly batch:upload', async () => {
      const config = await discover(running.issuer, 'timesheets-import-job', DEMO_IMPORT_SECRET);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'batch:upload' });
      const { payload, protectedHeader } = await verifyAccessToken(tokens.access_token);
      expect(protectedHeader).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        iss: running.issuer,
        aud: AUDIENCE,
        sub: 'timesheets-import-job',
        client_id: 'timesheets-import-job',
        scope: 'batch:upload',
      });
      expect(typeof payload.jti).toBe('string');
      expect(payload.exp! - payload.iat!).toBe(600);
    });

    it('accepts the hosted vendor\'s audience= parameter and refuses another audience', async () => {
      const config = await discover(running.issuer, 'timesheets-import-job', DEMO_IMPORT_SECRET);
      const tokens = await client.clientCredentialsGrant(config, { scope: 'batch:upload', audience: AUDIENCE });
      expect(decodeJwt(tokens.access_token).aud).toBe(AUDIENCE);
      await expect(
        client.clientCredentialsGrant(config, { scope: 'batch:upload', audience: 'https://other.example/api' }),
      ).rejects.toMatchObject({ error: 'invalid_target' });
    });

    it('refuses a wrong secret and scopes the client was not granted', async () => {
      const wrong = await discover(running.issuer, 'timesheets-import-job', 'not-the-secret');
      await expect(client.clientCredentialsGrant(wrong, { scope: 'batch:upload' })).rejects.toMatchObject({
        status: 401,
        cause: [expect.objectContaining({ parameters: expect.objectContaining({ error: 'invalid_client' }) })],
      });
      const config = await discover(running.issuer, 'timesheets-import-job', DEMO_IMPORT_SECRET);
      await expect(client.clientCredentialsGrant(config, { scope: 'read:timesheets' })).rejects.toMatchObject({
        error: 'invalid_scope',
      });
    });
  });

  describe('authorization code + PKCE through the sign-in page', () => {
    it('gives an employee a token whose scope is the intersection of request and roles', async () => {
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, {
        email: 'ellen@abc-inc.example',
        scope: `${USER_SCOPE} batch:upload`,
      });
      const { payload } = await verifyAccessToken(tokens.access_token);
      const scopes = String(payload.scope).split(' ');
      expect(scopes).toEqual(expect.arrayContaining(['read:timesheets', 'create:timesheets', 'delete:timesheets']));
      expect(scopes).not.toContain('approve:timesheets');
      expect(scopes).not.toContain('batch:upload');
      expect(payload.sub).toMatch(/^usr_/);
      expect(payload.client_id).toBe(SPA_CLIENT_ID);
      expect(payload[`${NS}email`]).toBe('ellen@abc-inc.example');
      expect(payload[`${NS}roles`]).toEqual(['employee']);
      expect(payload[`${NS}kind`]).toBe('employee');
      const idToken = tokens.claims()!;
      expect(idToken).toMatchObject({
        sub: payload.sub,
        email: 'ellen@abc-inc.example',
        email_verified: true,
        name: 'Ellen Employee',
        [`${NS}roles`]: ['employee'],
      });
      // A refresh token without asking for offline_access (kept in memory by the SPA).
      expect(tokens.refresh_token).toBeTruthy();
    });

    it('gives a manager approve:timesheets, and never batch:upload to anyone', async () => {
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, {
        email: 'maria@abc-inc.example',
        scope: `${USER_SCOPE} batch:upload`,
      });
      const scopes = String(decodeJwt(tokens.access_token).scope).split(' ');
      expect(scopes).toContain('approve:timesheets');
      expect(scopes).not.toContain('batch:upload');
    });

    it('gives the tenant administrator no API scope: administration is the CLI, not the API', async () => {
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, {
        email: 'adam@abc-inc.example',
        scope: `${USER_SCOPE} batch:upload`,
      });
      expect(String(decodeJwt(tokens.access_token).scope).split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    });

    it('serves userinfo for the API access token when openid was granted', async () => {
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example' });
      const response = await fetch(`${running.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject({
        sub: decodeJwt(tokens.access_token).sub,
        email: 'carl@abc-inc.example',
        name: 'Carl Contractor',
      });
      // The scheme is case-insensitive (RFC 7235).
      const lowerCase = await fetch(`${running.issuer}/me`, { headers: { authorization: `bearer ${tokens.access_token}` } });
      expect(lowerCase.status).toBe(200);
      const bad = await fetch(`${running.issuer}/me`, { headers: { authorization: `Bearer ${tokens.access_token}x` } });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      // An ID token is not an access token: same issuer and keys, but the wrong audience and typ.
      const idToken = await fetch(`${running.issuer}/me`, { headers: { authorization: `Bearer ${tokens.id_token}` } });
      expect(idToken.status).toBe(401);
      // Not a JWT: the provider's own userinfo answers (with a JSON error body; ours sends none).
      const opaque = await fetch(`${running.issuer}/me`, { headers: { authorization: 'Bearer not-a-jwt' } });
      expect(opaque.status).toBe(401);
      expect(await opaque.json()).toMatchObject({ error: 'invalid_token' });
    });

    it('rotates refresh tokens and revokes the grant when a used one comes back', async () => {
      const { tokens, config } = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
      const first = tokens.refresh_token!;
      const second = await client.refreshTokenGrant(config, first);
      expect(second.refresh_token).toBeTruthy();
      expect(second.refresh_token).not.toBe(first);
      await verifyAccessToken(second.access_token);
      await expect(client.refreshTokenGrant(config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
      // Reuse detection revoked the whole grant, the rotated token included.
      await expect(client.refreshTokenGrant(config, second.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('answers a wrong email and a wrong password with the same message', async () => {
      const attempt = async (email: string, password: string) => {
        try {
          await signInWithCode(running.issuer, running.baseUrl, { email, password });
          throw new Error('signed in');
        } catch (error) {
          expect(error).toBeInstanceOf(SignInPageError);
          return error as SignInPageError;
        }
      };
      const unknown = await attempt('nobody@abc-inc.example', 'demo-password');
      const wrong = await attempt('carl@abc-inc.example', 'wrong-password');
      expect(unknown.status).toBe(401);
      expect(wrong.status).toBe(401);
      const message = (page: string) => /role="alert"[^>]*>([^<]+)</.exec(page)?.[1];
      expect(message(unknown.body)).toBe('Incorrect email or password.');
      expect(message(wrong.body)).toBe(message(unknown.body));
    });
  });

  it('lets the mobile app sign in with code + PKCE on a loopback redirect, without a consent page (first party)', async () => {
    const config = await discover(running.issuer, 'timesheets-mobile');
    const verifier = client.randomPKCECodeVerifier();
    const redirectUri = 'http://127.0.0.1:49152/callback';
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email read:timesheets create:timesheets offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: 'm',
    });
    const agent = new UserAgent();
    const { url: callback, hops } = await agent.follow(url.href, redirectUri, {
      email: 'carl@abc-inc.example',
      password: 'demo-password',
    });
    expect(hops.filter((hop) => hop.body !== undefined)).toHaveLength(1); // the sign-in page, nothing else
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: 'm' });
    const { payload } = await verifyAccessToken(tokens.access_token);
    expect(payload.client_id).toBe('timesheets-mobile');
    expect(String(payload.scope).split(' ')).toEqual(expect.arrayContaining(['read:timesheets', 'create:timesheets']));
    expect(tokens.refresh_token).toBeTruthy();
  });

  it('refuses the implicit flow unless AUTH_FLOW=implicit chose it', async () => {
    const url = new URL(`${running.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: SPA_CLIENT_ID,
      response_type: 'id_token token',
      redirect_uri: `${running.baseUrl}/callback`,
      scope: 'openid read:timesheets',
      nonce: 'n',
      state: 'abc',
    }).toString();
    const location = (await fetch(url, { redirect: 'manual' })).headers.get('location') ?? '';
    expect(location).toMatch(/error=invalid_request&error_description=requested\+response_type\+is\+not\+allowed/);
    expect(location).not.toContain('access_token');
  });

  describe('implicit (id_token token), as the guide did it, with AUTH_FLOW=implicit', () => {
    let implicit: RunningSystem;
    beforeAll(async () => {
      implicit = await startSystem(engine, { env: { AUTH_FLOW: 'implicit' } });
    });
    afterAll(async () => implicit?.stop());

    it('returns both tokens in the fragment with nonce and a matching at_hash', async () => {
      const nonce = client.randomNonce();
      const state = client.randomState();
      const { params } = await signInImplicit(implicit.issuer, implicit.baseUrl, { email: 'maria@abc-inc.example', nonce, state });
      expect(params.get('state')).toBe(state);
      const accessToken = params.get('access_token')!;
      const implicitKeys = createRemoteJWKSet(new URL(`${implicit.issuer}/jwks`));
      const { payload: idToken } = await jwtVerify(params.get('id_token')!, implicitKeys, {
        issuer: implicit.issuer,
        audience: SPA_CLIENT_ID,
        algorithms: ['RS256'],
      });
      expect(idToken.nonce).toBe(nonce);
      const digest = createHash('sha256').update(accessToken).digest();
      expect(idToken.at_hash).toBe(digest.subarray(0, 16).toString('base64url'));
      expect(idToken.email).toBe('maria@abc-inc.example');
      const { payload } = await jwtVerify(accessToken, implicitKeys, { issuer: implicit.issuer, audience: AUDIENCE, typ: 'at+jwt' });
      expect(String(payload.scope).split(' ')).toContain('approve:timesheets');
      expect(params.get('refresh_token')).toBeNull();
    });

    it('refuses an implicit request without a nonce', async () => {
      const url = new URL(`${implicit.issuer}/auth`);
      url.search = new URLSearchParams({
        client_id: SPA_CLIENT_ID,
        response_type: 'id_token token',
        redirect_uri: `${implicit.baseUrl}/callback`,
        scope: 'openid',
        state: 'abc',
      }).toString();
      const response = await fetch(url, { redirect: 'manual' });
      const location = response.headers.get('location') ?? '';
      expect(location).toContain('error=invalid_request');
      expect(location).not.toContain('access_token');
    });
  });

  describe('sessions', () => {
    it('renews silently with prompt=none while signed in, even when more was asked than the roles allow', async () => {
      const agent = new UserAgent();
      await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example', agent });
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, {
        email: 'ellen@abc-inc.example',
        agent,
        extra: { prompt: 'none' },
      });
      expect(String(decodeJwt(tokens.access_token).scope).split(' ')).not.toContain('approve:timesheets');
    });

    it('ends the provider session on RP-initiated logout; prompt=none then answers login_required', async () => {
      const { tokens, agent, config } = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
      const logoutUrl = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token!,
        post_logout_redirect_uri: `${running.baseUrl}/`,
        state: 'bye',
      });
      const { url } = await agent.follow(logoutUrl.href, (u) => u.pathname === '/');
      expect(new URL(url).searchParams.get('state')).toBe('bye');

      const state = client.randomState();
      const authorize = client.buildAuthorizationUrl(config, {
        redirect_uri: `${running.baseUrl}/callback`,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state,
        prompt: 'none',
      });
      const { url: callback } = await agent.follow(authorize.href, `${running.baseUrl}/callback`);
      expect(new URL(callback).searchParams.get('error')).toBe('login_required');
      // The refresh token ended with the session.
      await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    });

    it('shows our own sign-out page with a Sign out button', async () => {
      const { tokens, agent } = await signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example' });
      const response = await agent.request(`${running.issuer}/session/end?id_token_hint=${tokens.id_token}`);
      const page = await response.text();
      expect(response.status).toBe(200);
      expect(page).toMatch(/<button[^>]*name="logout"[^>]*>Sign out<\/button>/);
      expect(page).toContain('/theme.css');
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    });
  });

  it('serves a sign-in page that cannot be framed and works without JavaScript', async () => {
    const config = await discover(running.issuer, SPA_CLIENT_ID);
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: `${running.baseUrl}/callback`,
      scope: 'openid',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const agent = new UserAgent();
    const first = await agent.request(url.href);
    expect(first.status).toBe(303);
    const page = await agent.request(new URL(first.headers.get('location')!, url).href);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toMatch(/<label for="email">Email<\/label>/);
    expect(html).toMatch(/<label for="password">Password<\/label>/);
    expect(html).toMatch(/<button type="submit"[^>]*>Sign in<\/button>/);
    expect(html).not.toContain('<script');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("require-trusted-types-for 'script'");
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
