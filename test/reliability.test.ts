// Reliability (security checklist §5): health, rate limits, logs that leak nothing, atomic
// decisions under a storm of requests, hostile bodies, and key rotation under continuous load.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_IMPORT_SECRET, DEMO_PASSWORD } from '../src/identity/index.ts';
import { apiClient, importJobToken, importJobTokenRequest, userToken } from './support/api.ts';
import { runCli } from './support/cli.ts';
import { ENGINES } from './support/databases.ts';
import { json } from './support/http.ts';
import { pooledClient } from './support/load.ts';
import { authorizeUrl, client, discover, signInWithCode } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';
import { UserAgent } from './support/user-agent.ts';

describe('health and logs [sqlite]', () => {
  const lines: string[] = [];
  let running: RunningSystem;
  beforeAll(async () => {
    running = await startSystem('sqlite', { logStream: { write: (line) => void lines.push(line) } });
  });
  afterAll(async () => running?.stop());

  it('warns at start, as a warning, that the published demo credentials are active', () => {
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((r) => r.level === 40);
    expect(warnings.map((w) => w.msg)).toContainEqual(expect.stringMatching(/^DEMO MODE: demo credentials .* are active/));
  });

  it('logs what browsers report the Content Security Policy blocked, without query strings or fragments', async () => {
    const base = running.baseUrl;
    const report = (type: string, body: unknown) =>
      fetch(`${base}/csp-reports`, { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify(body) });
    const batch = [
      {
        type: 'csp-violation',
        url: `${base}/callback`,
        body: { documentURL: `${base}/callback?code=the-code#state=s`, blockedURL: 'https://elsewhere.example/x.js?token=t0k3n', effectiveDirective: 'script-src-elem' },
      },
    ];
    expect((await report('application/reports+json', batch)).status).toBe(204);
    const legacy = { 'csp-report': { 'document-uri': `${base}/timesheets`, 'blocked-uri': 'inline', 'violated-directive': 'style-src' } };
    expect((await report('application/csp-report', legacy)).status).toBe(204);
    expect((await report('application/json', legacy)).status).toBe(415);

    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; cspViolation?: unknown }).filter((r) => r.cspViolation);
    expect(logged.map((r) => [r.level, r.cspViolation])).toEqual([
      [40, { directive: 'script-src-elem', blocked: 'https://elsewhere.example/x.js', page: `${base}/callback` }],
      [40, { directive: 'style-src', blocked: 'inline', page: `${base}/timesheets` }],
    ]);
    for (const secret of ['the-code', 'state=s', 't0k3n']) expect(lines.join('\n')).not.toContain(secret);
  });

  it('answers liveness and readiness without auth and without leaking configuration', async () => {
    const live = await fetch(`${running.baseUrl}/healthz`);
    expect(live.status).toBe(200);
    expect(await json(live)).toEqual({ status: 'ok' });
    const ready = await fetch(`${running.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await json(ready)).toEqual({ status: 'ready' });
  });

  it('writes one structured line per request and never a token, password, secret or cookie', async () => {
    const { tokens, agent } = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
    const ellen = apiClient(running.baseUrl, tokens.access_token);
    await ellen('POST', '/api/timesheets', { date: '2026-03-02', project: 'Internal', hours: 1 });
    await ellen('GET', `/api/timesheets?access_token=${tokens.access_token}`);
    await apiClient(running.baseUrl, `${tokens.access_token}x`)('GET', '/api/me');
    const machine = await importJobToken(running);
    await apiClient(running.baseUrl, machine)('POST', '/api/timesheets/upload', { entries: [] });

    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const completed = records.filter((r) => r.msg === 'request completed');
    const created = completed.find((r) => r.route === '/api/timesheets' && r.status === 201);
    expect(created).toMatchObject({ reqId: expect.any(String), method: 'POST', userId: decodeJwt(tokens.access_token).sub });
    expect(typeof created?.durationMs).toBe('number');
    expect(completed.some((r) => r.status === 401)).toBe(true);

    const everything = lines.join('\n');
    const secrets = [tokens.access_token, tokens.refresh_token!, tokens.id_token!, machine, DEMO_PASSWORD, DEMO_IMPORT_SECRET, ...agent.cookies.values()];
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});

describe('rate limits [sqlite]', () => {
  let running: RunningSystem;
  beforeAll(async () => {
    running = await startSystem('sqlite', { env: { API_RATE_LIMIT_PER_MINUTE: '5', TOKEN_RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(async () => running?.stop());

  it('limits each API caller on its own, with 429 and Retry-After', async () => {
    const ellen = apiClient(running.baseUrl, await userToken(running, 'ellen@abc-inc.example'));
    const carl = apiClient(running.baseUrl, await userToken(running, 'carl@abc-inc.example'));
    for (let i = 0; i < 5; i++) expect((await ellen('GET', '/api/me')).status).toBe(200);
    const limited = await ellen('GET', '/api/me');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await carl('GET', '/api/me')).status).toBe(200);
  });

  it('limits token requests per client, and a flood of wrong secrets does not spend the client budget', async () => {
    const request = (secret: string) => importJobTokenRequest(running.issuer, { secret });
    // Wrong secrets count against the address (its 3 a minute are soon spent)...
    const wrong = [];
    for (let i = 0; i < 5; i++) wrong.push((await request('wrong-secret')).status);
    expect(wrong.at(-1)).toBe(429);
    // ...while the real client still gets its own 3 a minute, then waits.
    for (let i = 0; i < 3; i++) expect((await request(DEMO_IMPORT_SECRET)).status).toBe(200);
    const limited = await request(DEMO_IMPORT_SECRET);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe.each(ENGINES)('data under attack [%s]', (engine) => {
  let running: RunningSystem;
  beforeAll(async () => {
    // One manager sends 10,000 requests here: above the per-caller limit this test is not about.
    running = await startSystem(engine, { env: { API_RATE_LIMIT_PER_MINUTE: '100000' } });
  });
  afterAll(async () => running?.stop());

  it('lets exactly one of 10,000 concurrent approvals of one entry succeed', async () => {
    const ellen = apiClient(running.baseUrl, await userToken(running, 'ellen@abc-inc.example'));
    const target = (await ellen('POST', '/api/timesheets', { date: '2026-04-06', project: 'StoreZero', hours: 8 })).body;
    const managerToken = await userToken(running, 'maria@abc-inc.example');
    const pool = pooledClient(running.baseUrl);
    try {
      const headers = { authorization: `Bearer ${managerToken}`, 'content-type': 'application/json' };
      const results = await Promise.all(
        Array.from({ length: 10_000 }, (_, i) =>
          pool.request('PUT', `/api/approvals/${target.id}`, headers, JSON.stringify(i % 2 ? {} : { decision: 'approve' })),
        ),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(9_999);
    } finally {
      pool.close();
    }
    const trail = await running.system.database.stores.entries.auditTrail(running.system.database.db, target.id);
    expect(trail.filter((t) => t.action === 'entry.approve')).toHaveLength(1);
  });

  it('refuses oversized and deeply nested JSON and stays responsive', async () => {
    const token = await userToken(running, 'carl@abc-inc.example');
    const post = (raw: string) =>
      fetch(`${running.baseUrl}/api/timesheets`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: raw,
      });
    const depth = 400_000;
    const nested = await post(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(nested.status).toBe(400);
    const nestedObject = await post(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    expect(nestedObject.status).toBe(400);
    expect((await post(JSON.stringify({ notes: 'x'.repeat(3 * 1024 * 1024) }))).status).toBe(413);
    const upload = await fetch(`${running.baseUrl}/api/timesheets/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await importJobToken(running)}`, 'content-type': 'application/json' },
      body: `{"entries":[${'['.repeat(200_000)}${']'.repeat(200_000)}]}`,
    });
    expect(upload.status).toBe(200);
    expect(((await upload.json()) as { errors: number }).errors).toBe(1);
    expect((await apiClient(running.baseUrl, token)('GET', '/api/me')).status).toBe(200);
  });
});

describe('signing-key rotation under continuous load [sqlite]', () => {
  let running: RunningSystem;
  beforeAll(async () => {
    running = await startSystem('sqlite', { keyRefreshMs: 50 });
  });
  afterAll(async () => running?.stop());

  it('fails no request while keys rotate', async () => {
    const config = await discover(running.issuer, 'timesheets-import-job', DEMO_IMPORT_SECRET);
    const user = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
    let refreshToken = user.tokens.refresh_token!;
    let stop = false;
    const failures: string[] = [];
    const kids = new Set<string | undefined>();
    const worker = async () => {
      while (!stop) {
        const machine = (await client.clientCredentialsGrant(config, { scope: 'batch:upload' })).access_token;
        const refreshed = await client.refreshTokenGrant(user.config, refreshToken);
        refreshToken = refreshed.refresh_token!;
        for (const [token, method, path, body] of [
          [machine, 'POST', '/api/timesheets/upload', { entries: [] }],
          [refreshed.access_token, 'GET', '/api/me', undefined],
        ] as const) {
          kids.add(decodeProtectedHeader(token).kid);
          const response = await apiClient(running.baseUrl, token)(method, path, body);
          if (response.status !== 200) failures.push(`${path} ${response.status}`);
        }
      }
    };
    const load = worker();
    // The operator's command, run while the load goes on: published first and signing a second later,
    // then twice at once.
    for (const delay of ['1', '0', '0']) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      const rotation = await runCli(['keys', 'rotate'], { DATABASE_URL: running.database.url, KEY_ROTATION_DELAY: delay });
      expect(rotation.code, rotation.stderr).toBe(0);
    }
    await new Promise((resolve) => setTimeout(resolve, 1200));
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(kids.size).toBeGreaterThanOrEqual(3);
  });
});

describe('behind TLS [sqlite]', () => {
  let running: RunningSystem;
  beforeAll(async () => {
    // PUBLIC_URL is https (a proxy terminates TLS in front); requests reach us as plain HTTP.
    running = await startSystem('sqlite', { publicUrl: 'https://timesheets.abc-inc.example', env: { TRUST_PROXY: '1' } });
  });
  afterAll(async () => running?.stop());

  it('sends Strict-Transport-Security on the API, the provider and the pages', async () => {
    const direct = `http://127.0.0.1:${running.config.port}`;
    for (const path of ['/healthz', '/api/me', '/oidc/.well-known/openid-configuration', '/theme.css', '/timesheets']) {
      const response = await fetch(`${direct}${path}`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'timesheets.abc-inc.example' } });
      expect(response.headers.get('strict-transport-security'), path).toBe('max-age=31536000; includeSubDomains');
    }
    // The app's pages: no plain-http request leaves them.
    expect((await fetch(`${direct}/timesheets`)).headers.get('content-security-policy')).toContain('upgrade-insecure-requests');
    // Behind the trusted proxy the provider publishes https endpoints.
    const discovery = await json(
      await fetch(`${direct}/oidc/.well-known/openid-configuration`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'timesheets.abc-inc.example' } }),
    );
    expect(discovery.token_endpoint).toBe('https://timesheets.abc-inc.example/oidc/token');
  });

  it('names the provider session cookie __Host-: Secure, HttpOnly, SameSite, for the whole host', async () => {
    const origin = 'https://timesheets.abc-inc.example';
    const browser = new UserAgent({ proxy: { origin, target: `http://127.0.0.1:${running.config.port}` } });
    const signIn = authorizeUrl(`${origin}/oidc`, { redirect_uri: `${origin}/callback` });
    const { url } = await browser.follow(signIn, `${origin}/callback`, { email: 'ellen@abc-inc.example', password: DEMO_PASSWORD });
    expect(new URL(url).searchParams.get('code')).toBeTruthy();
    const attributesOf = (cookie: string) => cookie.toLowerCase().split(';').map((part) => part.trim());
    const session = browser.setCookies.filter((cookie) => cookie.startsWith('__Host-session='));
    expect(session).toHaveLength(1);
    expect(attributesOf(session[0]!)).toEqual(expect.arrayContaining(['path=/', 'secure', 'httponly', 'samesite=lax']));
    expect(attributesOf(session[0]!).some((attribute) => attribute.startsWith('domain='))).toBe(false);
    // Every cookie the provider sets over HTTPS is Secure and HttpOnly.
    for (const cookie of browser.setCookies) expect(attributesOf(cookie), cookie.split('=')[0]).toEqual(expect.arrayContaining(['secure', 'httponly']));
  });
});
