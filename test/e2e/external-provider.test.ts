// The web app signing in at an external provider (a separately started one shaped like the hosted
// vendor: `audience=`, no typ, permissions) and calling the API with its tokens, in Chromium.
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../support/system.ts';
import { startWithVendor, VENDOR_AUDIENCE as AUDIENCE, type VendorSetup } from '../support/vendor.ts';
import { launchChromium, Visitor } from './support/browser.ts';

describe('web app with an external provider [chromium] [sqlite]', () => {
  let setup: VendorSetup;
  let running: RunningSystem;
  let browser: Browser;
  let vendorIssuer: string;

  beforeAll(async () => {
    [setup, browser] = await Promise.all([startWithVendor('sqlite', 'maria@abc-inc.example'), launchChromium()]);
    ({ vendorIssuer, running } = setup);
  });
  afterAll(async () => {
    await browser?.close();
    await setup?.stop();
  });

  it('signs in at the external provider and uses its tokens at the API', async () => {
    const visitor = await Visitor.open(browser, running.baseUrl);
    const { page } = visitor;
    const authorize = () => visitor.foreignRequests.filter((url) => url.startsWith(`${vendorIssuer}auth`)).map((url) => new URL(url));
    const apiTokens = () => visitor.bearerRequests.filter(({ url }) => url.pathname.startsWith('/api/')).map(({ token }) => token);
    await page.goto(running.baseUrl);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Approve Timesheets' }).count(), { timeout: 15_000 }).toBe(1);
    // The app named the API the vendor's way, and its calls carry the vendor's tokens.
    expect(authorize()[0]?.searchParams.get('audience')).toBe(AUDIENCE);
    expect(authorize()[0]?.searchParams.get('resource')).toBeNull();
    await page.getByRole('link', { name: 'My Timesheets' }).click();
    await expect.poll(() => apiTokens().length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(decodeJwt(apiTokens().at(-1)!)).toMatchObject({ iss: vendorIssuer, sub: 'auth0|maria@abc-inc.example' });
    await expect.poll(() => page.getByRole('button', { name: 'New entry' }).count()).toBe(1);
    // Nothing but the vendor's provider from another origin, and no Content Security Policy broken.
    expect(visitor.foreignRequests.filter((url) => !url.startsWith(vendorIssuer))).toEqual([]);
    expect(visitor.cspViolations).toEqual([]);
    await visitor.close();
  });
});
