// Attacks on the embedded provider (security checklist §2.1), over real HTTP.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, userToken } from './support/api.ts';
import { ENGINES } from './support/databases.ts';
import { authorizationCode, authorizeUrl, discover, SPA_CLIENT_ID } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

describe.each(ENGINES)('attacks on the identity provider [%s]', (engine) => {
  let running: RunningSystem;
  let callback: string;

  beforeAll(async () => {
    running = await startSystem(engine);
    callback = `${running.baseUrl}/callback`;
  });
  afterAll(async () => running?.stop());


  it('shows an error page, never a redirect, for any redirect URI that is not exactly registered', async () => {
    const port = new URL(running.baseUrl).port;
    const variants = [
      `${callback}?x=1`,
      `${callback}/`,
      `${running.baseUrl}/CALLBACK`,
      `https://127.0.0.1:${port}/callback`,
      `http://127.0.0.1.evil.example:${port}/callback`,
      `${running.baseUrl}/callback/../evil`,
      `${callback}#frag`,
      'https://attacker.example/callback',
    ];
    for (const redirectUri of variants) {
      for (const prompt of [undefined, 'none']) {
        const response = await fetch(authorizeUrl(running.issuer, { state: 'st', redirect_uri: redirectUri, ...(prompt ? { prompt } : {}) }), { redirect: 'manual' });
        expect(response.status, redirectUri).toBe(400);
        expect(response.headers.get('location'), redirectUri).toBeNull();
        expect(await response.text()).toContain('redirect_uri');
      }
    }
  });

  it('refuses PKCE plain and a missing code challenge (no downgrade)', async () => {
    const plain = await fetch(authorizeUrl(running.issuer, { state: 'st', redirect_uri: callback, code_challenge_method: 'plain', code_challenge: 'x'.repeat(43) }), {
      redirect: 'manual',
    });
    expect(new URL(plain.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
    const url = new URL(authorizeUrl(running.issuer, { state: 'st', redirect_uri: callback }));
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const none = await fetch(url, { redirect: 'manual' });
    expect(new URL(none.headers.get('location')!).searchParams.get('error')).toBe('invalid_request');
  });

  const codeFor = (email: string) => authorizationCode(running.issuer, running.baseUrl, { email, scope: 'openid read:timesheets' });

  const redeem = (code: string, verifier: string) =>
    fetch(`${running.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: callback, client_id: SPA_CLIENT_ID }),
    });

  it('refuses a wrong or missing code_verifier', async () => {
    const { code, verifier } = await codeFor('ellen@abc-inc.example');
    const last = verifier.at(-1) === 'A' ? 'B' : 'A';
    const wrong = await redeem(code, `${verifier.slice(0, -1)}${last}`);
    expect(wrong.status).toBe(400);
    expect((await wrong.json()) as unknown).toMatchObject({ error: 'invalid_grant' });
    const missing = await fetch(`${running.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback, client_id: SPA_CLIENT_ID }),
    });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toMatch(/invalid_grant|invalid_request/);
  });

  it('lets a code be redeemed once; a second redemption revokes what the first gave', async () => {
    const { code, verifier } = await codeFor('ellen@abc-inc.example');
    const first = await redeem(code, verifier);
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as { access_token: string; refresh_token: string };
    const second = await redeem(code, verifier);
    expect(second.status).toBe(400);
    expect((await second.json()) as unknown).toMatchObject({ error: 'invalid_grant' });
    const refreshed = await fetch(`${running.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: SPA_CLIENT_ID }),
    });
    expect(refreshed.status).toBe(400);
    // The JWT access token of the first redemption stays valid until its short exp (see README).
    expect((await apiClient(running.baseUrl, tokens.access_token)('GET', '/api/me')).status).toBe(200);
    expect(decodeJwt(tokens.access_token).exp! - decodeJwt(tokens.access_token).iat!).toBeLessThanOrEqual(600);
  });

  it('gives exactly one success when one code is redeemed many times at once', async () => {
    const { code, verifier } = await codeFor('carl@abc-inc.example');
    const statuses = await Promise.all(Array.from({ length: 10 }, () => redeem(code, verifier).then((r) => r.status)));
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });

  it('gives exactly one success when one refresh token is used many times at once', async () => {
    const { code, verifier } = await codeFor('maria@abc-inc.example');
    const { refresh_token: refreshToken } = (await (await redeem(code, verifier)).json()) as { refresh_token: string };
    const statuses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${running.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA_CLIENT_ID }),
        }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
  });

  it('never answers CORS on the authorization endpoint, and only our origin at the token endpoint', async () => {
    const auth = await fetch(authorizeUrl(running.issuer, { state: 'st', redirect_uri: callback }), { redirect: 'manual', headers: { origin: 'https://attacker.example' } });
    expect(auth.headers.get('access-control-allow-origin')).toBeNull();
    const config = await discover(running.issuer, SPA_CLIENT_ID);
    const tokenRequest = (origin: string) =>
      fetch(`${running.issuer}/token`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: SPA_CLIENT_ID }),
      });
    expect((await tokenRequest('https://attacker.example')).headers.get('access-control-allow-origin')).toBeNull();
    expect((await tokenRequest(running.baseUrl)).headers.get('access-control-allow-origin')).toBe(running.baseUrl);
    expect(config.serverMetadata().token_endpoint).toBe(`${running.issuer}/token`);
    const api = await fetch(`${running.baseUrl}/api/me`, {
      method: 'OPTIONS',
      headers: { origin: 'https://attacker.example', 'access-control-request-method': 'GET' },
    });
    expect(api.headers.get('access-control-allow-origin')).toBeNull();
    const ours = await fetch(`${running.baseUrl}/api/me`, {
      method: 'OPTIONS',
      headers: { origin: running.baseUrl, 'access-control-request-method': 'GET' },
    });
    expect(ours.headers.get('access-control-allow-origin')).toBe(running.baseUrl);
  });

  it('lets only our origin read the API’s answers, its refusals included, and varies every answer by Origin', async () => {
    const token = await userToken(running, 'ellen@abc-inc.example');
    const me = (origin?: string, withToken = true) =>
      fetch(`${running.baseUrl}/api/me`, {
        headers: { ...(origin ? { origin } : {}), ...(withToken ? { authorization: `Bearer ${token}` } : {}) },
      });
    const ours = await me(running.baseUrl);
    expect(ours.status).toBe(200);
    expect(ours.headers.get('access-control-allow-origin')).toBe(running.baseUrl);
    expect(ours.headers.get('access-control-expose-headers')).toBe('location, retry-after, www-authenticate');
    expect(ours.headers.get('access-control-allow-credentials')).toBeNull();
    const refused = await me(running.baseUrl, false);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(running.baseUrl);
    for (const response of [await me('https://attacker.example'), await me()]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-expose-headers')).toBeNull();
    }
    for (const response of [ours, refused, await me()]) expect(response.headers.get('vary')).toContain('Origin');

    const preflight = (origin: string) =>
      fetch(`${running.baseUrl}/api/timesheets/ent_any`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PATCH', 'access-control-request-headers': 'authorization, content-type' },
      });
    const allowed = await preflight(running.baseUrl);
    expect(allowed.status).toBe(204);
    expect(Object.fromEntries([...allowed.headers].filter(([name]) => name.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': running.baseUrl,
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-expose-headers': 'location, retry-after, www-authenticate',
      'access-control-max-age': '600',
    });
    const foreign = await preflight('https://attacker.example');
    expect([...foreign.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('serves provider pages and responses with protective headers', async () => {
    const discovery = await fetch(`${running.issuer}/.well-known/openid-configuration`);
    expect(discovery.headers.get('x-content-type-options')).toBe('nosniff');
    const error = await fetch(authorizeUrl(running.issuer, { state: 'st', redirect_uri: 'https://attacker.example/cb' }));
    expect(error.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(error.headers.get('x-frame-options')).toBe('DENY');
    const token = await fetch(`${running.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
    expect(token.headers.get('cache-control')).toBe('no-store');
  });
});
