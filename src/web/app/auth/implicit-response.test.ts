// The Implicit flow's response validation, against keys generated here and a local JWKS.
// Browser APIs only (WebCrypto, jose): the app's tsconfig has no Node types.
import { base64url, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from './errors.ts';
import { validateImplicitResponse, type ImplicitExpectations } from './implicit-response.ts';

const ISSUER = 'https://id.example/oidc';
const CLIENT_ID = 'timesheets-spa';
const ACCESS_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.access-token-body.signature';
const NONCE = 'nonce-of-this-attempt';
const STATE = 'state-of-this-attempt';

let signingKey: CryptoKey;
let otherKey: CryptoKey;
let keys: ReturnType<typeof createLocalJWKSet>;

async function atHashOf(token: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  return base64url.encode(digest.slice(0, 16));
}
const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

beforeAll(async () => {
  const pair = await generateKeyPair('RS256');
  signingKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] });
});

async function idToken(overrides: JWTPayload = {}, key: CryptoKey = signingKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    sub: 'usr_1',
    name: 'Ellen Employee',
    email: 'ellen@abc-inc.example',
    nonce: NONCE,
    at_hash: await atHashOf(ACCESS_TOKEN),
    iss: ISSUER,
    aud: CLIENT_ID,
    iat: now,
    exp: now + 3600,
    ...overrides,
  })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .sign(key);
}

async function response(fields: Record<string, string> = {}): Promise<URLSearchParams> {
  return new URLSearchParams({
    id_token: await idToken(),
    access_token: ACCESS_TOKEN,
    token_type: 'Bearer',
    expires_in: '600',
    scope: 'openid profile email read:timesheets',
    state: STATE,
    ...fields,
  });
}

const expected: ImplicitExpectations = { issuer: ISSUER, clientId: CLIENT_ID, state: STATE, nonce: NONCE };

async function rejection(params: URLSearchParams, expectations: ImplicitExpectations = expected): Promise<AuthError> {
  const error = await validateImplicitResponse(params, expectations, keys).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AuthError);
  return error as AuthError;
}

describe('implicit response validation', () => {
  it('accepts a genuine response and returns its tokens, claims, lifetime and scope', async () => {
    const result = await validateImplicitResponse(await response(), expected, keys);
    expect(result.accessToken).toBe(ACCESS_TOKEN);
    expect(result.claims).toMatchObject({ sub: 'usr_1', name: 'Ellen Employee', email: 'ellen@abc-inc.example' });
    expect(result.expiresIn).toBe(600);
    expect(result.scope).toBe('openid profile email read:timesheets');
  });

  it('refuses a tampered signature', async () => {
    const token = await idToken();
    const [header, payload, signature] = token.split('.');
    const flipped = `${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await rejection(await response({ id_token: `${header}.${payload}.${flipped}` }))).code).toBe('invalid_token');
  });

  it('refuses a tampered payload under the original signature', async () => {
    // Every claim as the provider issued it but the subject: only the signature check can refuse it.
    const [header, payload, signature] = (await idToken()).split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!))) as Record<string, unknown>;
    const forged = encodeJson({ ...claims, sub: 'usr_admin' });
    const error = await rejection(await response({ id_token: `${header}.${forged}.${signature}` }));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toMatch(/signature/i);
  });

  it('refuses a token signed by a key the provider does not publish', async () => {
    expect((await rejection(await response({ id_token: await idToken({}, otherKey) }))).code).toBe('invalid_token');
  });

  it('refuses a wrong nonce', async () => {
    const error = await rejection(await response({ id_token: await idToken({ nonce: 'another-attempt' }) }));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toContain('nonce');
  });

  it('refuses an access token that does not match at_hash', async () => {
    const swapped = await rejection(await response({ access_token: `${ACCESS_TOKEN}x` }));
    expect(swapped.code).toBe('invalid_token');
    expect(swapped.message).toContain('at_hash');
    const wrongHash = await rejection(await response({ id_token: await idToken({ at_hash: await atHashOf('another token') }) }));
    expect(wrongHash.message).toContain('at_hash');
  });

  it('refuses a token for another audience or from another issuer', async () => {
    expect((await rejection(await response({ id_token: await idToken({ aud: 'another-client' }) }))).message).toContain('aud');
    expect((await rejection(await response({ id_token: await idToken({ iss: 'https://evil.example' }) }))).message).toContain('iss');
    // Several audiences: we must be the authorized party.
    const shared = await idToken({ aud: [CLIENT_ID, 'another-client'], azp: 'another-client' });
    expect((await rejection(await response({ id_token: shared }))).message).toContain('azp');
  });

  it('refuses an expired token, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await idToken({ iat: now - 7200, exp: now - 3600 });
    const error = await rejection(await response({ id_token: expired }));
    expect(error.code).toBe('invalid_token');
    expect(error.message).toContain('exp');
    // The same token is fine when checked at a time it was valid.
    await expect(
      validateImplicitResponse(await response({ id_token: expired }), { ...expected, currentDate: new Date((now - 5000) * 1000) }, keys),
    ).resolves.toBeDefined();
  });

  it('refuses a response without state, with another state, or when no sign-in was started', async () => {
    const params = await response();
    params.delete('state');
    expect((await rejection(params)).code).toBe('invalid_state');
    expect((await rejection(await response({ state: 'someone-elses-state' }))).code).toBe('invalid_state');
    expect((await rejection(await response(), { ...expected, state: undefined })).code).toBe('invalid_state');
  });

  it('checks state before reporting a provider error, then reports it', async () => {
    const denied = new URLSearchParams({ error: 'access_denied', error_description: 'the user cancelled', state: STATE });
    const error = await rejection(denied);
    expect(error.code).toBe('access_denied');
    expect(error.message).toBe('the user cancelled');
    denied.set('state', 'forged');
    expect((await rejection(denied)).code).toBe('invalid_state');
  });

  it('refuses missing tokens, a foreign iss parameter, an unsigned token and a non-Bearer token type', async () => {
    const params = await response();
    params.delete('access_token');
    expect((await rejection(params)).code).toBe('invalid_response');
    expect((await rejection(await response({ iss: 'https://evil.example' }))).code).toBe('invalid_response');
    expect((await rejection(await response({ token_type: 'DPoP' }))).code).toBe('invalid_response');
    const [, payload] = (await idToken()).split('.');
    const unsigned = `${encodeJson({ alg: 'none' })}.${payload}.`;
    expect((await rejection(await response({ id_token: unsigned }))).code).toBe('invalid_token');
  });
});
