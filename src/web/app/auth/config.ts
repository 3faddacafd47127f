// The app's settings come from the server at run time (GET /app-config.json), so one build
// serves any deployment: the embedded provider, or Auth0 / Keycloak by configuration.

export type AuthFlow = 'pkce' | 'implicit';

export interface RuntimeConfig {
  readonly issuer: string;
  readonly clientId: string;
  readonly flow: AuthFlow;
  /** Where the Timesheets API lives, relative to this origin or absolute. */
  readonly apiBaseUrl: string;
  /** The API's identifier, sent as `resourceParameter` so the access token is issued for it. */
  readonly resource: string;
  /** `resource` (RFC 8707, the embedded provider) or `audience` (Auth0). */
  readonly resourceParameter: string;
  readonly scope: string;
}

const STRING_FIELDS = ['issuer', 'clientId', 'apiBaseUrl', 'resource', 'resourceParameter', 'scope'] as const;

export async function loadRuntimeConfig(url = '/app-config.json'): Promise<RuntimeConfig> {
  const response = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) throw new Error(`The app's settings could not be loaded (HTTP ${response.status}).`);
  const body: unknown = await response.json();
  return parseRuntimeConfig(body);
}

function parseRuntimeConfig(body: unknown): RuntimeConfig {
  if (typeof body !== 'object' || body === null) throw new Error("The app's settings are not an object.");
  const fields = body as Record<string, unknown>;
  const missing: string[] = STRING_FIELDS.filter((name) => typeof fields[name] !== 'string');
  if (fields.flow !== 'pkce' && fields.flow !== 'implicit') missing.push('flow');
  if (missing.length) throw new Error(`The app's settings lack ${missing.join(', ')}.`);
  return fields as unknown as RuntimeConfig;
}
