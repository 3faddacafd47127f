// The web app signing in at an external provider (a separately started one shaped like the hosted
// vendor: `audience=`, no typ, permissions) and calling the API with its tokens, in Chromium.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSystem } from '../support/system.ts';
import { startWithVendor, VENDOR_AUDIENCE as AUDIENCE, type VendorSetup } from '../support/vendor.ts';
import { launchChromium } from './support/browser.ts';

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
    const context = await browser.newContext();
    const page = await context.newPage();
    const authorize: URL[] = [];
    const apiAuthorizations: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.href.startsWith(`${vendorIssuer}auth`)) authorize.push(url);
      if (url.pathname.startsWith('/api/') && request.headers().authorization) apiAuthorizations.push(request.headers().authorization!);
    });
    await page.goto(running.baseUrl);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect.poll(() => page.getByRole('link', { name: 'Approve Timesheets' }).count(), { timeout: 15_000 }).toBe(1);
    // The app named the API the vendor's way, and its calls carry the vendor's tokens.
    expect(authorize[0]?.searchParams.get('audience')).toBe(AUDIENCE);
    expect(authorize[0]?.searchParams.get('resource')).toBeNull();
    await page.getByRole('link', { name: 'My Timesheets' }).click();
    await expect.poll(() => apiAuthorizations.length, { timeout: 10_000 }).toBeGreaterThan(0);
    const token = apiAuthorizations.at(-1)!.slice('Bearer '.length);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: vendorIssuer, sub: 'auth0|maria@abc-inc.example' });
    await expect.poll(() => page.getByRole('button', { name: 'New entry' }).count()).toBe(1);
    await context.close();
  });
});
