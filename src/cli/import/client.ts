// The import job's two conversations: with the issuer (discovery, Client Credentials grant, renewal
// before expiry) and with the API's upload route (retries on network errors, 429 and 5xx with
// exponential backoff and jitter; a batch too large is split). Re-sending a batch is always safe:
// the API answers an external_id it already holds as a duplicate.
import * as oidc from 'openid-client';
import { isLoopbackUrl } from '../../domain/loopback.ts';
import type { FieldError } from '../../domain/errors.ts';
import { UsageError } from '../command.ts';
import { externalIdOf } from './summary.ts';

/** The run cannot go on (wrong secret, unreachable issuer, the API refusing the client): exit code 2. */
export class SetupError extends UsageError {}

/** A batch that could not be delivered after every retry: its rows count as errors with this reason. */
export class BatchFailure extends Error {}

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly retries: number;
  readonly baseMs: number;
  readonly maxMs: number;
  /** The longest `Retry-After` honoured; a server asking for more gets this. */
  readonly maxRetryAfterMs: number;
}

/** Seven attempts over at least 16 and at most 32 seconds: a restart or a short outage goes unnoticed. */
export const DEFAULT_RETRY: RetryPolicy = { retries: 6, baseMs: 500, maxMs: 30_000, maxRetryAfterMs: 300_000 };

