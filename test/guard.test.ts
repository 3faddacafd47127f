// The API's guard on its own: each route's check is chosen when the route is added, and it holds
// for a token seen before (taken from the verified-token cache) as for a new one.
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guarded, registerGuarded } from '../src/api/guard.ts';
import { localKeySource, tokenVerifier } from '../src/api/index.ts';
import { errorHandler } from '../src/api/problems.ts';
import { loggerOptions } from '../src/logging.ts';
import { RateWindow } from '../src/rate-window.ts';
import { newSigningKey, signAccessToken } from './support/tokens.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'https://api.test';
const PER_MINUTE = 3;

let app: FastifyInstance;
/** An access token for `sub`; a machine client's when `sub` is also its client_id. */
let sign: (scope: string, sub?: string, clientId?: string) => Promise<string>;
const logLines: { level: number; msg: string; route?: string }[] = [];

beforeAll(async () => {
  const key = await newSigningKey('k1');
  sign = (scope, sub = 'alice', clientId = 'spa') => signAccessToken(key, { issuer: ISSUER, audience: AUDIENCE, sub, claims: { scope, client_id: clientId } });
  const keys = localKeySource(() => ({ fingerprint: 'k1' }), () => ({ keys: [key.jwk] }));
  const verifier = tokenVerifier(
    { issuer: ISSUER, audience: AUDIENCE, algorithms: ['RS256'], requireAtJwtTyp: true, scopeClaim: 'scope', claimNamespace: 'https://x/' },
    keys,
  );
  app = Fastify({ logger: loggerOptions('info', { write: (line: string) => void logLines.push(JSON.parse(line)) }) });
  app.setErrorHandler(errorHandler);
  await registerGuarded(app, { verifier, perCaller: new RateWindow(PER_MINUTE, 60_000) }, async (scope) => {
    const read = guarded('read:timesheets');
    scope.get('/read', { config: read.config }, async (request) => ({ sub: request.caller?.sub }));
    scope.post('/write', { config: guarded('create:timesheets').config, schema: { body: { type: 'object', required: ['n'] } } }, async () => ({ ok: true }));
    scope.post('/upload', { config: guarded('batch:upload', 'client').config }, async () => ({ uploaded: true }));
    scope.get('/open', { config: { auth: 'public' } }, async () => ({ open: true }));
    scope.get('/forgotten', async () => ({ leaked: true }));
  });
  await app.ready();
});

afterAll(() => app.close());

const call = (method: 'GET' | 'HEAD' | 'POST', url: string, token?: string, payload?: unknown) =>
  app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('API guard', () => {
  it('refuses every request to a route that declares no scope, and says so in the log', async () => {
    const token = await sign('read:timesheets create:timesheets', 'forgetful');
    for (const response of [await call('GET', '/forgotten'), await call('GET', '/forgotten', token)]) {
      expect(response.statusCode).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).not.toContain('leaked');
    }
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, route: '/forgotten', msg: 'route declares no scope: refused' }));
  });

  it('lets a public route through without a token', async () => {
    expect((await call('GET', '/open')).json()).toEqual({ open: true });
  });

  it('guards the HEAD route Fastify adds beside a GET', async () => {
    const response = await call('HEAD', '/read');
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Bearer');
  });

  it('checks principal and scope for a token it has already verified, as for a new one', async () => {
    const readOnly = await sign('read:timesheets', 'reader');
    const machine = await sign('batch:upload read:timesheets', 'import-job', 'import-job');
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await call('GET', '/read', readOnly)).json()).toEqual({ sub: 'reader' });
      const refused = await call('POST', '/write', readOnly, { n: 1 });
      expect(refused.statusCode).toBe(403);
      expect(refused.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="create:timesheets"');
      // A person's route refuses a machine client's token, whatever its scopes; a client's route, a person's.
      expect((await call('GET', '/read', machine)).json()).toMatchObject({ status: 403, detail: expect.stringContaining('serves people') });
      expect((await call('POST', '/upload', readOnly)).json()).toMatchObject({ status: 403, detail: expect.stringContaining('machine clients only') });
      expect((await call('POST', '/upload', machine)).json()).toEqual({ uploaded: true });
    }
  });

  it('never takes a token for one it verified before unless they are equal, even with the same signature', async () => {
    const verified = await sign('read:timesheets', 'reader');
    expect((await call('GET', '/read', verified)).statusCode).toBe(200);
    // One character of the payload changed; the signature (the part the cache looks up first) is the same.
    const [header, payload, signature] = verified.split('.') as [string, string, string];
    const altered = `${header}.${payload.slice(0, 10)}${payload[10] === 'A' ? 'B' : 'A'}${payload.slice(11)}.${signature}`;
    expect((await call('GET', '/read', altered)).statusCode).toBe(401);
    expect((await call('GET', '/read', `${verified.slice(0, -4)}AAAA`)).statusCode).toBe(401);
  });

  it('counts each caller on its own, and refuses one over its limit before reading the body', async () => {
    const busy = await sign('read:timesheets create:timesheets', 'busy');
    const other = await sign('read:timesheets', 'other');
    for (let i = 0; i < PER_MINUTE; i++) expect((await call('GET', '/read', busy)).statusCode).toBe(200);
    // The body is not even JSON: a 400 would mean it was parsed before the limit was checked.
    const limited = await app.inject({
      method: 'POST',
      url: '/write',
      headers: { authorization: `Bearer ${busy}`, 'content-type': 'application/json' },
      payload: '{',
    });
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await call('GET', '/read', other)).statusCode).toBe(200);
  });
});
