// What must survive or change over time: restarts, key rotation, disabled users, throttling,
// and the production guard.
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { ProductionGuardError } from '../src/identity/index.ts';
import { rotateSigningKey } from '../src/identity/keys.ts';
import { buildSystem } from '../src/server.ts';
import { ENGINES } from './support/databases.ts';
import { json } from './support/http.ts';
import { authorizationCode, client, signInWithCode } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';
import { SignInPageError } from './support/user-agent.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';

async function kids(issuer: string): Promise<string[]> {
  const { keys } = await json(await fetch(`${issuer}/jwks`));
  return keys.map((k: { kid: string }) => k.kid);
}

describe.each(ENGINES)('identity lifecycle [%s]', (engine) => {
  it('keeps keys and sessions across a restart', async () => {
    const first = await startSystem(engine);
    const { agent } = await signInWithCode(first.issuer, first.baseUrl, { email: 'ellen@abc-inc.example' });
    const kidsBefore = await kids(first.issuer);
    await first.stop({ keepDatabase: true });

    const second = await startSystem(engine, { database: first.database, port: Number(new URL(first.baseUrl).port) });
    try {
      expect(await kids(second.issuer)).toEqual(kidsBefore);
      // The session cookie from before the restart still signs the user in silently.
      const { tokens } = await signInWithCode(second.issuer, second.baseUrl, {
        email: 'ellen@abc-inc.example',
        agent,
        extra: { prompt: 'none' },
      });
      expect(decodeJwt(tokens.access_token)['https://api.abc-inc.example/email']).toBe('ellen@abc-inc.example');
      expect(kidsBefore).toContain(decodeProtectedHeader(tokens.access_token).kid);
    } finally {
      await second.stop();
    }
  });

  describe('on one running system', () => {
    let running: RunningSystem;
    beforeAll(async () => {
      running = await startSystem(engine, {
        keyRefreshMs: 100,
        env: { LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', LOGIN_MAX_FAILURES_PER_ADDRESS: '6' },
      });
    });
    afterAll(async () => running?.stop());

    it('rotates keys without breaking a valid token: published first, signing after the delay', async () => {
      const stores = running.system.database.stores;
      const jwks = createRemoteJWKSet(new URL(`${running.issuer}/jwks`));
      const before = await signInWithCode(running.issuer, running.baseUrl, { email: 'maria@abc-inc.example' });
      const oldKid = decodeProtectedHeader(before.tokens.access_token).kid;

      const pending = await rotateSigningKey(stores, 60_000);
      await vi.waitFor(async () => expect(await kids(running.issuer)).toContain(pending.kid), { timeout: 5000, interval: 50 });
      const during = await client.refreshTokenGrant(before.config, before.tokens.refresh_token!);
      expect(decodeProtectedHeader(during.access_token).kid).toBe(oldKid);

      const active = await rotateSigningKey(stores, 0);
      await vi.waitFor(async () => expect((await kids(running.issuer))[0]).toBe(active.kid), { timeout: 5000, interval: 50 });
      const after = await client.refreshTokenGrant(before.config, during.refresh_token!);
      expect(decodeProtectedHeader(after.access_token).kid).toBe(active.kid);
      // Tokens signed by the previous key still verify: it stays published.
      for (const token of [before.tokens.access_token, during.access_token, after.access_token]) {
        await jwtVerify(token, jwks, { issuer: running.issuer, audience: AUDIENCE, typ: 'at+jwt' });
      }
    });

    it('lets a disabled user neither sign in nor refresh', async () => {
      const { tokens, config, agent } = await signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example' });
      await running.system.database.stores.users.setDisabled('carl@abc-inc.example', true);
      try {
        await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
          error: 'invalid_grant',
        });
        // Carl's browser still holds his provider session: silent renewal answers login_required...
        await expect(
          authorizationCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example', agent, extra: { prompt: 'none' } }),
        ).rejects.toThrow(/login_required/);
        // ...and an interactive sign-in shows the sign-in page again, which refuses him.
        for (const browser of [agent, undefined]) {
          await expect(
            signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example', agent: browser }),
          ).rejects.toBeInstanceOf(SignInPageError);
        }
      } finally {
        await running.system.database.stores.users.setDisabled('carl@abc-inc.example', false);
      }
    });

    it('throttles password guessing per account, then per address, with 429 and Retry-After', async () => {
      const attempt = async (email: string, password: string) =>
        signInWithCode(running.issuer, running.baseUrl, { email, password }).then(
          () => ({ status: 200, body: '', retryAfter: null as string | null }),
          (error: SignInPageError) => ({ status: error.status, body: error.body, retryAfter: error.headers.get('retry-after') }),
        );
      await running.system.database.db.deleteFrom('rate_limits').execute();
      for (let i = 0; i < 3; i++) expect((await attempt('ellen@abc-inc.example', 'wrong-password')).status).toBe(401);
      // Locked: even the right password is refused until the window ends.
      const locked = await attempt('ellen@abc-inc.example', 'demo-password');
      expect(locked.status).toBe(429);
      expect(locked.body).toContain('Too many failed sign-in attempts');
      expect(Number(locked.retryAfter)).toBeGreaterThan(0);
      // Other accounts from the same address still work until the address limit (6 failures).
      expect((await attempt('maria@abc-inc.example', 'demo-password')).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await attempt(`nobody${i}@abc-inc.example`, 'x-password')).status).toBe(401);
      expect((await attempt('maria@abc-inc.example', 'demo-password')).status).toBe(429);
      await running.system.database.db.deleteFrom('rate_limits').execute();
    });

    it('lets no more guesses through in parallel than one after the other, and never at a colleague’s cost', async () => {
      await running.system.database.db.deleteFrom('rate_limits').execute();
      const guesses = Array.from({ length: 10 }, () =>
        signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example', password: 'guess-guess' }).then(
          () => 200,
          (error: SignInPageError) => error.status,
        ),
      );
      // Maria signs in from the same address while the guesses are in flight.
      const colleague = signInWithCode(running.issuer, running.baseUrl, { email: 'maria@abc-inc.example' }).then(
        () => 200,
        (error: SignInPageError) => error.status,
      );
      const results = await Promise.all(guesses);
      // The account allows 3 failures a window; refused guesses do not count against the address (6).
      expect(results.filter((status) => status === 401)).toHaveLength(3);
      expect(results.filter((status) => status === 429)).toHaveLength(7);
      expect(await colleague).toBe(200);
      await running.system.database.db.deleteFrom('rate_limits').execute();
    });
  });

  it('refuses to start in production on a database that holds the demo tenant', async () => {
    const demo = await startSystem(engine);
    await demo.stop({ keepDatabase: true });
    try {
      const config = loadConfig({
        NODE_ENV: 'production',
        PUBLIC_URL: 'https://timesheets.abc-inc.example',
        DATABASE_URL: demo.database.url,
        LOG_LEVEL: 'silent',
      });
      await expect(buildSystem(config)).rejects.toBeInstanceOf(ProductionGuardError);
    } finally {
      await demo.database.drop();
    }
  });
});

describe('production guard (configuration)', () => {
  const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://timesheets.abc-inc.example' };

  it('refuses demo mode', () => {
    expect(() => loadConfig({ ...production, DEMO: 'true' })).toThrow(/DEMO must be off in production/);
  });

  it('refuses an http issuer that is not loopback', () => {
    expect(() => loadConfig({ ...production, PUBLIC_URL: 'http://timesheets.abc-inc.example' })).toThrow(ConfigError);
  });

  it('never waives the implicit https rule in production, even on localhost', () => {
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'http://localhost:3000' }).implicitLocalhostWaiver).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development', PUBLIC_URL: 'http://localhost:3000' }).implicitLocalhostWaiver).toBe(true);
    expect(loadConfig({ NODE_ENV: 'development', PUBLIC_URL: 'http://timesheets.lan' }).implicitLocalhostWaiver).toBe(false);
  });

  it('names every wrong value in one message', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', AUTH_FLOW: 'magic' });
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { problems } = error as ConfigError;
      expect(problems.join('\n')).toMatch(/PORT/);
      expect(problems.join('\n')).toMatch(/DATABASE_URL/);
      expect(problems.join('\n')).toMatch(/AUTH_FLOW/);
    }
  });
});
