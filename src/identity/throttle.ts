// Password guessing is throttled per account and per address, in the shared database.
import type { Config } from '../config.ts';
import { normalizeEmail, type Stores } from '../storage/index.ts';

export type ThrottleVerdict = { blocked: false } | { blocked: true; retryAfterSeconds: number };

export function loginThrottle(stores: Stores, limits: Config['loginThrottle']) {
  const windowMs = limits.windowSeconds * 1000;
  const accountKey = (email: string) => `login:account:${normalizeEmail(email)}`;
  const addressKey = (address: string) => `login:address:${address}`;

  return {
    async check(email: string, address: string, now = Date.now()): Promise<ThrottleVerdict> {
      const [account, fromAddress] = await Promise.all([
        stores.rateLimits.peek(accountKey(email), windowMs, now),
        stores.rateLimits.peek(addressKey(address), windowMs, now),
      ]);
      const over = [
        account.count >= limits.perAccount ? account.windowStartedAt : undefined,
        fromAddress.count >= limits.perAddress ? fromAddress.windowStartedAt : undefined,
      ].filter((start): start is number => start !== undefined);
      if (over.length === 0) return { blocked: false };
      const until = Math.max(...over.map((start) => start + windowMs));
      return { blocked: true, retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) };
    },

    async recordFailure(email: string, address: string, now = Date.now()): Promise<void> {
      await Promise.all([
        stores.rateLimits.hit(accountKey(email), windowMs, now),
        stores.rateLimits.hit(addressKey(address), windowMs, now),
      ]);
    },

    async recordSuccess(email: string): Promise<void> {
      await stores.rateLimits.reset(accountKey(email));
    },
  };
}

export type LoginThrottle = ReturnType<typeof loginThrottle>;
