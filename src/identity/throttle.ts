// Password guessing is throttled per account and per address, in the shared database.
import type { Config } from '../config.ts';
import { normalizeEmail, type Stores } from '../storage/index.ts';

export type ThrottleVerdict = { blocked: false } | { blocked: true; retryAfterSeconds: number };

export function loginThrottle(stores: Stores, limits: Config['loginThrottle']) {
  const windowMs = limits.windowSeconds * 1000;
  const accountKey = (email: string) => `login:account:${normalizeEmail(email)}`;
  const addressKey = (address: string) => `login:address:${address}`;

  const retryAfter = (count: { windowStartedAt: number }, now: number) =>
    Math.max(1, Math.ceil((count.windowStartedAt + windowMs - now) / 1000));

  return {
    /**
     * Counts this attempt before the password is checked, atomically, so parallel guesses cannot
     * all slip under the limit; a successful sign-in gives its count back (see succeeded()).
     */
    async attempt(email: string, address: string, now = Date.now()): Promise<ThrottleVerdict> {
      const [account, fromAddress] = await Promise.all([
        stores.rateLimits.hit(accountKey(email), windowMs, now),
        stores.rateLimits.hit(addressKey(address), windowMs, now),
      ]);
      const over = [
        account.count > limits.perAccount ? retryAfter(account, now) : 0,
        fromAddress.count > limits.perAddress ? retryAfter(fromAddress, now) : 0,
      ];
      const wait = Math.max(...over);
      if (wait === 0) return { blocked: false };
      // A refused attempt checks no password, so it costs nothing.
      await Promise.all([stores.rateLimits.release(accountKey(email)), stores.rateLimits.release(addressKey(address))]);
      return { blocked: true, retryAfterSeconds: wait };
    },

    /** A right password: the account starts afresh, and the address does not pay for it. */
    async succeeded(email: string, address: string): Promise<void> {
      await Promise.all([stores.rateLimits.reset(accountKey(email)), stores.rateLimits.release(addressKey(address))]);
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottle>;
