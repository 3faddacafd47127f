// External provider mode: OIDC_ISSUER points at another provider (here a separately started one
// that shapes tokens as the hosted vendor does), the embedded provider is off, and the API and the
// web app's settings follow the documented switches.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient } from './support/api.ts';
import { runCli } from './support/cli.ts';
import { ENGINES } from './support/databases.ts';
import { client, discover, signInWithCode } from './support/oidc.ts';
import type { RunningSystem } from './support/system.ts';
import { startWithVendor, VENDOR_AUDIENCE as AUDIENCE, type VendorSetup } from './support/vendor.ts';

describe.each(ENGINES)('with an external provider [%s]', (engine) => {
  let setup: VendorSetup;
  let vendorIssuer: string;
  let running: RunningSystem;

  beforeAll(async () => {
    setup = await startWithVendor(engine);
    ({ vendorIssuer, running } = setup);
  });
  afterAll(async () => setup?.stop());

  /** The vendor signs the person named by login_hint in by itself: no sign-in page. */
  async function userToken(email: string): Promise<{ access: string; id: string }> {
    const { tokens } = await signInWithCode(vendorIssuer, running.baseUrl, {
      email,
      clientId: 'vendor-spa',
      scope: 'openid email read:timesheets create:timesheets delete:timesheets approve:timesheets',
      extra: { audience: AUDIENCE, login_hint: email },
    });
    return { access: tokens.access_token, id: tokens.id_token! };
  }

  it('turns the embedded provider off and tells the web app about the external one', async () => {
    expect((await fetch(`${running.baseUrl}/oidc/.well-known/openid-configuration`)).status).toBe(404);
    expect(running.config.oidcIssuer).toBe(vendorIssuer);
    expect(running.system.identity).toBeUndefined();
    const settings = await (await fetch(`${running.baseUrl}/app-config.json`)).json();
    expect(settings).toMatchObject({ issuer: vendorIssuer, clientId: 'vendor-spa', resource: AUDIENCE, resourceParameter: 'audience' });
  });

  it("accepts the vendor's user tokens: aud array, no typ, permissions, trailing-slash issuer", async () => {
    const { access, id } = await userToken('maria@abc-inc.example');
    expect(decodeProtectedHeader(access).typ).toBeUndefined();
    expect(decodeJwt(access)).toMatchObject({ iss: vendorIssuer, aud: [AUDIENCE, `${vendorIssuer}userinfo`] });
    const maria = apiClient(running.baseUrl, access);
    const me = await maria('GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ sub: 'auth0|maria@abc-inc.example', email: 'maria@abc-inc.example' });
    expect(me.body.scopes).toContain('approve:timesheets');
    expect((await maria('GET', '/api/approvals')).status).toBe(200);
    // The vendor's ID token is not an access token for the API.
    expect((await apiClient(running.baseUrl, id)('GET', '/api/me')).status).toBe(401);
  });

  it('applies the permissions claim: an employee gets no approvals, and entries are theirs', async () => {
    const ellen = apiClient(running.baseUrl, (await userToken('ellen@abc-inc.example')).access);
    expect((await ellen('GET', '/api/approvals')).status).toBe(403);
    const created = await ellen('POST', '/api/timesheets', { date: '2026-11-02', project: 'StoreZero', hours: 3 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ user_id: 'auth0|ellen@abc-inc.example', user_email: 'ellen@abc-inc.example' });
    // A manager finds them by that id, although it holds an @, as well as by email.
    const maria = apiClient(running.baseUrl, (await userToken('maria@abc-inc.example')).access);
    for (const user of ['auth0|ellen@abc-inc.example', 'Ellen@abc-inc.example']) {
      const pending = await maria('GET', `/api/approvals?user=${encodeURIComponent(user)}`);
      expect(pending.body.items.map((e: { id: string }) => e.id)).toContain(created.body.id);
    }
  });

  it("lets the vendor's machine client upload for people the API has seen", async () => {
    const config = await discover(vendorIssuer, 'vendor-m2m', 'vendor-m2m-secret-vendor-m2m-secret');
    const { access_token: token } = await client.clientCredentialsGrant(config, { scope: 'batch:upload', audience: AUDIENCE });
    expect(decodeJwt(token)).toMatchObject({ sub: 'vendor-m2m@clients', gty: 'client-credentials', permissions: ['batch:upload'] });
    const importJob = apiClient(running.baseUrl, token);
    expect((await importJob('GET', '/api/me')).status).toBe(403);
    const upload = await importJob('POST', '/api/timesheets/upload', {
      entries: [
        { external_id: 'v-1', email: 'ellen@abc-inc.example', date: '2026-11-03', project: 'Internal', hours: 2 },
        { external_id: 'v-2', email: 'stranger@abc-inc.example', date: '2026-11-03', project: 'Internal', hours: 2 },
      ],
    });
    expect(upload.status).toBe(200);
    expect(upload.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'error']);
  });

  it('runs the import job (timesheets import) against the vendor: it names the API as audience', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vendor-import-'));
    try {
      const file = path.join(dir, 'hours.csv');
      writeFileSync(file, 'external_id,email,date,project,hours\nvi-1,ellen@abc-inc.example,2026-11-04,Internal,1.5\n');
      const env = {
        OIDC_ISSUER: vendorIssuer,
        API_URL: `${running.baseUrl}/api`,
        IMPORT_CLIENT_ID: 'vendor-m2m',
        IMPORT_CLIENT_SECRET: 'vendor-m2m-secret-vendor-m2m-secret',
        API_AUDIENCE: AUDIENCE,
      };
      const imported = await runCli(['import', file, '--json'], { ...env, AUTH_RESOURCE_PARAMETER: 'audience' });
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ created: 1, errors: 0 });
      // Without the audience the vendor refuses a machine token: a configuration error (exit 2).
      const refused = await runCli(['import', file, '--json'], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/refused the token request.*audience/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
