// What the provider says about a user: standard OIDC claims plus our namespaced ones.
import type { Config } from '../config.ts';
import type { User } from '../storage/index.ts';

export interface ClaimNames {
  readonly email: string;
  readonly name: string;
  readonly roles: string;
  readonly kind: string;
}

export function claimNames(config: Pick<Config, 'claimNamespace'>): ClaimNames {
  const ns = config.claimNamespace;
  return { email: `${ns}email`, name: `${ns}name`, roles: `${ns}roles`, kind: `${ns}kind` };
}

/** Claims for the ID token and userinfo, filtered by the granted OIDC scopes. */
export function userClaims(user: User, names: ClaimNames, scopes: ReadonlySet<string>): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.id, [names.roles]: [...user.roles] };
  if (scopes.has('email')) Object.assign(claims, { email: user.email, email_verified: true });
  if (scopes.has('profile')) Object.assign(claims, { name: user.name });
  return claims;
}

/** Claims the API reads from an access token: who the caller is, without another lookup. */
export function accessTokenClaims(user: User, names: ClaimNames): Record<string, unknown> {
  return { [names.email]: user.email, [names.name]: user.name, [names.roles]: [...user.roles], [names.kind]: user.kind };
}
