// The verified-token cache must never outlive a token, nor hold more than its bound.
import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache, type Caller } from '../src/api/auth.ts';

const caller = (sub: string): Caller => ({ sub, clientId: 'spa', scopes: new Set(['read:timesheets']) });

describe('verified-token cache', () => {
  it('forgets a token at its exp, or after a minute, whichever comes first', () => {
    const cache = new VerifiedTokenCache(10, 60_000);
    const now = 1_000_000_000_000;
    cache.set('short', caller('a'), now / 1000 + 5, now);
    cache.set('long', caller('b'), now / 1000 + 3600, now);
    expect(cache.get('short', now + 4_999)?.sub).toBe('a');
    expect(cache.get('short', now + 5_000)).toBeUndefined();
    expect(cache.get('long', now + 59_999)?.sub).toBe('b');
    expect(cache.get('long', now + 60_000)).toBeUndefined();
  });

  it('matches on the whole token and drops the oldest when full', () => {
    const cache = new VerifiedTokenCache(2);
    const exp = Date.now() / 1000 + 600;
    cache.set('t1', caller('1'), exp);
    cache.set('t2', caller('2'), exp);
    cache.set('t3', caller('3'), exp);
    expect(cache.get('t1')).toBeUndefined();
    expect(cache.get('t2')?.sub).toBe('2');
    expect(cache.get('t3')?.sub).toBe('3');
    expect(cache.get('t3x')).toBeUndefined();
  });

  it('serves only the very token it verified, even one that ends the same', () => {
    const cache = new VerifiedTokenCache();
    const signature = 'S'.repeat(342);
    const verified = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.${signature}`;
    cache.set(verified, caller('alice'), Date.now() / 1000 + 600);
    // The same signature pasted under another payload, or the token with one character changed.
    expect(cache.get(`eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.${signature}`)).toBeUndefined();
    expect(cache.get(`x${verified.slice(1)}`)).toBeUndefined();
    // The miss did not evict the verified token.
    expect(cache.get(verified)?.sub).toBe('alice');
  });
});
