// The tenant's applications. Built-in clients are kept in step with PUBLIC_URL on every start;
// machine clients are added by the admin CLI. A secret is shown once and stored only as a hash.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { servedOverHttps, type Config } from '../config.ts';
import { API_SCOPES, isApiScope } from '../domain/access.ts';
import { invalid, notFound } from '../domain/errors.ts';
import type { ClientMetadata, Stores } from '../storage/index.ts';
import { IMPORT_CLIENT_ID } from './client-contract.ts';

export const MOBILE_CLIENT_ID = 'timesheets-mobile';
export const MOBILE_REDIRECT_URIS = ['com.abc-inc.timesheets:/callback', 'http://127.0.0.1/callback'];

const SECRET_PREFIX = 'sha256:';

export function hashClientSecret(secret: string): string {
  return SECRET_PREFIX + createHash('sha256').update(secret).digest('base64url');
}

/** Client secrets are 256-bit random values, so one fast hash suffices (no dictionary to guess from). */
export function clientSecretMatches(storedHash: string, presented: string): boolean {
  const expected = Buffer.from(storedHash);
  const actual = Buffer.from(hashClientSecret(presented));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

function spaMetadata(config: Config): ClientMetadata {
  // The guide's Implicit flow only when chosen (AUTH_FLOW=implicit): otherwise a crafted link could
  // still have tokens put in a URL fragment. oidc-provider allows it only with https redirects,
  // except on a developer's loopback (the waiver).
  const implicit = config.authFlow === 'implicit' && (servedOverHttps(config) || config.implicitLocalhostWaiver);
  return {
    client_id: config.spaClientId,
    client_name: 'Timesheets SPA',
    application_type: 'web',
    token_endpoint_auth_method: 'none',
    grant_types: implicit ? ['authorization_code', 'implicit', 'refresh_token'] : ['authorization_code', 'refresh_token'],
    response_types: implicit ? ['code', 'id_token token'] : ['code'],
    redirect_uris: [`${config.publicUrl}/callback`],
    post_logout_redirect_uris: [`${config.publicUrl}/`],
    id_token_signed_response_alg: 'RS256',
    first_party: true,
  };
}

function mobileMetadata(): ClientMetadata {
  return {
    client_id: MOBILE_CLIENT_ID,
    client_name: 'Timesheets Mobile',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: MOBILE_REDIRECT_URIS,
    post_logout_redirect_uris: [],
    id_token_signed_response_alg: 'RS256',
    first_party: true,
  };
}

function machineMetadata(clientId: string, name: string, secret: string, scopes: readonly string[]): ClientMetadata {
  return {
    client_id: clientId,
    client_name: name,
    client_secret: hashClientSecret(secret),
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: scopes.join(' '),
    first_party: true,
  };
}

/**
 * Registers the SPA, the mobile app and the import job when missing, and keeps the user-facing
 * clients' redirect URIs in step with PUBLIC_URL. The import job's secret is the published demo
 * one in demo mode; otherwise a random one nobody knows until `client rotate-secret`.
 */
export async function ensureBuiltInClients(config: Config, stores: Stores): Promise<void> {
  for (const metadata of [spaMetadata(config), mobileMetadata()]) {
    const existing = await stores.clients.find(metadata.client_id);
    if (!existing) await stores.clients.insert(String(metadata.client_name), metadata);
    else await stores.clients.update(metadata.client_id, { ...existing.metadata, ...metadata });
  }
  if (!(await stores.clients.find(IMPORT_CLIENT_ID))) {
    const secret = config.demo ? DEMO_IMPORT_SECRET : generateClientSecret();
    await stores.clients.insert(
      'Timesheets import Job',
      machineMetadata(IMPORT_CLIENT_ID, 'Timesheets import Job', secret, ['batch:upload']),
    );
  }
}

export const DEMO_IMPORT_SECRET = 'demo-import-secret';

export function parseScopes(scopes: string): string[] {
  const list = [...new Set(scopes.split(/[\s,]+/).filter(Boolean))];
  const unknown = list.filter((s) => !isApiScope(s));
  if (list.length === 0 || unknown.length > 0) {
    throw invalid(`scopes must be among ${API_SCOPES.join(', ')}`, [
      { field: 'scopes', message: unknown.length ? `unknown scope ${unknown.join(', ')}` : 'at least one scope is required' },
    ]);
  }
  return list;
}

/** Adds a machine-to-machine client; the secret is returned once and never stored in clear. */
export async function addMachineClient(
  stores: Stores,
  name: string,
  scopes: readonly string[],
): Promise<{ clientId: string; clientSecret: string }> {
  if (!name.trim()) throw invalid('a client needs a name', [{ field: 'name', message: 'must not be empty' }]);
  const clientId = `m2m_${randomBytes(12).toString('base64url')}`;
  const clientSecret = generateClientSecret();
  // 96 random bits: a clash is not expected, but a secret for a client that was not added must never be shown.
  if (!(await stores.clients.insert(name.trim(), machineMetadata(clientId, name.trim(), clientSecret, scopes)))) {
    throw new Error(`client id ${clientId} exists already`);
  }
  return { clientId, clientSecret };
}

export async function rotateClientSecret(stores: Stores, clientId: string): Promise<string> {
  const client = await stores.clients.find(clientId);
  if (!client) throw notFound(`no client ${clientId}`);
  if (client.metadata.token_endpoint_auth_method === 'none') {
    throw invalid(`${clientId} is a public client: it has no secret`, [{ field: 'client-id', message: 'public client' }]);
  }
  const secret = generateClientSecret();
  // Removed meanwhile: the new secret was stored nowhere, so it is not shown.
  if (!(await stores.clients.update(clientId, { ...client.metadata, client_secret: hashClientSecret(secret) }))) {
    throw notFound(`no client ${clientId}`);
  }
  return secret;
}
