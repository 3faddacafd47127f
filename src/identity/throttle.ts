// Password guessing is throttled per account and per address, in the shared database.
import type { Config } from '../config.ts';
import { normalizeEmail, type Stores } from '../storage/index.ts';

export type ThrottleVerdict = { blocked: false } | { blocked: true; retryAfterSeconds: number };

export function loginThrottle(stores: Stores, limits: Config['loginThrottle']) {
  const windowMs = limits.windowSeconds * 1000;
  const accountKey = (email: string) => `login:account:${normalizeEmail(email)}`;
  const addressKey = (address: string) => `login:address:${address}`;

  const retryAfter = (hit: { windowStartedAt: number }, now: number) =>
    Math.max(1, Math.ceil((hit.windowStartedAt + windowMs - now) / 1000));

  return {
    /**
     * Counts this attempt before the password is checked, atomically, so parallel guesses cannot
     * all slip under the limit; a successful sign-in gives its count back (see succeeded()).
     * The account is asked first, and only an attempt it lets through reaches the address's count:
     * guesses at a locked account, however many in parallel, never crowd out colleagues signing in
     * from the same office address (they would while in flight if both were counted at once).
     */
    async attempt(email: string, address: string, now = Date.now()): Promise<ThrottleVerdict> {
      const account = await stores.rateLimits.hit(accountKey(email), limits.perAccount, windowMs, now);
      if (!account.counted) return { blocked: true, retryAfterSeconds: retryAfter(account, now) };
      const fromAddress = await stores.rateLimits.hit(addressKey(address), limits.perAddress, windowMs, now);
      if (fromAddress.counted) return { blocked: false };
      await stores.rateLimits.release(accountKey(email), limits.perAccount);
      return { blocked: true, retryAfterSeconds: retryAfter(fromAddress, now) };
    },

    /** A right password: the account starts afresh, and the address does not pay for it. */
    async succeeded(email: string, address: string): Promise<void> {
      await Promise.all([stores.rateLimits.reset(accountKey(email)), stores.rateLimits.release(addressKey(address), limits.perAddress)]);
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottle>;
