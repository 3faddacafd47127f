// userinfo for the API's own access tokens. The hosted vendor names both the API and userinfo
// as audiences of the token it gives the SPA; oidc-provider's userinfo refuses audience-bound
// tokens, so for those we answer here, after exactly the checks the API makes (its own verifier,
// with its cache: a token already verified skips the signature check for up to a minute).
import type { JSONWebKeySet } from 'jose';
import { localKeySource, tokenVerifier } from '../api/index.ts';
import type { Config } from '../config.ts';
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

export function apiTokenUserinfo(config: Config, stores: Stores, keySet: () => KeySet) {
  const names = claimNames(config);
  // The tokens this provider issues for the API: its own issuer and keys, RS256, RFC 9068 typ.
  const verifier = tokenVerifier(
    {
      issuer: config.embeddedIssuer,
      audience: config.apiAudience,
      algorithms: ['RS256'],
      requireAtJwtTyp: true,
      scopeClaim: 'scope',
      claimNamespace: config.claimNamespace,
    },
    localKeySource(keySet, publicJwks),
  );

  return async function userinfo(token: string): Promise<UserinfoResult> {
    let caller;
    try {
      caller = await verifier.verify(token);
    } catch {
      return { status: 401, challenge: 'Bearer error="invalid_token"' };
    }
    if (!caller.scopes.has('openid')) return { status: 403, challenge: 'Bearer error="insufficient_scope", scope="openid"' };
    const user = await stores.users.findById(caller.sub);
    if (!user || user.disabled) return { status: 401, challenge: 'Bearer error="invalid_token"' };
    return { status: 200, body: userClaims(user, names, caller.scopes) };
  };
}
