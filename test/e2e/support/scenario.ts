// The web app's story, end to end in Chromium against the real provider and API, for one sign-in
// flow: an employee logs time, a manager approves and rejects, the employee re-submits, sessions
// survive reloads and renew themselves, and logging out really ends the provider session.
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isoWeekOf, weekRange } from '../../../src/domain/week.ts';
import { revokeSigningKeys } from '../../../src/identity/keys.ts';
import { apiClient } from '../../support/api.ts';
import { startSystem, type RunningSystem } from '../../support/system.ts';
import { checkScreen, launchChromium, readableStorage, signIn, submitSignInForm, tabTo, Visitor } from './browser.ts';

const AUDIENCE = 'https://api.abc-inc.example/timesheets';
const ELLEN = { email: 'ellen@abc-inc.example', name: 'Ellen Employee' };
const MARIA = { email: 'maria@abc-inc.example', name: 'Maria Manager' };
/** Long browser steps (sign-ins, axe-core) take more than the default 30 s together. */
const STORY_TIMEOUT = 60_000;

/** The browser's local calendar day (the test runs on the same machine). */
function localToday(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

const button = (scope: Page | ReturnType<Page['locator']>, name: string) => scope.getByRole('button', { name, exact: true });
const link = (page: Page, name: string) => page.getByRole('link', { name, exact: true });
const entryRow = (page: Page, text: string) => page.locator('main').getByRole('listitem').filter({ hasText: text });
const heading = (page: Page, name: string) => page.getByRole('heading', { level: 1, name, exact: true });

export function describeWebApp(flow: 'pkce' | 'implicit'): void {
  describe(`web app [chromium] [${flow}]`, () => {
    let running: RunningSystem;
    let browser: Browser;
    let ellen: Visitor;
    let maria: Visitor;
    const { days } = weekRange(isoWeekOf(localToday()));
    const [monday, tuesday] = [days[0]!, days[1]!];
    const screen = (page: Page, name: string) => checkScreen(page, `${flow}-${name}`);

    beforeAll(async () => {
      [running, browser] = await Promise.all([startSystem('sqlite', { env: { AUTH_FLOW: flow }, keyRefreshMs: 200 }), launchChromium()]);
      ellen = await Visitor.open(browser, running.baseUrl, { fakeClock: true });
      maria = await Visitor.open(browser, running.baseUrl);
    });
    afterAll(async () => {
      await browser?.close();
      await running?.stop();
    });

    it('serves the app with a strict CSP; only /callback may be framed, by our own origin', async () => {
      const home = await fetch(`${running.baseUrl}/timesheets`);
      const csp = home.headers.get('content-security-policy') ?? '';
      for (const directive of ["script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'", "require-trusted-types-for 'script'", 'report-to csp-endpoint']) {
        expect(csp).toContain(directive);
      }
      expect(home.headers.get('reporting-endpoints')).toBe('csp-endpoint="/csp-reports"');
      expect(csp).not.toContain('unsafe');
      // Served over http here: nothing to upgrade (an https PUBLIC_URL adds upgrade-insecure-requests).
      expect(csp).not.toContain('upgrade-insecure-requests');
      expect(home.headers.get('x-content-type-options')).toBe('nosniff');
      expect(home.headers.get('cache-control')).toBe('no-store');
      expect(home.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(home.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');

      const callback = await fetch(`${running.baseUrl}/callback`);
      expect(callback.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
      expect(callback.headers.get('referrer-policy')).toBe('no-referrer');
      expect(callback.headers.get('cache-control')).toBe('no-store');
      expect(callback.headers.get('x-content-type-options')).toBe('nosniff');

      const script = /<script type="module" crossorigin src="([^"]+)"/.exec(await home.text())?.[1];
      const asset = await fetch(`${running.baseUrl}${script}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('cache-control')).toContain('immutable');

      const settings = await (await fetch(`${running.baseUrl}/app-config.json`)).json();
      expect(settings).toMatchObject({
        issuer: running.issuer,
        clientId: 'timesheets-spa',
        flow,
        apiBaseUrl: '/api',
        resource: AUDIENCE,
        resourceParameter: 'resource',
      });
    });

    it('tells a signed-out visitor what the app is, with a Log in button', async () => {
      await ellen.page.goto('/');
      await button(ellen.page, 'Log in').waitFor();
      expect(await ellen.page.locator('main').textContent()).toContain('record the hours they work');
      await screen(ellen.page, 'home-signed-out');
    });

    it('signs an employee in: greeting, navigation by scope, a clean address bar, no token in storage', async () => {
      await signIn(ellen.page, ELLEN.email, ELLEN.name, { checkSignInPage: true });
      const { page } = ellen;
      expect(page.url()).toBe(`${running.baseUrl}/`); // the code or the fragment is gone
      for (const name of ['My Timesheets', 'Profile']) await link(page, name).waitFor();
      await button(page, 'Log out').waitFor();
      expect(await link(page, 'Approve Timesheets').count()).toBe(0);
      await page.getByRole('heading', { name: 'Needs attention' }).waitFor();

      // The ID token, the access token (and the code flow's refresh token) were all seen...
      expect(ellen.tokens.size).toBeGreaterThanOrEqual(flow === 'pkce' ? 3 : 2);
      const storage = await readableStorage(page);
      // ...and none of them, nor anything JWT-shaped, is readable from storage or cookies.
      for (const token of ellen.tokens) expect(storage).not.toContain(token);
      expect(storage).not.toMatch(/eyJ[\w-]+\.eyJ/);
      // The attempt's state, nonce and verifier went with the attempt.
      expect(JSON.parse(storage)).toMatchObject({ session: [], indexedDB: [] });
      await screen(page, 'home');
    }, STORY_TIMEOUT);

    it('logs time: errors appear next to their field, nothing typed is lost, the entry is pending', async () => {
      const { page } = ellen;
      await link(page, 'My Timesheets').click();
      await heading(page, 'My Timesheets').waitFor();
      await page.getByText('Nothing logged this week yet').waitFor();
      await button(page, 'New entry').click();
      await heading(page, 'New entry').waitFor();

      await page.getByLabel('Date').fill(monday);
      await page.getByLabel('Project').selectOption('StoreZero');
      await page.getByLabel('Notes').fill('Checkout redesign');
      await button(page, 'Save').click();
      await page.getByText('Enter the hours worked').waitFor();
      expect(await page.getByLabel('Hours').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByLabel('Notes').inputValue()).toBe('Checkout redesign');
      await screen(page, 'new-entry-errors');

      await page.getByLabel('Hours').fill('7.5');
      await button(page, 'Save').click();
      await page.waitForURL('/timesheets');
      const row = entryRow(page, 'Checkout redesign');
      await row.getByText('Pending', { exact: true }).waitFor();
      expect(await row.textContent()).toContain('7.5 h');
      await button(row, 'Edit').waitFor();
      await button(row, 'Delete').waitFor();

      // The API's own rule (at most 24 hours a day) lands next to Hours too.
      await page.getByRole('button', { name: /^Add entry for Monday/ }).click();
      await page.getByLabel('Hours').fill('20');
      await page.getByLabel('Notes').fill('Marathon');
      await button(page, 'Save').click();
      await page.getByText("The day's total may not exceed 24 hours").waitFor();
      expect(await page.getByLabel('Hours').inputValue()).toBe('20');
      expect(await page.getByLabel('Notes').inputValue()).toBe('Marathon');
      // Fixed, saved, then deleted again (Delete asks first).
      await page.getByLabel('Hours').fill('1');
      await button(page, 'Save').click();
      const extra = entryRow(page, 'Marathon');
      await button(extra, 'Delete').click();
      await screen(page, 'week');
      await button(extra, 'Delete').click();
      await page.getByRole('status').filter({ hasText: 'Deleted the StoreZero entry' }).waitFor();
      expect(await extra.count()).toBe(0);

      const download = page.waitForEvent('download');
      await button(page, 'Export CSV').click();
      const csv = await readFile(await (await download).path(), 'utf8');
      expect(csv).toContain('Checkout redesign');
      expect(csv).not.toContain('Marathon');
    }, STORY_TIMEOUT);

    it('logs and deletes time with the keyboard alone', async () => {
      const { page } = ellen; // on My Timesheets, this week
      await tabTo(page, page.getByRole('button', { name: /^Add entry for Tuesday/ }));
      await page.keyboard.press('Enter');
      await heading(page, 'New entry').waitFor();
      await tabTo(page, page.getByLabel('Hours'));
      await page.keyboard.type('2');
      await tabTo(page, page.getByLabel('Project'));
      await page.keyboard.type('Internal'); // a focused list picks the option typed
      await tabTo(page, page.getByLabel('Notes'));
      await page.keyboard.type('Typed, not clicked');
      await tabTo(page, button(page, 'Save'));
      await page.keyboard.press('Enter');
      const row = entryRow(page, 'Typed, not clicked');
      await row.getByText('Pending', { exact: true }).waitFor();
      expect(await row.textContent()).toContain('Internal');
      // Delete asks first: both presses from the keyboard.
      for (let press = 0; press < 2; press++) {
        await tabTo(page, button(row, 'Delete'));
        await page.keyboard.press('Enter');
      }
      await page.getByRole('status').filter({ hasText: 'Deleted the Internal entry' }).waitFor();
      expect(await row.count()).toBe(0);
    }, STORY_TIMEOUT);

    it('keeps the session across a reload and in a new tab, without asking again', async () => {
      const { page, context } = ellen;
      await page.reload();
      await entryRow(page, 'Checkout redesign').waitFor();
      expect(page.url()).toBe(`${running.baseUrl}/timesheets`);

      const tab = await context.newPage();
      await tab.goto('/timesheets');
      await entryRow(tab, 'Checkout redesign').waitFor();
      await tab.close();
    }, STORY_TIMEOUT);

    it('renews the access token before it expires', async () => {
      const { page } = ellen;
      const before = new Set(ellen.tokens);
      // Code flow: the rotated refresh token; Implicit: prompt=none in the hidden frame.
      const renewal = page.waitForRequest((request) =>
        flow === 'pkce'
          ? request.url().endsWith('/oidc/token') && (request.postData() ?? '').includes('grant_type=refresh_token')
          : request.url().includes('/oidc/auth?') && request.url().includes('prompt=none'),
      );
      // Access tokens live 10 minutes: 5 s are left, too little for the app to use the old one, so
      // its next call waits for the renewal (the server's clock is real: the old token still works there).
      await page.clock.fastForward('09:55');
      await renewal;
      const apiCall = page.waitForResponse((response) => response.url().includes('/api/timesheets?'));
      await button(page, 'Next week').click();
      expect((await apiCall).status()).toBe(200);
      const used = /^Bearer (.+)$/.exec((await (await apiCall).request().allHeaders()).authorization ?? '')?.[1];
      expect(used && !before.has(used), 'the API call used a renewed token').toBe(true);
      await button(page, 'This week').click();
      await entryRow(page, 'Checkout redesign').waitFor();
    }, STORY_TIMEOUT);

    it('lets a manager approve; the employee then sees the entry approved, no longer editable', async () => {
      await signIn(maria.page, MARIA.email, MARIA.name);
      await link(maria.page, 'Approve Timesheets').click();
      const group = maria.page.getByRole('region', { name: /^Ellen Employee/ });
      const row = group.getByRole('listitem').filter({ hasText: 'Checkout redesign' });
      await row.waitFor();
      await screen(maria.page, 'approvals');
      await button(row, 'Approve').click();
      await maria.page.getByRole('status').filter({ hasText: 'Approved Ellen Employee' }).waitFor();
      await row.waitFor({ state: 'detached' });

      await ellen.page.reload();
      const mine = entryRow(ellen.page, 'Checkout redesign');
      await mine.getByText('Approved', { exact: true }).waitFor();
      expect(await mine.getByRole('button').count()).toBe(0);
    }, STORY_TIMEOUT);

    it('lets a manager reject with a reason; the employee edits and re-submits; Approve week clears it', async () => {
      const { page } = ellen;
      await page.getByRole('button', { name: /^Add entry for Tuesday/ }).click();
      await page.getByLabel('Date').fill(tuesday);
      await page.getByLabel('Project').selectOption('StoreZero');
      await page.getByLabel('Hours').fill('4');
      await page.getByLabel('Notes').fill('Sprint planning');
      await button(page, 'Save').click();
      await entryRow(page, 'Sprint planning').getByText('Pending', { exact: true }).waitFor();

      await maria.page.reload();
      const row = maria.page.locator('main').getByRole('listitem').filter({ hasText: 'Sprint planning' });
      await button(row, 'Reject').click();
      await button(row, 'Reject').click(); // no reason yet
      await row.getByText('Say why').waitFor();
      await row.getByLabel('Reason').fill('Planning goes on Internal');
      await screen(maria.page, 'approvals-reject');
      await button(row, 'Reject').click();
      await maria.page.getByRole('status').filter({ hasText: 'Rejected Ellen Employee' }).waitFor();

      await page.reload();
      const mine = entryRow(page, 'Sprint planning');
      await mine.getByText('Rejected', { exact: true }).waitFor();
      expect(await mine.textContent()).toContain('Planning goes on Internal');
      await button(mine, 'Edit').click();
      await heading(page, 'Edit entry').waitFor();
      await page.getByText('This entry was rejected.').waitFor();
      await screen(page, 'edit-rejected');
      await page.getByLabel('Project').selectOption('Internal');
      await button(page, 'Save').click();
      await page.getByRole('status').filter({ hasText: 'pending approval again' }).waitFor();
      await entryRow(page, 'Sprint planning').getByText('Pending', { exact: true }).waitFor();

      await maria.page.reload();
      const group = maria.page.getByRole('region', { name: /^Ellen Employee/ });
      await group.getByRole('listitem').filter({ hasText: 'Internal' }).waitFor();
      await button(group, 'Approve week').click();
      await maria.page.getByText('All caught up').waitFor();
      await screen(maria.page, 'approvals-done');
    }, STORY_TIMEOUT);

    it('shows the profile with the scopes actually granted', async () => {
      await link(ellen.page, 'Profile').click();
      const details = ellen.page.locator('dl');
      await details.getByText('read:timesheets').waitFor();
      const text = await details.textContent();
      expect(text).toContain('ellen@abc-inc.example');
      expect(text).toContain('employee');
      expect(text).not.toContain('approve:timesheets');
      await screen(ellen.page, 'profile');

      await link(maria.page, 'Profile').click();
      await maria.page.locator('dl').getByText('approve:timesheets').waitFor();
    }, STORY_TIMEOUT);

    it('explains a cancelled or forged sign-in and offers to try again', async () => {
      const stranger = await Visitor.open(browser, running.baseUrl);
      const { page } = stranger;
      try {
        await page.goto('/timesheets');
        await heading(page, 'Log in to continue').waitFor();
        await screen(page, 'sign-in-required');
        await button(page, 'Log in').click();
        await page.waitForURL(/\/oidc\/interaction\//);
        await link(page, 'Cancel').click();
        await page.getByText('Sign-in was cancelled or refused.').waitFor();
        expect(page.url()).toBe(`${running.baseUrl}/callback`);
        await screen(page, 'sign-in-cancelled');

        // A response this tab never asked for (state unknown) is refused before anything is used.
        const forged = flow === 'pkce' ? '?code=forged&state=forged' : '#access_token=x&id_token=y&token_type=Bearer&state=forged';
        await page.goto('about:blank'); // from /callback, a new fragment alone would not load the page
        await page.goto(`${running.baseUrl}/callback${forged}`);
        await page.getByText('does not belong to a sign-in started in this tab').waitFor();
        expect(page.url()).toBe(`${running.baseUrl}/callback`);
        await button(page, 'Try again').click();
        await page.getByLabel('Password').waitFor();
      } finally {
        await stranger.close();
      }
    }, STORY_TIMEOUT);

    it('logs out at the provider; signing in again asks for the password', async () => {
      const { page } = ellen;
      await button(page, 'Log out').click();
      await button(page, 'Sign out').waitFor(); // the provider's confirmation, our page
      await screen(page, 'sign-out');
      expect(await readableStorage(page)).toContain('last-project'); // what the entry form remembered
      const landing = page.waitForResponse((response) => new URL(response.url()).pathname === '/' && response.request().isNavigationRequest());
      await button(page, 'Sign out').click();
      // The home page the provider returns to clears what the app kept in this browser.
      expect((await (await landing).allHeaders())['clear-site-data']).toBe('"cache", "storage"');
      await page.waitForURL(`${running.baseUrl}/`);
      await button(page, 'Log in').waitFor();
      expect(await button(page, 'Log out').count()).toBe(0);
      expect(JSON.parse(await readableStorage(page))).toMatchObject({ local: [], session: [] });

      await button(page, 'Log in').click();
      await page.getByLabel('Password').waitFor();
      await submitSignInForm(page, ELLEN.email);
      await page.getByRole('heading', { level: 1, name: /, Ellen Employee$/ }).waitFor();
    }, STORY_TIMEOUT);

    it('after the signing keys are revoked: renews on the API’s 401 without a sign-in, and still logs out', async () => {
      // Browsers of their own whose clocks have not been moved: each app believes its token is good.
      const [renewing, leaving] = await Promise.all([
        Visitor.open(browser, running.baseUrl, { fakeClock: true }),
        Visitor.open(browser, running.baseUrl, { fakeClock: true }),
      ]);
      try {
        await signIn(renewing.page, ELLEN.email, ELLEN.name);
        await signIn(leaving.page, MARIA.email, MARIA.name);
        const used = renewing.bearerRequests.at(-1)!.token;
        await revokeSigningKeys(running.system.database.stores);
        const me = () => apiClient(running.baseUrl, used)('GET', '/api/me');
        await vi.waitFor(async () => expect((await me()).status).toBe(401), { timeout: 5000, interval: 100 });

        const { page } = renewing;
        const refused = page.waitForResponse((response) => response.url().includes('/api/timesheets?') && response.status() === 401);
        const answered = page.waitForResponse((response) => response.url().includes('/api/timesheets?') && response.status() === 200);
        await link(page, 'My Timesheets').click();
        expect(/^Bearer (.+)$/.exec((await (await refused).request().allHeaders()).authorization ?? '')?.[1]).toBe(used);
        const retried = /^Bearer (.+)$/.exec((await (await answered).request().allHeaders()).authorization ?? '')?.[1];
        expect(retried && retried !== used, 'the retry used a renewed token').toBe(true);
        await entryRow(page, 'Checkout redesign').waitFor();
        expect(new URL(page.url()).pathname).toBe('/timesheets');

        // Maria's app still holds an ID token signed by a withdrawn key: logging out asks her to confirm.
        await button(leaving.page, 'Log out').click();
        await button(leaving.page, 'Sign out').click();
        await leaving.page.waitForURL(`${running.baseUrl}/`);
        await button(leaving.page, 'Log in').click();
        await leaving.page.getByLabel('Password').waitFor(); // her provider session really ended
        for (const visitor of [renewing, leaving]) expect(visitor.cspViolations).toEqual([]);
      } finally {
        await Promise.all([renewing.close(), leaving.close()]);
      }
    }, STORY_TIMEOUT);

    /**
     * Ellen is disabled: the provider refuses the app's next renewal and her session ends.
     * `meanwhile` runs before she is enabled again.
     */
    async function endEllensSession(page: Page, meanwhile = async () => {}): Promise<void> {
      const users = running.system.database.stores.users;
      await users.setDisabled(ELLEN.email, true);
      try {
        await page.clock.fastForward('11:00');
        await heading(page, 'Your session has ended').waitFor();
        await meanwhile();
      } finally {
        await users.setDisabled(ELLEN.email, false);
      }
    }

    it('keeps what was typed when the session ends before Save, for after signing in again', async () => {
      const { page } = ellen; // signed in again by the logout story
      await link(page, 'My Timesheets').click();
      await button(page, 'New entry').click();
      await heading(page, 'New entry').waitFor();
      await page.getByLabel('Project').selectOption('Internal');
      await page.getByLabel('Hours').fill('3');
      await page.getByLabel('Notes').fill('Typed before the session ended');
      await endEllensSession(page);
      await button(page, 'Log in').click(); // her provider session is still there: straight back
      await heading(page, 'New entry').waitFor();
      await page.getByText('What you typed before signing in again is back').waitFor();
      expect(await page.getByLabel('Notes').inputValue()).toBe('Typed before the session ended');
      expect(await page.getByLabel('Hours').inputValue()).toBe('3');
      expect(await page.getByLabel('Project').inputValue()).toBe('Internal');
      await button(page, 'Save').click();
      await entryRow(page, 'Typed before the session ended').getByText('Pending', { exact: true }).waitFor();
      expect(JSON.parse(await readableStorage(page))).toMatchObject({ session: [] });
    }, STORY_TIMEOUT);

    it('never shows a kept draft to someone else who signs in in the same tab', async () => {
      const { page } = ellen;
      await button(page, 'New entry').click();
      await heading(page, 'New entry').waitFor();
      await page.getByLabel('Notes').fill('Ellen’s unsaved notes');
      await endEllensSession(page, async () => {
        expect(await readableStorage(page)).toContain('Ellen’s unsaved notes');
        // Her provider session no longer counts: the sign-in page asks, and Maria signs in in this tab.
        await button(page, 'Log in').click();
        await page.waitForURL(/\/oidc\/interaction\//);
        await submitSignInForm(page, MARIA.email);
        await heading(page, 'New entry').waitFor(); // back where the session ended
      });
      expect(await page.getByLabel('Notes').inputValue()).toBe('');
      expect(await page.getByText('What you typed before signing in again is back').count()).toBe(0);
      expect(await readableStorage(page)).not.toContain('Ellen’s unsaved notes');
      await page.goto('/');
      await page.getByRole('heading', { level: 1, name: new RegExp(`, ${MARIA.name}$`) }).waitFor();
    }, STORY_TIMEOUT);

    it('loaded nothing from another origin and broke no Content Security Policy rule', () => {
      for (const visitor of [ellen, maria]) {
        expect(visitor.foreignRequests).toEqual([]);
        expect(visitor.cspViolations).toEqual([]);
      }
    });
  });
}
