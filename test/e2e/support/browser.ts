// Debian's Chromium driven by playwright-core (Playwright's own browser download cannot work here),
// and what the web app's end-to-end tests check on every screen: accessibility (axe-core), and
// what the page loaded (nothing third-party, no CSP violation).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_PASSWORD } from '../../../src/identity/index.ts';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 375, height: 812 };

/** A browser context (a person's browser profile) that records what its pages do. */
export class Visitor {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Every request to another origin than the app's. */
  readonly foreignRequests: string[] = [];
  /** Console messages about Content Security Policy violations. */
  readonly cspViolations: string[] = [];
  /** Every token the browser received: from the token endpoint or the fragment, and sent to the API. */
  readonly tokens = new Set<string>();
  /** Every request that carried a bearer token, in order: where it went and the token. */
  readonly bearerRequests: { readonly url: URL; readonly token: string }[] = [];

  private constructor(context: BrowserContext, page: Page, baseUrl: string) {
    this.context = context;
    this.page = page;
    const origin = new URL(baseUrl).origin;
    context.on('request', (request) => {
      const url = new URL(request.url());
      if (!['data:', 'blob:'].includes(url.protocol) && url.origin !== origin) this.foreignRequests.push(request.url());
      const bearer = /^Bearer (.+)$/.exec(request.headers().authorization ?? '')?.[1];
      if (bearer) {
        this.tokens.add(bearer);
        this.bearerRequests.push({ url, token: bearer });
      }
    });
    context.on('response', async (response) => {
      // Implicit: the provider's redirect carries the tokens in the fragment of its Location.
      const location = await response.headerValue('location');
      const fragment = new URLSearchParams(location?.split('#')[1] ?? '');
      // Code flow: the token endpoint's answer.
      const body =
        response.url().endsWith('/oidc/token') && response.ok()
          ? ((await response.json().catch(() => ({}))) as Record<string, unknown>)
          : {};
      for (const name of ['access_token', 'refresh_token', 'id_token']) {
        const token = fragment.get(name) ?? body[name];
        if (typeof token === 'string') this.tokens.add(token);
      }
    });
    context.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.cspViolations.push(message.text());
    });
    page.setDefaultTimeout(10_000);
  }

  static async open(browser: Browser, baseUrl: string, options: { fakeClock?: boolean } = {}): Promise<Visitor> {
    const context = await browser.newContext({ viewport: DESKTOP, baseURL: baseUrl, acceptDownloads: true });
    // A clock that flows normally until a test fast-forwards it (token renewal).
    if (options.fakeClock) await context.clock.install();
    return new Visitor(context, await context.newPage(), baseUrl);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Fills the provider's sign-in page (the real one: Email, Password, Sign in). */
export async function submitSignInForm(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/**
 * From the signed-out home page, through the provider's sign-in page (checked like the app's own
 * screens when `checkSignInPage`), back to the greeting.
 */
export async function signIn(page: Page, email: string, name: string, { checkSignInPage = false } = {}): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.waitForURL(/\/oidc\/interaction\//);
  if (checkSignInPage) await checkScreen(page, 'sign-in');
  await submitSignInForm(page, email);
  await page.getByRole('heading', { level: 1, name: new RegExp(`, ${name}$`) }).waitFor();
}

/** What the page script below uses (this file is type-checked without the DOM library). */
interface PageGlobals {
  readonly localStorage: Record<string, string>;
  readonly sessionStorage: Record<string, string>;
  readonly indexedDB: { databases(): Promise<{ name?: string }[]> };
  readonly document: { readonly cookie: string; readonly documentElement: { readonly scrollWidth: number }; readonly activeElement: unknown };
}

/** Everything script on the page can read back: Web Storage, IndexedDB and readable cookies. */
export async function readableStorage(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const { localStorage, sessionStorage, indexedDB, document } = globalThis as unknown as PageGlobals;
    const dump = (storage: Record<string, string>) => Object.entries({ ...storage }).map(([k, v]) => `${k}=${v}`);
    return JSON.stringify({
      local: dump(localStorage),
      session: dump(sessionStorage),
      indexedDB: (await indexedDB.databases()).map((db) => db.name),
      cookies: document.cookie,
    });
  });
}

/** axe-core on the current screen: nothing serious or critical. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious, `accessibility violations on ${screen}`).toEqual([]);
}

/**
 * Checks a screen at desktop and at phone width: axe-core finds nothing serious, and at phone width
 * nothing is wider than the screen (no sideways scrolling). When E2E_SCREENSHOTS names a folder,
 * saves both for people to look at.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  const folder = process.env.E2E_SCREENSHOTS;
  if (folder) mkdirSync(folder, { recursive: true });
  await expectAccessible(page, name);
  if (folder) await page.screenshot({ path: path.join(folder, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  try {
    await expectAccessible(page, `${name} at phone width`);
    const width = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth);
    expect(width, `${name}: page width at phone width`).toBeLessThanOrEqual(PHONE.width);
    if (folder) await page.screenshot({ path: path.join(folder, `${name}-phone.png`), fullPage: true });
  } finally {
    await page.setViewportSize(DESKTOP);
  }
}

/** Presses Tab until `target` has the focus, as someone without a mouse would; fails if it never does. */
export async function tabTo(page: Page, target: Locator, within = 60): Promise<void> {
  for (let presses = 0; presses <= within; presses++) {
    if (await target.evaluate((element) => element === (globalThis as unknown as PageGlobals).document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${target} is not reachable with ${within} presses of Tab`);
}
