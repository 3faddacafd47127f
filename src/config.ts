// Configuration comes from the environment (and an optional .env file), is validated once at start,
// and every wrong value is reported together, by name, so an operator fixes them in one go.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isLoopbackUrl } from './domain/loopback.ts';

export type AuthFlow = 'pkce' | 'implicit';
export type ScopeClaim = 'scope' | 'permissions';
export type Part = 'idp' | 'api' | 'web';

export interface Config {
  readonly nodeEnv: string;
  readonly production: boolean;
  readonly port: number;
  readonly host: string;
  /** The base of every URL the system publishes, without a trailing slash. */
  readonly publicUrl: string;
  readonly databaseUrl: string;
  /** PostgreSQL connections per instance. */
  readonly databasePoolSize: number;
  /** SQLite durability: `normal` survives a process crash, `full` also a power loss (one fsync per commit). */
  readonly sqliteSynchronous: 'normal' | 'full';
  readonly apiAudience: string;
  /** Namespace of our custom claims (email, name, roles, kind), as the guide's rule did. */
  readonly claimNamespace: string;
  readonly demo: boolean;
  /** The issuer the API trusts. Equal to `embeddedIssuer` unless an external provider is configured. */
  readonly oidcIssuer: string;
  readonly embeddedIssuer: string;
  /** True when the embedded provider is the configured issuer (it then runs in this process). */
  readonly embeddedProvider: boolean;
  readonly parts: ReadonlySet<Part>;
  readonly authFlow: AuthFlow;
  /** How the web app and the import job name the API when they ask for a token: `resource` (RFC 8707) or `audience` (Auth0). */
  readonly authResourceParameter: 'resource' | 'audience';
  readonly spaClientId: string;
  readonly accessTokenTtlSeconds: number;
  readonly keyRotationDelaySeconds: number;
  readonly tokenAlgorithms: readonly string[];
  readonly requireAtJwtTyp: boolean;
  readonly scopeClaim: ScopeClaim;
  /**
   * Which proxies' X-Forwarded-* headers to believe: false, a hop count, or a list of addresses/CIDRs
   * (Fastify's trustProxy). `true` trusts every hop, so a client could pick its own address.
   */
  readonly trustProxy: boolean | number | string[];
  readonly logLevel: string;
  /** The http-on-localhost waiver for the implicit client's redirect URIs (never in production). */
  readonly implicitLocalhostWaiver: boolean;
  readonly loginThrottle: { readonly perAccount: number; readonly perAddress: number; readonly windowSeconds: number };
  /** Requests per minute per caller (user or client) at the API, and per client at the token endpoint. */
  readonly apiRateLimitPerMinute: number;
  readonly tokenRateLimitPerMinute: number;
  /** How often an API without the provider in-process refetches the issuer's keys in the background. */
  readonly jwksRefreshSeconds: number;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Browsers reach this system over HTTPS (a proxy may terminate TLS in front of it). */
export function servedOverHttps(config: Pick<Config, 'publicUrl'>): boolean {
  return config.publicUrl.startsWith('https:');
}

/** Loads `.env` from the working directory when present; real environment variables win. */
export function loadDotEnv(file = path.resolve('.env')): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return Number(raw);
  };

  const boolean = (name: string, fallback: boolean): boolean => {
    const raw = read(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const url = (name: string, fallback: string): string => {
    const raw = read(name) ?? fallback;
    const parsed = URL.parse(raw);
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
      problems.push(`${name} must be an http(s) URL (got "${raw}")`);
      return fallback;
    }
    return raw;
  };

  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  };

  const nodeEnv = read('NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const port = integer('PORT', 3000, 0, 65535);
  const host = read('HOST') ?? (production ? '0.0.0.0' : 'localhost');

  let publicUrl = url('PUBLIC_URL', `http://localhost:${port}`).replace(/\/+$/, '');
  const publicParsed = URL.parse(publicUrl);
  if (publicParsed && (publicParsed.search || publicParsed.hash)) {
    problems.push(`PUBLIC_URL must not have a query or fragment (got "${publicUrl}")`);
  }
  if (publicParsed && publicParsed.pathname !== '/' && publicParsed.pathname !== '') {
    problems.push(`PUBLIC_URL must be an origin without a path (got "${publicUrl}")`);
    publicUrl = publicParsed.origin;
  }

  const databaseUrl = read('DATABASE_URL') ?? `sqlite:${path.join('data', 'timesheets.db')}`;
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with sqlite: (a file path, or :memory:) or postgres://');
  }

  const apiAudience = read('API_AUDIENCE') ?? 'https://api.abc-inc.example/timesheets';
  if (!URL.parse(apiAudience)) problems.push(`API_AUDIENCE must be an absolute URI (got "${apiAudience}")`);
  const claimNamespace = ensureTrailingSlash(
    read('CLAIM_NAMESPACE') ?? `${URL.parse(apiAudience)?.origin ?? 'https://api.abc-inc.example'}/`,
  );

  const embeddedIssuer = `${publicUrl}/oidc`;
  const oidcIssuer = read('OIDC_ISSUER') ?? embeddedIssuer;
  if (!URL.parse(oidcIssuer)) problems.push(`OIDC_ISSUER must be an absolute URL (got "${oidcIssuer}")`);
  const embeddedProvider = oidcIssuer === embeddedIssuer;

  const parts = new Set<Part>();
  for (const part of (read('PARTS') ?? 'idp,api,web').split(',').map((p) => p.trim())) {
    if (part === 'idp' || part === 'api' || part === 'web') parts.add(part);
    else problems.push(`PARTS lists unknown part "${part}" (known: idp, api, web)`);
  }
  if (!embeddedProvider) parts.delete('idp');

  const demo = boolean('DEMO', !production);
  const algorithms = (read('TOKEN_ALGORITHMS') ?? 'RS256').split(/[\s,]+/).filter(Boolean);
  for (const alg of algorithms) {
    if (!/^(RS|PS|ES)(256|384|512)$|^EdDSA$/.test(alg)) {
      problems.push(`TOKEN_ALGORITHMS may list only asymmetric JWS algorithms (got "${alg}")`);
    }
  }

  const issuerUrl = URL.parse(embeddedIssuer);
  const localHttp = issuerUrl !== null && issuerUrl.protocol === 'http:' && isLoopbackUrl(issuerUrl);

  const config: Config = {
    nodeEnv,
    production,
    port,
    host,
    publicUrl,
    databaseUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 1000),
    sqliteSynchronous: oneOf('SQLITE_SYNCHRONOUS', ['normal', 'full'] as const, 'normal'),
    apiAudience,
    claimNamespace,
    demo,
    oidcIssuer,
    embeddedIssuer,
    embeddedProvider,
    parts,
    authFlow: oneOf('AUTH_FLOW', ['pkce', 'implicit'] as const, 'pkce'),
    authResourceParameter: oneOf('AUTH_RESOURCE_PARAMETER', ['resource', 'audience'] as const, 'resource'),
    spaClientId: read('SPA_CLIENT_ID') ?? 'timesheets-spa',
    accessTokenTtlSeconds: integer('ACCESS_TOKEN_TTL', 600, 60, 86400),
    keyRotationDelaySeconds: integer('KEY_ROTATION_DELAY', 600, 0, 7 * 86400),
    tokenAlgorithms: algorithms,
    requireAtJwtTyp: boolean('REQUIRE_AT_JWT_TYP', embeddedProvider),
    scopeClaim: oneOf('SCOPE_CLAIM', ['scope', 'permissions'] as const, 'scope'),
    trustProxy: trustProxySetting(read('TRUST_PROXY'), problems),
    logLevel: oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    implicitLocalhostWaiver: !production && localHttp,
    loginThrottle: {
      perAccount: integer('LOGIN_MAX_FAILURES_PER_ACCOUNT', 5, 1, 10000),
      perAddress: integer('LOGIN_MAX_FAILURES_PER_ADDRESS', 50, 1, 100000),
      windowSeconds: integer('LOGIN_THROTTLE_WINDOW', 900, 1, 86400),
    },
    apiRateLimitPerMinute: integer('API_RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    tokenRateLimitPerMinute: integer('TOKEN_RATE_LIMIT_PER_MINUTE', 60_000, 1, 10_000_000),
    jwksRefreshSeconds: integer('JWKS_REFRESH_SECONDS', 300, 1, 86400),
  };

  if (production) problems.push(...productionProblems(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The production guard: what must never run with NODE_ENV=production. */
function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.demo) problems.push('DEMO must be off in production: demo users have published passwords');
  const issuer = URL.parse(config.oidcIssuer);
  if (issuer && issuer.protocol === 'http:' && !isLoopbackUrl(issuer)) {
    problems.push(`the issuer ${config.oidcIssuer} must use https in production (http is allowed on loopback only)`);
  }
  return problems;
}

function trustProxySetting(raw: string | undefined, problems: string[]): Config['trustProxy'] {
  const value = raw?.toLowerCase();
  if (value === undefined || ['false', 'no', 'off', '0'].includes(value)) return false;
  if (value === 'true' || value === 'yes' || value === 'on') return true;
  if (/^\d+$/.test(value)) return Number(value);
  const addresses = value.split(',').map((a) => a.trim()).filter(Boolean);
  if (addresses.every((a) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(a))) return addresses;
  problems.push(`TRUST_PROXY must be false, a number of proxy hops, or proxy addresses/CIDRs (got "${raw}")`);
  return false;
}

function ensureTrailingSlash(value: string): string {
  return value.endsWith('/') ? value : `${value}/`;
}
