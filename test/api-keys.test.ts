// The API's view of a remote issuer's keys: discovery, caching, rotation and provider outages,
// against a real HTTP server playing the provider.
import { createServer, type Server } from 'node:http';
import { importJWK, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenVerifier, VerifiedTokenCache } from '../src/api/auth.ts';
import { remoteKeySource, type KeySource } from '../src/api/keys.ts';
import { newSigningKey, signAccessToken, type TestSigningKey } from './support/tokens.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';

describe('remote issuer keys', () => {
  let server: Server;
  let issuer: string;
  let published: JWK[] = [];
  let up = true;
  let jwksFetches = 0;
  /** What the discovery document claims as issuer (normally the truth). */
  let announcedIssuer: string | undefined;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (!up) return response.destroy();
      if (request.url === '/.well-known/openid-configuration') {
        response.setHeader('content-type', 'application/json');
        return response.end(JSON.stringify({ issuer: announcedIssuer ?? issuer, jwks_uri: `${issuer}/jwks` }));
      }
      if (request.url === '/jwks') {
        jwksFetches++;
        response.setHeader('content-type', 'application/json');
        return response.end(JSON.stringify({ keys: published }));
      }
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    issuer = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (key: TestSigningKey) =>
    signAccessToken(key, { issuer, audience: AUDIENCE, sub: 'usr_1', claims: { scope: 'read:timesheets', client_id: 'spa', jti: crypto.randomUUID() } });

  // A function: the issuer is known once the server listens.
  const verifierSettings = () =>
    ({ issuer, audience: AUDIENCE, algorithms: ['RS256'], requireAtJwtTyp: true, scopeClaim: 'scope', claimNamespace: 'https://api.abc-inc.example/' }) as const;
  const sources: KeySource[] = [];
  afterEach(() => sources.splice(0).forEach((source) => source.close()));
  const verifierWith = (options: Parameters<typeof remoteKeySource>[1]) => {
    const source = remoteKeySource(issuer, options);
    sources.push(source);
    return tokenVerifier(verifierSettings(), source);
  };

  it('verifies with keys found through discovery, and keeps the last good set while the provider is down', async () => {
    const first = await newSigningKey('k1');
    published = [first.jwk];
    let failedFetches = 0;
    const countingFetch: typeof fetch = (...args) => fetch(...args).catch((error: unknown) => {
      failedFetches++;
      throw error;
    });
    const verifier = verifierWith({ refreshMs: 0, unknownKidCooldownMs: 0, fetch: countingFetch });
    expect((await verifier.verify(await sign(first))).sub).toBe('usr_1');
    up = false;
    try {
      // Once a background refresh has failed, the last good set still verifies (a new token each time).
      await vi.waitFor(() => expect(failedFetches).toBeGreaterThan(0), { timeout: 5000 });
      expect((await verifier.verify(await sign(first))).sub).toBe('usr_1');
    } finally {
      up = true;
    }
  });

  it('refetches on an unknown kid (a rotation), at most once per cooldown', async () => {
    const first = await newSigningKey('k1');
    published = [first.jwk];
    const patient = verifierWith({ unknownKidCooldownMs: 60_000 });
    await patient.verify(await sign(first));
    const second = await newSigningKey('k2');
    published = [first.jwk, second.jwk];
    jwksFetches = 0;
    // Within the cooldown since the last fetch an unknown kid triggers nothing.
    await expect(patient.verify(await sign(second))).rejects.toThrow(/no applicable key/);
    expect(jwksFetches).toBe(0);

    const eager = verifierWith({ unknownKidCooldownMs: 0 });
    expect((await eager.verify(await sign(second))).sub).toBe('usr_1');
    const before = jwksFetches;
    await expect(eager.verify(await sign(await newSigningKey('k9')))).rejects.toThrow(/no applicable key/);
    expect(jwksFetches).toBe(before + 1);
  });

  it('refuses a token it had verified once the provider withdraws the key that signed it', async () => {
    const leaked = await newSigningKey('k1');
    const next = await newSigningKey('k2');
    published = [leaked.jwk, next.jwk];
    const verifier = verifierWith({ refreshMs: 100, unknownKidCooldownMs: 60_000 });
    const token = await sign(leaked);
    expect((await verifier.verify(token)).sub).toBe('usr_1'); // verified, and remembered as verified
    published = [next.jwk];
    // Within the next background refresh (100 ms), not the minute a verified token is remembered.
    await vi.waitFor(() => expect(verifier.verify(token)).rejects.toThrow(/no applicable key/), { timeout: 2000, interval: 50 });
    expect((await verifier.verify(await sign(next))).sub).toBe('usr_1');
  });

  it('does not remember a token whose check straddled a change of keys', async () => {
    const key = await newSigningKey('k1');
    const publicKey = await importJWK(key.jwk, 'RS256');
    let generation = 'before';
    const source: KeySource = {
      // The key set changes while this token's signature is being checked (a revocation landing).
      resolve: async () => ((generation = 'after'), publicKey),
      generation: () => generation,
      ready: () => true,
      close: () => undefined,
    };
    const cache = new VerifiedTokenCache();
    const verifier = tokenVerifier(verifierSettings(), source, cache);
    const token = await sign(key);
    expect((await verifier.verify(token)).sub).toBe('usr_1');
    expect(cache.get(token)).toBeUndefined();
    // Checked again under the keys as they now are: remembered.
    expect((await verifier.verify(token)).sub).toBe('usr_1');
    expect(cache.get(token)?.sub).toBe('usr_1');
  });

  it('refuses a discovery document that names another issuer', async () => {
    const key = await newSigningKey('k1');
    published = [key.jwk];
    const token = await sign(key);
    expect((await verifierWith({}).verify(token)).sub).toBe('usr_1');
    announcedIssuer = 'https://impostor.example';
    try {
      // Same token, same keys; only the discovery document lies about whose it is.
      await expect(verifierWith({}).verify(token)).rejects.toThrow(/keys could not be loaded/);
    } finally {
      announcedIssuer = undefined;
    }
  });

  it('loads the keys before any token arrives, and keeps them fresh in the background', async () => {
    const key = await newSigningKey('k1');
    published = [key.jwk];
    jwksFetches = 0;
    const source = remoteKeySource(issuer, { refreshMs: 150 });
    try {
      await vi.waitFor(() => expect(source.ready()).toBe(true));
      await vi.waitFor(() => expect(jwksFetches).toBeGreaterThanOrEqual(3), { timeout: 2000 });
    } finally {
      source.close();
    }
  });

  it('stops trusting keys that are older than the stale limit', async () => {
    const key = await newSigningKey('k1');
    published = [key.jwk];
    const verifier = verifierWith({ maxStaleMs: 200, refreshMs: 0, unknownKidCooldownMs: 60_000 });
    await verifier.verify(await sign(key));
    up = false;
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await expect(verifier.verify(await sign(key))).rejects.toThrow(/too old to trust/);
    } finally {
      up = true;
    }
  });
});
