// Calling the running API as its clients do: real tokens from the real provider, real HTTP.
import { DEMO_IMPORT_SECRET } from '../../src/identity/index.ts';
import type { Json } from './http.ts';
import { client, discover, signInWithCode } from './oidc.ts';
import type { RunningSystem } from './system.ts';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Json;
  readonly text: string;
}

export type ApiClient = (
  method: string,
  path: string,
  body?: unknown,
  init?: { headers?: Record<string, string>; raw?: string },
) => Promise<ApiResponse>;

export function apiClient(baseUrl: string, token?: string): ApiClient {
  return async (method, path, body, init = {}) => {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
    let payload: string | undefined = init.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, headers: response.headers, text, body: type.includes('json') && text ? JSON.parse(text) : text };
  };
}

export async function userToken(running: Pick<RunningSystem, 'issuer' | 'baseUrl'>, email: string): Promise<string> {
  const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email });
  return tokens.access_token;
}

export async function importJobToken(running: RunningSystem): Promise<string> {
  const config = await discover(running.issuer, 'timesheets-import-job', DEMO_IMPORT_SECRET);
  return (await client.clientCredentialsGrant(config, { scope: 'batch:upload' })).access_token;
}

/**
 * The import job's client-credentials request to `issuer`'s token endpoint as sent on the wire,
 * answered whatever the answer is (429, 503…): for tests about the endpoint itself.
 */
export function importJobTokenRequest(issuer: string, options: { secret?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      ...options.headers,
      authorization: `Basic ${Buffer.from(`timesheets-import-job:${options.secret ?? DEMO_IMPORT_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials&scope=batch%3Aupload',
    signal: AbortSignal.timeout(10_000),
  });
}
