// Where the API gets the issuer's public keys. An API-only instance (or any external provider)
// is trusted only through its discovery document and JWKS; when the provider runs in the same
// process, its current key set is read directly (no HTTP round trip to ourselves).
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

export interface KeySource {
  /** jose's key resolver for jwtVerify. */
  readonly resolve: JWTVerifyGetKey;
  /**
   * Changes whenever the trusted keys change (a key withdrawn: its tokens must be checked again); it
   * may change more often (the embedded provider's also changes when a pending key starts signing).
   */
  generation(): string;
  /** True while a trusted key set is loaded (for readiness). */
  ready(): boolean;
  /** Stops background refreshing. */
  close(): void;
}

/** The issuer's keys cannot be had: the API answers 503 (not 401: the token may be fine). */
export class KeysUnavailableError extends Error {}

/** How soon a failed key fetch is retried in the background, and the fastest the timer runs. */
const RETRY_MS = 5000;
const MIN_PERIOD_MS = 100;

/** Keys held in this process (the embedded provider), rebuilt only when the set changes. */
export function localKeySource<K extends { readonly fingerprint: string }>(
  current: () => K,
  publicJwks: (keys: K) => JSONWebKeySet,
): KeySource {
  let cached: { fingerprint: string; resolve: JWTVerifyGetKey } | undefined;
  return {
    resolve(header, token) {
      const keys = current();
      if (cached?.fingerprint !== keys.fingerprint) {
        cached = { fingerprint: keys.fingerprint, resolve: createLocalJWKSet(publicJwks(keys)) };
      }
      return cached.resolve(header, token);
    },
    generation: () => current().fingerprint,
    ready: () => true,
    close: () => undefined,
  };
}

export interface RemoteKeyOptions {
  /** Refetch in the background this often. */
  readonly refreshMs?: number;
  /** At most one refetch for an unknown kid this often (an attacker can send any kid). */
  readonly unknownKidCooldownMs?: number;
  /** How long the last good key set is used while the provider is unreachable. */
  readonly maxStaleMs?: number;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

const REMOTE_KEY_DEFAULTS = {
  refreshMs: 5 * 60 * 1000,
  unknownKidCooldownMs: 30 * 1000,
  maxStaleMs: 24 * 60 * 60 * 1000,
  timeoutMs: 5000,
} as const;

/**
 * The issuer's keys from its discovery document: loaded at once, refetched in the background every
 * `refreshMs` and on an unknown kid (rate limited), and the last good set kept for `maxStaleMs` when
 * the provider is down.
 */
export function remoteKeySource(issuer: string, options: RemoteKeyOptions = {}): KeySource {
  const settings = { ...REMOTE_KEY_DEFAULTS, ...options };
  const fetcher = options.fetch ?? fetch;
  let keys: { resolve: JWTVerifyGetKey; kids: Set<string>; generation: string; loadedAt: number } | undefined;
  let inflight: Promise<void> | undefined;
  let lastAttempt = 0;

  async function getJson(url: string): Promise<unknown> {
    const response = await fetcher(url, { signal: AbortSignal.timeout(settings.timeoutMs), redirect: 'error' });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }

  async function load(): Promise<void> {
    const started = Date.now();
    lastAttempt = started;
    const discovery = (await getJson(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`)) as {
      issuer?: unknown;
      jwks_uri?: unknown;
    };
    if (discovery.issuer !== issuer) throw new Error(`the discovery document names issuer ${String(discovery.issuer)}, not ${issuer}`);
    if (typeof discovery.jwks_uri !== 'string') throw new Error('the discovery document has no jwks_uri');
    const jwks = (await getJson(discovery.jwks_uri)) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys)) throw new Error('the JWKS has no keys');
    const kids = new Set(jwks.keys.map((k) => k.kid).filter((kid): kid is string => typeof kid === 'string'));
    const generation = JSON.stringify(jwks.keys);
    keys = {
      resolve: createLocalJWKSet(jwks),
      kids,
      // An unchanged set keeps the very same string: the verifier compares it on every request.
      generation: keys?.generation === generation ? keys.generation : generation,
      // As of the request, not its answer: the age errs on the old side.
      loadedAt: started,
    };
  }

  function refresh(): Promise<void> {
    inflight ??= load().finally(() => (inflight = undefined));
    return inflight;
  }

  // Load now and keep the set fresh in the background, so readiness never waits for traffic: the
  // next load is timed from the end of this one (every refreshMs; sooner, RETRY_MS, after a failure).
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const background = async () => {
    let next = Math.max(MIN_PERIOD_MS, settings.refreshMs);
    try {
      await refresh();
    } catch {
      next = Math.max(MIN_PERIOD_MS, Math.min(RETRY_MS, settings.refreshMs));
    }
    if (closed) return;
    timer = setTimeout(() => void background(), next);
    timer.unref();
  };
  void background();

  return {
    async resolve(header, token) {
      const unknownKid = keys !== undefined && header.kid !== undefined && !keys.kids.has(header.kid);
      if (!keys || (unknownKid && Date.now() - lastAttempt > settings.unknownKidCooldownMs)) {
        // Nothing loaded yet, or a key we have not seen (a rotation): one refetch, rate limited.
        await refresh().catch(() => undefined);
      }
      if (!keys) throw new KeysUnavailableError('the issuer keys could not be loaded');
      if (Date.now() - keys.loadedAt > settings.maxStaleMs) throw new KeysUnavailableError('the issuer keys are too old to trust');
      return keys.resolve(header, token);
    },
    generation: () => keys?.generation ?? '',
    ready: () => keys !== undefined && Date.now() - keys.loadedAt <= settings.maxStaleMs,
    close: () => {
      closed = true;
      clearTimeout(timer);
    },
  };
}
