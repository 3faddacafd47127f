// userinfo for the API's own access tokens. The hosted vendor names both the API and userinfo
// as audiences of the token it gives the SPA; oidc-provider's userinfo refuses audience-bound
// tokens, so for those we answer here, after the same checks the API makes.
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import type { Config } from '../config.ts';
import { ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS, ACCESS_TOKEN_MAX_AGE_SECONDS, parseScope } from '../domain/access.ts';
import type { Stores } from '../storage/index.ts';
import { claimNames, userClaims } from './claims.ts';
import type { KeySet } from './keys.ts';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

export function publicJwks(keySet: KeySet): JSONWebKeySet {
  return {
    keys: keySet.jwks.keys.map((key) =>
      Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.includes(name))),
    ) as JSONWebKeySet['keys'],
  };
}

export type UserinfoResult =
  | { status: 200; body: Record<string, unknown> }
  | { status: 401 | 403; challenge: string };

export function apiTokenUserinfo(config: Config, stores: Stores) {
  const names = claimNames(config);
  let cached: { fingerprint: string; jwks: ReturnType<typeof createLocalJWKSet> } | undefined;

  return async function userinfo(token: string, keySet: KeySet): Promise<UserinfoResult> {
    if (cached?.fingerprint !== keySet.fingerprint) {
      cached = { fingerprint: keySet.fingerprint, jwks: createLocalJWKSet(publicJwks(keySet)) };
    }
    let payload;
    try {
      ({ payload } = await jwtVerify(token, cached.jwks, {
        issuer: config.embeddedIssuer,
        audience: config.apiAudience,
        typ: 'at+jwt',
        algorithms: ['RS256'],
        // The same time checks as the API's (src/api/auth.ts).
        clockTolerance: ACCESS_TOKEN_CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: ACCESS_TOKEN_MAX_AGE_SECONDS,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch {
      return { status: 401, challenge: 'Bearer error="invalid_token"' };
    }
    const scopes = new Set(parseScope(typeof payload.scope === 'string' ? payload.scope : ''));
    if (!scopes.has('openid')) return { status: 403, challenge: 'Bearer error="insufficient_scope", scope="openid"' };
    const user = typeof payload.sub === 'string' ? await stores.users.findById(payload.sub) : undefined;
    if (!user || user.disabled) return { status: 401, challenge: 'Bearer error="invalid_token"' };
    return { status: 200, body: userClaims(user, names, scopes) };
  };
}
