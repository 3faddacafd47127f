// One top-level sign-in attempt's secrets (state, nonce, PKCE verifier) survive the round trip to
// the provider in sessionStorage: they are not tokens, they live in this tab only, and the
// callback removes them before it even looks at the response, so each is used at most once.

export interface AttemptSecrets {
  readonly state: string;
  readonly nonce: string;
  /** The PKCE code verifier (code flow only). */
  readonly verifier?: string;
}

export interface Attempt extends AttemptSecrets {
  /** The app path to return to after signing in. */
  readonly returnTo: string;
  readonly startedAt: number;
}

const KEY = 'abc-timesheets:sign-in-attempt';
/** The provider's sign-in interaction lasts 10 minutes; an older attempt cannot complete. */
const MAX_AGE_MS = 10 * 60 * 1000;

export function saveAttempt(attempt: Attempt): void {
  sessionStorage.setItem(KEY, JSON.stringify(attempt));
}

/** The pending attempt, removed from storage in the same step; undefined if none or stale. */
export function takeAttempt(now = Date.now()): Attempt | undefined {
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
  if (!raw) return undefined;
  try {
    const attempt = JSON.parse(raw) as Attempt;
    const fresh = typeof attempt.startedAt === 'number' && now - attempt.startedAt < MAX_AGE_MS;
    return fresh && typeof attempt.state === 'string' && typeof attempt.nonce === 'string' ? attempt : undefined;
  } catch {
    return undefined;
  }
}
