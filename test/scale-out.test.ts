// Several instances, one PostgreSQL, one issuer: two full instances behind a round-robin balancer
// (both with the balancer's address as PUBLIC_URL), and an API-only instance that trusts the
// provider through its published discovery document and keys alone.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rotateSigningKey } from '../src/identity/keys.ts';
import { apiClient, importJobTokenRequest } from './support/api.ts';
import { startBalancer } from './support/balancer.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { json } from './support/http.ts';
import { SPA_CLIENT_ID, authorizationCode, signInWithCode } from './support/oidc.ts';
import { freePort, startSystem, type RunningSystem } from './support/system.ts';

describe('two instances on one database [postgres]', () => {
  let database: TestDatabase;
  let a: RunningSystem;
  let b: RunningSystem;
  let apiOnly: RunningSystem;
  let balancer: Awaited<ReturnType<typeof startBalancer>>;
  let issuer: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const [balancerPort, portA, portB, portC] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    const publicUrl = `http://127.0.0.1:${balancerPort}`;
    issuer = `${publicUrl}/oidc`;
    a = await startSystem('postgres', { database, port: portA, publicUrl, keyRefreshMs: 100 });
    b = await startSystem('postgres', { database, port: portB, publicUrl, keyRefreshMs: 100 });
    balancer = await startBalancer(balancerPort, [portA, portB]);
    apiOnly = await startSystem('postgres', { database, port: portC, publicUrl, env: { PARTS: 'api', JWKS_REFRESH_SECONDS: '1' } });
  });
  afterAll(async () => {
    await apiOnly?.stop({ keepDatabase: true });
    await a?.stop({ keepDatabase: true });
    await b?.stop({ keepDatabase: true });
    await balancer?.close();
    await database?.drop();
  });

  const pinned = (backend: number) => ({ 'x-backend': String(backend) });
  const direct = (system: RunningSystem) => `http://127.0.0.1:${system.config.port}`;

  it('signs in across instances: the page one serves is submitted to the other, and the other redeems the code', async () => {
    const before = balancer.log.length;
    const { tokens } = await signInWithCode(issuer, `http://127.0.0.1:${new URL(issuer).port}`, { email: 'ellen@abc-inc.example' });
    const hops = balancer.log.slice(before);
    const page = hops.find((h) => h.method === 'GET' && h.path.startsWith('/oidc/interaction/'))!;
    const submit = hops.find((h) => h.method === 'POST' && h.path.endsWith('/login'))!;
    expect(page.backend).not.toBe(submit.backend);
    const issued = hops.filter((h) => h.path.startsWith('/oidc/auth/')).at(-1)!;
    const redeemed = hops.find((h) => h.method === 'POST' && h.path === '/oidc/token')!;
    expect(redeemed.backend).not.toBe(issued.backend);
    expect(tokens.access_token).toBeTruthy();
  });

  it('has the API-only instance ready before any token arrives (it loaded the published keys)', async () => {
    const ready = await fetch(`${direct(apiOnly)}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('accepts a token from one instance at the other, and at an API-only instance', async () => {
    const { tokens } = await signInWithCode(issuer, balancer.url, { email: 'maria@abc-inc.example' });
    for (const system of [a, b, apiOnly]) {
      const me = await apiClient(direct(system), tokens.access_token)('GET', '/api/me');
      expect(me.status).toBe(200);
      expect(me.body.email).toBe('maria@abc-inc.example');
    }
    // The API-only instance serves no provider of its own.
    expect((await fetch(`${direct(apiOnly)}/oidc/.well-known/openid-configuration`)).status).toBe(404);
  });

  const refresh = (refreshToken: string, backend: number) =>
    fetch(`${balancer.url}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...pinned(backend) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: SPA_CLIENT_ID }),
    });

  it('refuses at one instance a refresh token already rotated at the other', async () => {
    const { tokens } = await signInWithCode(issuer, balancer.url, { email: 'carl@abc-inc.example' });
    const rotated = await refresh(tokens.refresh_token!, 0);
    expect(rotated.status).toBe(200);
    const replay = await refresh(tokens.refresh_token!, 1);
    expect(replay.status).toBe(400);
    expect(await json(replay)).toMatchObject({ error: 'invalid_grant' });
    // Reuse revoked the grant everywhere: the rotated token is dead at both instances.
    const { refresh_token: next } = (await json(rotated)) as { refresh_token: string };
    expect((await refresh(next, 0)).status).toBe(400);
  });

  it('lets exactly one of two simultaneous redemptions of one code succeed, one per instance', async () => {
    const { code, verifier } = await authorizationCode(issuer, balancer.url, { email: 'ellen@abc-inc.example', scope: 'openid read:timesheets' });
    const callback = `${balancer.url}/callback`;
    const redeem = (backend: number) =>
      fetch(`${balancer.url}/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...pinned(backend) },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: callback, client_id: SPA_CLIENT_ID }),
      }).then((r) => r.status);
    const statuses = await Promise.all([redeem(0), redeem(1)]);
    expect(statuses.sort()).toEqual([200, 400]);
  });

  it('signs with a key rotated through one instance at the other, and the API-only instance follows', async () => {
    // Published at once, signing after 2 s: meanwhile every verifier refreshes its key set.
    const key = await rotateSigningKey(a.system.database.stores, 2000);
    const tokenAt = async (backend: number) => {
      const response = await importJobTokenRequest(`${balancer.url}/oidc`, { headers: pinned(backend) });
      return ((await json(response)) as { access_token: string }).access_token;
    };
    await vi.waitFor(async () => expect(decodeProtectedHeader(await tokenAt(1)).kid).toBe(key.kid), { timeout: 8000, interval: 100 });
    // The API-only instance learned the new key from the published JWKS before it signed anything.
    const token = await tokenAt(1);
    const upload = await apiClient(direct(apiOnly), token)('POST', '/api/timesheets/upload', { entries: [] });
    expect(upload.status).toBe(200);
  });
});