/**
 * The wait before retry number `attempt` (0 = the first retry): exponential, capped, with "equal
 * jitter" (half fixed, half random) so that parallel batches do not come back in lockstep.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number = Date.now()): number | undefined {
  if (!header) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The wait before a retry: the server's `Retry-After` when it gave one (bounded), else the backoff. */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfter?: number, random?: () => number): number {
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  return backoffMs(attempt, policy, random);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** http is for loopback only (as the provider itself requires): a token must never cross a network in clear. */
export function checkEndpoint(name: string, value: string): URL {
  const url = URL.parse(value);
  if (!url || !['http:', 'https:'].includes(url.protocol)) throw new SetupError(`${name} must be an http(s) URL (got "${value}")`);
  if (url.protocol === 'http:' && !isLoopbackUrl(url)) {
    throw new SetupError(`${name} ${value} must use https (http is allowed only on localhost, 127.0.0.1 and [::1])`);
  }
  return url;
}

/** A network failure, as one short reason: the system error code when there is one. */
export function networkReason(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TimeoutError') return 'timed out';
  if (error.name === 'AbortError') return 'aborted';
  if (!(error instanceof TypeError)) return undefined;
  const cause = (error as { cause?: unknown }).cause as { code?: unknown; errors?: { code?: unknown }[]; message?: unknown } | undefined;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  if (typeof code === 'string') return code;
  if (typeof cause?.message === 'string' && cause.message) return cause.message;
  return error.message;
}

/** Network failures where no connection to the API was made at all. */
const NO_CONNECTION = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// ---- the issuer -------------------------------------------------------------------------------

export interface Token {
  readonly access_token: string;
  readonly expires_in?: number;
}

/**
 * The current access token, renewed shortly before it expires (or when the API refused it), one
 * renewal at a time however many batches ask.
 */
export class TokenSource {
  readonly #request: () => Promise<Token>;
  readonly #now: () => number;
  #current: { token: string; renewAt: number } | undefined;
  #pending: Promise<string> | undefined;
  #renewals = 0;

  constructor(request: () => Promise<Token>, now: () => number = Date.now) {
    this.#request = request;
    this.#now = now;
  }

  /** How many tokens were obtained so far. */
  get renewals(): number {
    return this.#renewals;
  }

  get(): Promise<string> {
    const current = this.#current;
    if (current && this.#now() < current.renewAt) return Promise.resolve(current.token);
    this.#pending ??= this.#request()
      .then((token) => {
        const lifetimeMs = (token.expires_in ?? 0) * 1000;
        // Renew a little early: at most 30 s, at most a fifth of the lifetime.
        const renewAt = lifetimeMs > 0 ? this.#now() + lifetimeMs - Math.min(30_000, lifetimeMs / 5) : Number.POSITIVE_INFINITY;
        this.#current = { token: token.access_token, renewAt };
        this.#renewals++;
        return token.access_token;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    return this.#pending;
  }

  /** The API refused this token (expired early, keys rotated): the next `get` renews. */
  invalidate(token: string): void {
    if (this.#current?.token === token) this.#current = undefined;
  }
}

/** Retries for discovery at start: an issuer that is down then is a configuration problem, said quickly. */
const DISCOVERY_RETRIES = 2;

export interface IssuerOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope: string;
  readonly resource: Resource;
  readonly retry: RetryPolicy;
  readonly onRetry?: (message: string) => void;
}

/** The API a token is asked for: RFC 8707's `resource`, or the hosted vendor's `audience`. */
export interface Resource {
  readonly parameter: 'resource' | 'audience';
  readonly value: string;
}

function oauthError(error: unknown): { status?: number; code?: string; description?: string } {
  if (error instanceof oidc.ResponseBodyError) return { status: error.status, code: error.error, description: error.error_description };
  if (error instanceof oidc.WWWAuthenticateChallengeError) {
    const parameters = error.cause[0]?.parameters;
    return { status: error.status, code: parameters?.error, description: parameters?.error_description };
  }
  const cause = (error as { cause?: unknown })?.cause;
  if (cause instanceof Response) return { status: cause.status };
  return {};
}

function isTransient(error: unknown): boolean {
  if (networkReason(error)) return true;
  const { status } = oauthError(error);
  return status !== undefined && (status === 429 || status >= 500);
}

async function withRetries<T>(
  what: string,
  retries: number,
  policy: RetryPolicy,
  action: () => Promise<T>,
  onRetry?: (message: string) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await action();
    } catch (error) {
      if (!isTransient(error) || attempt >= retries) throw error;
      const { response, cause } = error as { response?: unknown; cause?: unknown };
      const answer = response instanceof Response ? response : cause instanceof Response ? cause : undefined;
      const retryAfter = retryAfterMs(answer?.headers.get('retry-after'));
      const delay = retryDelayMs(attempt, policy, retryAfter);
      onRetry?.(`${what}: ${describeIssuerError(error)}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await sleep(delay);
    }
  }
}

function describeIssuerError(error: unknown): string {
  const network = networkReason(error);
  if (network) return network;
  const { status, code, description } = oauthError(error);
  if (code) return `${code}${description ? `: ${description}` : ''}`;
  if (status) return `HTTP ${status}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Discovers the issuer and returns the Client Credentials grant as a function. Failures that retrying
 * cannot fix (wrong secret, unknown client, scope not allowed, no such issuer) are SetupErrors.
 */
export async function connectIssuer(options: IssuerOptions): Promise<() => Promise<Token>> {
  const url = checkEndpoint('the issuer', options.issuer);
  const insecure = url.protocol === 'http:'; // loopback only: checkEndpoint refused the rest
  let configuration: oidc.Configuration;
  try {
    configuration = await withRetries(
      'discovery',
      DISCOVERY_RETRIES,
      options.retry,
      () =>
        oidc.discovery(url, options.clientId, undefined, oidc.ClientSecretBasic(options.clientSecret), {
          ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
          timeout: 30,
        }),
      options.onRetry,
    );
  } catch (error) {
    const network = networkReason(error);
    if (network) throw new SetupError(`cannot reach the issuer ${options.issuer} (${network}): check OIDC_ISSUER or --issuer`);
    throw new SetupError(
      `${options.issuer} does not answer as an OpenID issuer (${describeIssuerError(error)}): check OIDC_ISSUER or --issuer`,
    );
  }

  return async () => {
    try {
      return await withRetries(
        'token request',
        options.retry.retries,
        options.retry,
        () => oidc.clientCredentialsGrant(configuration, { scope: options.scope, [options.resource.parameter]: options.resource.value }),
        options.onRetry,
      );
    } catch (error) {
      const { code } = oauthError(error);
      if (code === 'invalid_client') {
        throw new SetupError(
          `the issuer refused the client credentials of ${options.clientId} (invalid_client): check IMPORT_CLIENT_SECRET or --client-secret-file, and IMPORT_CLIENT_ID`,
        );
      }
      if (code === 'invalid_scope' || code === 'unauthorized_client') {
        throw new SetupError(`the client ${options.clientId} may not get a "${options.scope}" token by Client Credentials (${describeIssuerError(error)})`);
      }
      const network = networkReason(error);
      if (network) throw new SetupError(`cannot reach the issuer's token endpoint (${network}) after ${options.retry.retries + 1} attempts`);
      throw new SetupError(`the issuer refused the token request (${describeIssuerError(error)})`);
    }
  };
}

// ---- the API ----------------------------------------------------------------------------------

export interface ItemResult {
  readonly index: number;
  readonly external_id: string | null;
  readonly status: 'created' | 'duplicate' | 'error';
  readonly errors?: readonly FieldError[];
}

export interface UploaderOptions {
  /** The API's base URL, e.g. https://timesheets.example/api. */
  readonly api: string;
  readonly tokens: Pick<TokenSource, 'get' | 'invalidate'>;
  readonly retry: RetryPolicy;
  readonly timeoutMs?: number;
  readonly onRetry?: (message: string) => void;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

async function problemDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { detail?: unknown; title?: unknown };
    if (typeof body.detail === 'string') return body.detail;
    if (typeof body.title === 'string') return body.title;
  } catch {
    // not JSON: the status says it all
  }
  return '';
}

/** The upload route: `upload(items)` resolves with one result per item, in order. */
export class Uploader {
  readonly #url: string;
  readonly #options: UploaderOptions;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: UploaderOptions) {
    this.#url = `${options.api.replace(/\/+$/, '')}/timesheets/upload`;
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? sleep;
  }

  async upload(items: readonly unknown[]): Promise<ItemResult[]> {
    const body = JSON.stringify({ entries: items });
    const outcome = await this.#send(body, items.length);
    if (outcome !== 'too-large') return outcome;
    if (items.length === 1) {
      return [{ index: 0, external_id: externalIdOf(items[0]), status: 'error', errors: [{ field: 'row', message: 'is too large for the API (HTTP 413)' }] }];
    }
    // The body limit is in bytes: split the batch and send the halves.
    const middle = Math.ceil(items.length / 2);
    const first = await this.upload(items.slice(0, middle));
    const second = await this.upload(items.slice(middle));
    return [...first, ...second.map((r) => ({ ...r, index: r.index + middle }))];
  }

  async #send(body: string, count: number): Promise<ItemResult[] | 'too-large'> {
    const { retry, tokens } = this.#options;
    let renewed = false;
    // Until an attempt connects: a timeout or an answer cut short may mean the batch was stored.
    let neverConnected = true;
    for (let attempt = 0; ; attempt++) {
      const token = await tokens.get();
      let response: Response;
      let failure: string;
      let retryAfter: number | undefined;
      try {
        response = await this.#fetch(this.#url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
          body,
          signal: AbortSignal.timeout(this.#options.timeoutMs ?? 120_000),
        });
        neverConnected = false;
        if (response.status === 200) {
          const results = await readResults(response, count); // a body cut short is a network error: retried
          if (results) return results;
          throw new BatchFailure('the API answered with an unexpected response body');
        }
        if (response.status === 401) {
          await response.body?.cancel();
          tokens.invalidate(token);
          if (!renewed) {
            renewed = true; // expired or revoked meanwhile: once more with a fresh token, no wait
            attempt--;
            continue;
          }
          throw new SetupError(`the API at ${this.#url} refuses this client's access tokens (HTTP 401): is OIDC_ISSUER the issuer the API trusts?`);
        }
        if (response.status === 403) {
          const detail = await problemDetail(response);
          throw new SetupError(`the API refused the import client (HTTP 403${detail ? `: ${detail}` : ''})`);
        }
        if (response.status === 404 || response.status === 405) {
          await response.body?.cancel();
          throw new SetupError(`there is no upload route at ${this.#url} (HTTP ${response.status}): check API_URL or --api`);
        }
        if (response.status === 413) {
          await response.body?.cancel();
          return 'too-large';
        }
        const detail = await problemDetail(response);
        const reason = `HTTP ${response.status}${detail ? ` (${detail})` : ''}`;
        if (response.status !== 429 && response.status < 500) throw new BatchFailure(`the API refused the batch: ${reason}`);
        failure = reason;
        retryAfter = retryAfterMs(response.headers.get('retry-after'));
      } catch (error) {
        const network = networkReason(error);
        if (!network) throw error;
        failure = network;
        if (!NO_CONNECTION.has(network)) neverConnected = false;
      }
      if (attempt >= retry.retries) {
        // Not one connection through every retry: the next batches would only wait as long. Stop.
        if (neverConnected) {
          throw new SetupError(`cannot reach the API at ${this.#url} (${failure}) after ${retry.retries + 1} attempts: check API_URL or --api`);
        }
        throw new BatchFailure(`not delivered after ${retry.retries + 1} attempts (last: ${failure})`);
      }
      const delay = retryDelayMs(attempt, retry, retryAfter, this.#options.random);
      this.#options.onRetry?.(`upload: ${failure}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${retry.retries + 1})`);
      await this.#sleep(delay);
    }
  }
}

async function readResults(response: Response, count: number): Promise<ItemResult[] | undefined> {
  const text = await response.text();
  let body: { results?: unknown };
  try {
    body = JSON.parse(text) as { results?: unknown };
  } catch {
    return undefined;
  }
  const results = body.results;
  if (!Array.isArray(results) || results.length !== count) return undefined;
  const ordered: ItemResult[] = new Array(count);
  for (const result of results as ItemResult[]) {
    if (!Number.isInteger(result?.index) || result.index < 0 || result.index >= count) return undefined;
    if (!['created', 'duplicate', 'error'].includes(result.status)) return undefined;
    ordered[result.index] = result;
  }
  return ordered.includes(undefined as never) ? undefined : ordered;
}
