// Access tokens signed by hand, for tests of the API's token checks on their own (a key source, the
// guard). End-to-end tests get theirs from the real provider.
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestSigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half, as a JWKS publishes it. */
  readonly jwk: JWK;
}

export async function newSigningKey(kid: string): Promise<TestSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

/** An RFC 9068 access token (typ at+jwt) for `sub`, valid for five minutes, carrying `claims`. */
export function signAccessToken(
  key: TestSigningKey,
  { issuer, audience, sub, claims }: { issuer: string; audience: string; sub: string; claims: Record<string, unknown> },
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}
