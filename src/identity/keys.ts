// Signing keys live in the database: generated on first start, never regenerated on restart,
// rotated by publishing the new key at once and signing with it only after a delay longer than
// any verifier's key cache.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { SigningKey, Stores } from '../storage/index.ts';

const ALG = 'RS256';
/** How long a superseded key stays published: longer than any token it signed lives (ID tokens: 1 h). */
export const RETIRED_KEY_PUBLICATION_MS = 24 * 60 * 60 * 1000;

async function newKey(now: number, activatesAt: number): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(ALG, { modulusLength: 2048, extractable: true });
  const kid = randomBytes(12).toString('base64url');
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALG, use: 'sig' };
  return { kid, alg: ALG, privateJwk, createdAt: now, activatesAt, retiresAt: null };
}

/** Creates the first key when there is none; safe to call on every start. */
export async function ensureSigningKey(stores: Stores, now = Date.now()): Promise<void> {
  if ((await stores.keys.published(now)).length > 0) return;
  await stores.keys.insert(await newKey(now, now));
}

/** Publishes a new key now; it signs from `now + delayMs`; the old ones stay published a day after that. */
export async function rotateSigningKey(stores: Stores, delayMs: number, now = Date.now()): Promise<SigningKey> {
  const key = await newKey(now, now + delayMs);
  await stores.keys.insert(key);
  await stores.keys.retireAllBut(key.kid, key.activatesAt + RETIRED_KEY_PUBLICATION_MS);
  return key;
}

/**
 * After a key may have leaked: a new key signs at once and every other key stops being published
 * now, so the tokens they signed are refused as soon as each verifier refreshes its keys. People's
 * apps renew their tokens (refresh tokens are not signed); nobody has to sign in again.
 */
export async function revokeSigningKeys(stores: Stores, now = Date.now()): Promise<SigningKey> {
  const key = await newKey(now, now);
  await stores.keys.insertRevokingOthers(key, now);
  return key;
}

export interface KeySet {
  /** Private JWKs for the provider, the signing key first (oidc-provider signs with the first match). */
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly signingKid: string;
  /** Changes whenever the published set or the signing key changes. */
  readonly fingerprint: string;
}

export function keySetFrom(published: readonly SigningKey[], now = Date.now()): KeySet {
  const active = published.filter((k) => k.activatesAt <= now);
  const signing = active[0] ?? published[published.length - 1];
  if (!signing) throw new Error('no signing key is published');
  const ordered = [signing, ...published.filter((k) => k !== signing)];
  return {
    jwks: { keys: ordered.map((k) => k.privateJwk) },
    signingKid: signing.kid,
    fingerprint: ordered.map((k) => k.kid).join(','),
  };
}
