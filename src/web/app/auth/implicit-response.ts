// Validates the Implicit flow's response (`id_token token` in the URL fragment) before anything
// uses it: state, then the ID token (signature against the provider's keys, iss, aud, exp, nonce),
// then the access token against the ID token's at_hash. The key resolver is injected, so this runs
// in the browser against the provider's JWKS and in unit tests against a local key set.
import { base64url, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from './errors.ts';

export interface ImplicitExpectations {
  readonly issuer: string;
  readonly clientId: string;
  /** The state this attempt sent; undefined when no sign-in was started here. */
  readonly state: string | undefined;
  readonly nonce: string;
  /** For tests: the time to check `exp` and `iat` against. */
  readonly currentDate?: Date;
}

export interface IdTokenClaims extends JWTPayload {
  readonly sub: string;
  readonly name?: string;
  readonly email?: string;
}

export interface ImplicitResult {
  readonly accessToken: string;
  readonly idToken: string;
  readonly claims: IdTokenClaims;
  readonly expiresIn: number | undefined;
  readonly scope: string | undefined;
}

/** Tolerated clock difference between the browser and the provider. */
const CLOCK_TOLERANCE_SECONDS = 60;

/** The asymmetric JWS algorithms accepted, each with its hash for at_hash (OpenID Connect Core 3.2.2.9). */
const HASH_OF_ALGORITHM: Readonly<Record<string, string>> = {
  RS256: 'SHA-256', PS256: 'SHA-256', ES256: 'SHA-256',
  RS384: 'SHA-384', PS384: 'SHA-384', ES384: 'SHA-384',
  RS512: 'SHA-512', PS512: 'SHA-512', ES512: 'SHA-512',
  EdDSA: 'SHA-512', Ed25519: 'SHA-512',
};

export async function validateImplicitResponse(
  params: URLSearchParams,
  expected: ImplicitExpectations,
  keys: JWTVerifyGetKey,
): Promise<ImplicitResult> {
  // State first: a response we did not ask for is refused whatever it says, errors included.
  if (!expected.state) throw new AuthError('invalid_state', 'No sign-in was started in this tab.');
  const state = params.get('state');
  if (state === null) throw new AuthError('invalid_state', 'The sign-in response carries no state.');
  if (state !== expected.state) throw new AuthError('invalid_state', 'The sign-in response belongs to another sign-in attempt.');
  const iss = params.get('iss');
  if (iss !== null && iss !== expected.issuer) throw new AuthError('invalid_response', 'The sign-in response comes from another issuer.');

  const error = params.get('error');
  if (error) throw new AuthError(error, params.get('error_description') ?? 'The sign-in did not complete.');

  const idToken = params.get('id_token');
  const accessToken = params.get('access_token');
  if (!idToken || !accessToken) throw new AuthError('invalid_response', 'The sign-in response lacks its tokens.');
  if (params.get('token_type')?.toLowerCase() !== 'bearer') {
    throw new AuthError('invalid_response', 'The sign-in response has an unexpected token type.');
  }

  const { payload, protectedHeader } = await verifySignedIdToken(idToken, expected, keys);
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== expected.clientId) {
    throw new AuthError('invalid_token', 'The ID token was issued to another party (azp).');
  }
  if (payload.nonce !== expected.nonce) throw new AuthError('invalid_token', 'The ID token answers another sign-in attempt (nonce).');
  const atHash = await leftHalfHash(accessToken, protectedHeader.alg);
  if (typeof payload.at_hash !== 'string' || payload.at_hash !== atHash) {
    throw new AuthError('invalid_token', 'The access token does not belong to the ID token (at_hash).');
  }

  const expiresIn = Number(params.get('expires_in'));
  return {
    accessToken,
    idToken,
    claims: payload as IdTokenClaims,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : undefined,
    scope: params.get('scope') ?? undefined,
  };
}

async function verifySignedIdToken(idToken: string, expected: ImplicitExpectations, keys: JWTVerifyGetKey) {
  try {
    return await jwtVerify(idToken, keys, {
      issuer: expected.issuer,
      audience: expected.clientId,
      algorithms: Object.keys(HASH_OF_ALGORITHM),
      requiredClaims: ['sub', 'iat', 'exp', 'nonce', 'at_hash'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: expected.currentDate,
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'it could not be verified';
    throw new AuthError('invalid_token', `The ID token is not valid: ${reason}`, { cause: error });
  }
}

/** base64url of the left half of the token's hash, with the ID token algorithm's hash function. */
async function leftHalfHash(value: string, algorithm: string): Promise<string> {
  const hash = HASH_OF_ALGORITHM[algorithm];
  if (!hash) throw new AuthError('invalid_token', `The ID token uses an unsupported algorithm (${algorithm}).`);
  const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(value)));
  return base64url.encode(digest.slice(0, digest.length / 2));
}
