// Attacks on the API's token checks (security checklist §2.3): every forged or bent token is
// refused with 401 invalid_token, never a 200 and never a 500. Malicious tokens start from a real
// token minted by the provider, re-signed with the provider's own key after one change, so a
// refusal proves the check under test, not a broken signature.
import { createServer, type Server } from 'node:http';
import { createHmac, createPrivateKey, generateKeyPairSync, sign as rsaSign, type KeyObject } from 'node:crypto';
import { decodeJwt, exportSPKI, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, userToken } from './support/api.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';
const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('token attacks on the API [sqlite]', () => {
  let running: RunningSystem;
  let baseline: Record<string, unknown>;
  let kid: string;
  let providerKey: KeyObject;
  let providerPublicJwk: JWK;
  let attacker: { privateKey: KeyObject; jwk: JWK };
  let attackerHits = 0;
  let attackerServer: Server;
  let attackerUrl: string;

  beforeAll(async () => {
    running = await startSystem('sqlite');
    const token = await userToken(running, 'maria@abc-inc.example');
    baseline = decodeJwt(token);
    const [signing] = await running.system.database.stores.keys.published(Date.now());
    kid = signing!.kid;
    providerKey = createPrivateKey({ key: signing!.privateJwk as never, format: 'jwk' });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = signing!.privateJwk as JWK;
    providerPublicJwk = publicPart;
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    attacker = { privateKey: pair.privateKey, jwk: { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256' } };
    attackerServer = createServer((_request, response) => {
      attackerHits++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: [attacker.jwk] }));
    });
    await new Promise<void>((resolve) => attackerServer.listen(0, '127.0.0.1', resolve));
    const address = attackerServer.address();
    attackerUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => attackerServer.close(() => resolve()));
    await running?.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);
  // Signs with node:crypto directly, so headers jose would refuse to produce (crit, weak keys) can be sent.
  const signCompact = (header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject) => {
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${rsaSign('sha256', Buffer.from(input), key).toString('base64url')}`;
  };
  const mint = async (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}, key: KeyObject = providerKey) =>
    signCompact({ alg: 'RS256', typ: 'at+jwt', kid, ...header }, { ...baseline, iat: now(), exp: now() + 300, ...claims }, key);
  const mintWithout = async (...names: string[]) => {
    const payload: Record<string, unknown> = { ...baseline, iat: now(), exp: now() + 300 };
    for (const name of names) delete payload[name];
    return signCompact({ alg: 'RS256', typ: 'at+jwt', kid }, payload, providerKey);
  };

  async function status(token: string, path = '/api/timesheets', scheme = 'Bearer'): Promise<number> {
    const response = await fetch(`${running.baseUrl}${path}`, { headers: { authorization: `${scheme} ${token}` } });
    if (response.status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(response.status).not.toBe(500);
    return response.status;
  }

  it('accepts the re-signed baseline (the forging harness works)', async () => {
    expect(await status(await mint())).toBe(200);
    expect(await status(await mint(), '/api/timesheets', 'bearer')).toBe(200);
  });

  it('refuses alg none in any spelling', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const token = `${b64({ alg, typ: 'at+jwt', kid })}.${b64({ ...baseline, exp: now() + 300 })}.`;
      expect(await status(token), alg).toBe(401);
    }
  });

  it('refuses HS256 signed with the provider public key (key confusion)', async () => {
    const pem = await exportSPKI((await importJWK(providerPublicJwk, 'RS256')) as Parameters<typeof exportSPKI>[0]);
    const secrets = [pem, Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'), String(providerPublicJwk.n)];
    for (const secret of secrets) {
      const signingInput = `${b64({ alg: 'HS256', typ: 'at+jwt', kid })}.${b64({ ...baseline, exp: now() + 300 })}`;
      const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
      expect(await status(`${signingInput}.${signature}`)).toBe(401);
    }
  });

  it('refuses stripped, truncated and tampered signatures', async () => {
    const token = await mint();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    expect(await status(`${header}.${payload}.`)).toBe(401);
    expect(await status(`${header}.${payload}.${signature.slice(0, 40)}`)).toBe(401);
    const escalated = b64({ ...decodeJwt(token), scope: `${baseline.scope} batch:upload`, sub: 'usr_someoneelse' });
    expect(await status(`${header}.${escalated}.${signature}`)).toBe(401);
  });

  it("refuses a valid signature from a key the issuer never published, even with the issuer's kid", async () => {
    expect(await status(await mint({}, {}, attacker.privateKey))).toBe(401);
  });

  it('refuses kid injection without touching files or the database', async () => {
    for (const value of ['../../../../../../dev/null', "' OR '1'='1", '/proc/self/environ', 'x'.repeat(10_000), 123, {}]) {
      expect(await status(await mint({}, { kid: value }, attacker.privateKey))).toBe(401);
      expect(await status(await mint({}, { kid: value }))).toBe(401);
    }
  });

  it('ignores jku, x5u and embedded jwk headers: the attacker key they point to is never fetched or trusted', async () => {
    attackerHits = 0;
    expect(await status(await mint({}, { jku: attackerUrl }, attacker.privateKey))).toBe(401);
    expect(await status(await mint({}, { x5u: attackerUrl }, attacker.privateKey))).toBe(401);
    expect(await status(await mint({}, { jwk: attacker.jwk }, attacker.privateKey))).toBe(401);
    expect(attackerHits).toBe(0);
  });

  it('refuses unknown critical headers', async () => {
    expect(await status(await mint({}, { crit: ['x-unknown'], 'x-unknown': true }))).toBe(401);
    expect(await status(await mint({}, { crit: ['b64'], b64: false }))).toBe(401);
  });

  it('checks time claims with a small leeway', async () => {
    expect(await status(await mint({ exp: now() - 60 }))).toBe(401);
    expect(await status(await mint({ exp: now() - 5 }))).toBe(200);
    expect(await status(await mint({ nbf: now() + 120 }))).toBe(401);
    expect(await status(await mint({ iat: now() + 600 }))).toBe(401);
    expect(await status(await mint({ exp: '9999999999' }))).toBe(401);
    expect(await status(await mintWithout('exp'))).toBe(401);
  });

  it('requires the exact issuer, the API audience, a subject and the at+jwt type', async () => {
    const issuer = running.issuer;
    for (const iss of [`${issuer}/`, issuer.replace('http:', 'https:'), 'https://evil.example', issuer.toUpperCase()]) {
      expect(await status(await mint({ iss })), iss).toBe(401);
    }
    for (const aud of ['timesheets-spa', 'https://other.example/api', `${AUDIENCE}/`]) {
      expect(await status(await mint({ aud })), aud).toBe(401);
    }
    // Policy (RFC 9068 §4 "contains"): a token naming the API among several audiences is accepted.
    expect(await status(await mint({ aud: [AUDIENCE, 'https://other.example/api'] }))).toBe(200);
    expect(await status(await mintWithout('aud'))).toBe(401);
    expect(await status(await mintWithout('sub'))).toBe(401);
    expect(await status(await mint({}, { typ: 'JWT' }))).toBe(401);
    expect(await status(await mint({}, { typ: 'logout+jwt' }))).toBe(401);
    expect(await status(await mint({}, { typ: undefined }))).toBe(401);
  });

  it('refuses a token signed by a weak (1024-bit) key even when the issuer publishes it', async () => {
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const weakKid = 'weak-1024';
    await running.system.database.stores.keys.insert({
      kid: weakKid,
      alg: 'RS256',
      privateJwk: { ...(weak.privateKey.export({ format: 'jwk' }) as JWK), kid: weakKid, alg: 'RS256', use: 'sig' },
      createdAt: Date.now(),
      activatesAt: Date.now() + 3_600_000,
      retiresAt: null,
    });
    await running.system.identity!.refreshKeys();
    try {
      expect(await status(await mint({}, { kid: weakKid }, weak.privateKey))).toBe(401);
    } finally {
      await running.system.database.db.deleteFrom('signing_keys').where('kid', '=', weakKid).execute();
      await running.system.identity!.refreshKeys();
    }
  });

  it('refuses malformed tokens without crashing', async () => {
    const token = await mint();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const malformed = [
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.extra`,
      `${header}.${payload}.${signature}.a.b`,
      `${header}.${payload}.${signature.replace(/[A-Za-z]/, '+')}/=`,
      `${b64('not json')}.${payload}.${signature}`,
      `${header}.${b64([1, 2, 3])}.${signature}`,
      `${header}.${b64('"a string"')}.${signature}`,
      `${header}.${Buffer.from([0xff, 0xfe, 0xfd]).toString('base64url')}.${signature}`,
      `{"alg":"RS256","alg":"none"}.${payload}.${signature}`,
    ];
    for (const value of malformed) expect(await status(value)).toBe(401);
    expect(await status(token, '/api/timesheets', 'Basic')).toBe(401);
  });

  it('reads the Bearer scheme case-insensitively, and a known token with anything added is a new (bad) one', async () => {
    const token = await mint();
    expect(await status(token)).toBe(200); // now verified and cached
    expect(await status(token, '/api/timesheets', 'bearer')).toBe(200);
    expect(await status(`  ${token}  `, '/api/timesheets', 'BEARER')).toBe(200);
    for (const value of [`${token} ${token}`, `${token},x`, `${token}\u00e9`, `${token}.`, `${token}=`, `"${token}"`]) {
      expect(await status(value)).toBe(401);
    }
    expect(await status(`\t${token}`)).toBe(401);
    expect(await status(`\u00a0${token}`)).toBe(401);
    expect(await status(token, '/api/timesheets', 'Bearer:')).toBe(401);
    expect(await status(token, '/api/timesheets', 'Bearerx')).toBe(401);
  });

  it('refuses an oversized Authorization header at the HTTP layer, and keeps serving', async () => {
    // Node refuses headers over 16 KiB before any route (or crypto) runs.
    const response = await fetch(`${running.baseUrl}/api/timesheets`, {
      headers: { authorization: `Bearer ${'a'.repeat(20 * 1024)}` },
    });
    expect(response.status).toBe(431);
    expect(await status(await mint())).toBe(200);
  });

  it('parses scope as exact, case-sensitive, space-separated names', async () => {
    for (const scope of ['read:timesheetsX', 'READ:TIMESHEETS', 'read:timesheets,delete:timesheets', ['read:timesheets']]) {
      expect(await status(await mint({ scope }))).toBe(403);
    }
    expect(await status(await mint({ scope: undefined, scp: 'read:timesheets', permissions: ['read:timesheets'] }))).toBe(403);
  });

  it('answers a flood of unknown kids quickly with 401s', async () => {
    const api = apiClient(running.baseUrl);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) =>
        (await api('GET', '/api/timesheets', undefined, { headers: { authorization: `Bearer ${await mint({}, { kid: `random-${i}` })}` } })).status,
      ),
    );
    expect(new Set(results)).toEqual(new Set([401]));
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
