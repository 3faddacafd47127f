// The sign-in throttle on the shared database, driven directly so that parallel attempts reach
// the counters in a known order (through the sign-in pages their order is up to the network).
import { describe, expect, it } from 'vitest';
import { loginThrottle } from '../src/identity/throttle.ts';
import { ENGINES, suiteDatabase } from './support/databases.ts';

const LIMITS = { perAccount: 3, perAddress: 6, windowSeconds: 900 };
const OFFICE = '203.0.113.7';

describe.each(ENGINES)('login throttle [%s]', (engine) => {
  const suite = suiteDatabase(engine);

  it('never lets guesses at a locked account crowd a colleague out of the shared address', async () => {
    const throttle = loginThrottle(suite.database.stores, LIMITS);
    const now = Date.now();
    const guesses = Array.from({ length: 10 }, () => throttle.attempt('carl@abc-inc.example', OFFICE, now));
    const colleague = throttle.attempt('maria@abc-inc.example', OFFICE, now);
    const verdicts = await Promise.all(guesses);
    expect(verdicts.filter((verdict) => !verdict.blocked)).toHaveLength(3);
    expect(await colleague).toEqual({ blocked: false });
  });

  it('refuses the address once it holds its limit, and gives the account back what the address refused', async () => {
    const throttle = loginThrottle(suite.database.stores, LIMITS);
    const now = Date.now();
    const address = '198.51.100.9';
    for (let i = 0; i < 6; i++) expect(await throttle.attempt(`spray${i}@abc-inc.example`, address, now)).toEqual({ blocked: false });
    const refused = await throttle.attempt('ellen@abc-inc.example', address, now);
    expect(refused).toEqual({ blocked: true, retryAfterSeconds: LIMITS.windowSeconds });
    // Ellen's account was not charged for the refusal: three tries from elsewhere still count.
    for (let i = 0; i < 3; i++) expect(await throttle.attempt('ellen@abc-inc.example', `192.0.2.${i}`, now)).toEqual({ blocked: false });
    expect((await throttle.attempt('ellen@abc-inc.example', '192.0.2.9', now)).blocked).toBe(true);
  });
});
