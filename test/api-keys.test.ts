// The API's view of a remote issuer's keys: discovery, caching, rotation and provider outages,
// against a real HTTP server playing the provider.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenVerifier } from '../src/api/auth.ts';
import { remoteKeySource } from '../src/api/keys.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';

async function newKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } as JWK };
}

describe('remote issuer keys', () => {
  let server: Server;
  let issuer: string;
  let published: JWK[] = [];
  let up = true;
  let jwksFetches = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (!up) return response.destroy();
      if (request.url === '/.well-known/openid-configuration') {
        response.setHeader('content-type', 'application/json');
        return response.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
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

  const sign = (key: Awaited<ReturnType<typeof newKey>>, claims: Record<string, unknown> = {}) =>
    new SignJWT({ scope: 'read:timesheets', client_id: 'spa', jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(AUDIENCE)
      .setSubject('usr_1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  const verifierWith = (options: Parameters<typeof remoteKeySource>[1]) =>
    tokenVerifier(
      { issuer, audience: AUDIENCE, algorithms: ['RS256'], requireAtJwtTyp: true, scopeClaim: 'scope', claimNamespace: 'https://api.abc-inc.example/' },
      remoteKeySource(issuer, options),
    );

  it('verifies with keys found through discovery, and keeps the last good set while the provider is down', async () => {
    const first = await newKey('k1');
    published = [first.jwk];
    const verifier = verifierWith({ refreshMs: 0, unknownKidCooldownMs: 0 });
    expect((await verifier.verify(await sign(first))).sub).toBe('usr_1');
    up = false;
    try {
      // The background refresh fails; the cached set still verifies.
      expect((await verifier.verify(await sign(first))).sub).toBe('usr_1');
    } finally {
      up = true;
    }
  });

  it('refetches on an unknown kid (a rotation), at most once per cooldown', async () => {
    const first = await newKey('k1');
    published = [first.jwk];
    const verifier = verifierWith({ unknownKidCooldownMs: 60_000 });
    await verifier.verify(await sign(first));
    const second = await newKey('k2');
    published = [first.jwk, second.jwk];
    // The first unknown kid waits for the cooldown window since the initial load.
    await expect(verifier.verify(await sign(second))).rejects.toThrow();
    const eager = verifierWith({ unknownKidCooldownMs: 0 });
    jwksFetches = 0;
    expect((await eager.verify(await sign(second))).sub).toBe('usr_1');
    const forged = await newKey('k9');
    await expect(eager.verify(await sign(forged))).rejects.toThrow();
    expect(jwksFetches).toBeLessThanOrEqual(3);
  });

  it('refuses a discovery document that names another issuer', async () => {
    const key = await newKey('k1');
    published = [key.jwk];
    const verifier = tokenVerifier(
      { issuer: `${issuer}/other`, audience: AUDIENCE, algorithms: ['RS256'], requireAtJwtTyp: true, scopeClaim: 'scope', claimNamespace: 'x/' },
      remoteKeySource(issuer.replace('127.0.0.1', 'localhost')),
    );
    await expect(verifier.verify(await sign(key))).rejects.toThrow();
  });

  it('stops trusting keys that are older than the stale limit', async () => {
    const key = await newKey('k1');
    published = [key.jwk];
    const verifier = verifierWith({ maxStaleMs: 50, refreshMs: 0, unknownKidCooldownMs: 60_000 });
    await verifier.verify(await sign(key));
    up = false;
    try {
      await new Promise((resolve) => setTimeout(resolve, 80));
      await expect(verifier.verify(await sign(key))).rejects.toThrow();
    } finally {
      up = true;
    }
  });
});
