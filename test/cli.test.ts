// The admin CLI as an operator runs it: a separate process on the same database as a running system.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from './support/cli.ts';
import { ENGINES } from './support/databases.ts';
import { apiClient } from './support/api.ts';
import { json } from './support/http.ts';
import { client, discover, signInWithCode } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';
import { SignInPageError } from './support/user-agent.ts';

describe.each(ENGINES)('admin CLI [%s]', (engine) => {
  let running: RunningSystem;
  let env: Record<string, string>;
  const cli = (args: string[], stdin?: string) => runCli(args, env, stdin);

  beforeAll(async () => {
    running = await startSystem(engine, { keyRefreshMs: 100 });
    env = { DATABASE_URL: running.database.url, PUBLIC_URL: running.baseUrl, KEY_ROTATION_DELAY: '0' };
  });
  afterAll(async () => running?.stop());

  it('adds a user with a generated password who can then sign in', async () => {
    const added = await cli(['user', 'add', '--email', 'Zoe@ABC-inc.example', '--name', 'Zoe Zed', '--role', 'manager', '--json']);
    expect(added.code).toBe(0);
    const user = JSON.parse(added.stdout);
    expect(user).toMatchObject({ email: 'Zoe@ABC-inc.example', name: 'Zoe Zed', kind: 'employee', roles: ['manager'] });
    expect(user.password).toMatch(/^[\w-]{20}$/);
    // Emails are unique case-insensitively.
    const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'zoe@abc-inc.example', password: user.password });
    expect(tokens.claims()?.sub).toBe(user.id);
  });

  it('takes a password on standard input and never prints it', async () => {
    const added = await cli(
      ['user', 'add', '--email', 'yan@abc-inc.example', '--name', 'Yan', '--role', 'employee', '--kind', 'contractor', '--password-stdin'],
      'a-long-enough-password\n',
    );
    expect(added.code).toBe(0);
    expect(added.stdout).not.toContain('a-long-enough-password');
    await signInWithCode(running.issuer, running.baseUrl, { email: 'yan@abc-inc.example', password: 'a-long-enough-password' });
  });

  it('refuses bad arguments clearly, writing nothing', async () => {
    const badRole = await cli(['user', 'add', '--email', 'x@abc-inc.example', '--name', 'X', '--role', 'boss']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toMatch(/unknown role boss/);
    const badEmail = await cli(['user', 'add', '--email', 'not-an-email', '--name', 'X', '--role', 'employee']);
    expect(badEmail.code).toBe(2);
    const unknownOption = await cli(['user', 'list', '--colour']);
    expect(unknownOption.code).toBe(2);
    const duplicate = await cli(['user', 'add', '--email', 'ELLEN@abc-inc.example', '--name', 'E', '--role', 'employee']);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
    const unknownCommand = await cli(['frobnicate']);
    expect(unknownCommand.code).toBe(2);
    const list = JSON.parse((await cli(['user', 'list', '--json'])).stdout);
    expect(list.map((u: { email: string }) => u.email)).not.toContain('x@abc-inc.example');
    expect(list.filter((u: { email: string }) => u.email.toLowerCase() === 'ellen@abc-inc.example')).toHaveLength(1);
  });

  it('changes roles and disables users', async () => {
    expect((await cli(['user', 'set-role', '--email', 'carl@abc-inc.example', '--role', 'employee', '--role', 'manager'])).code).toBe(0);
    const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'carl@abc-inc.example' });
    expect(tokens.scope?.split(' ')).toContain('approve:timesheets');
    expect((await cli(['user', 'set-role', '--email', 'nobody@abc-inc.example', '--role', 'employee'])).code).toBe(1);

    expect((await cli(['user', 'disable', '--email', 'yan@abc-inc.example'])).code).toBe(0);
    await expect(
      signInWithCode(running.issuer, running.baseUrl, { email: 'yan@abc-inc.example', password: 'a-long-enough-password' }),
    ).rejects.toBeInstanceOf(SignInPageError);
    const list = JSON.parse((await cli(['user', 'list', '--json'])).stdout);
    expect(list.find((u: { email: string }) => u.email === 'yan@abc-inc.example').disabled).toBe(true);
  });

  it('adds a machine client whose secret works once printed, and rotates it', async () => {
    const added = await cli(['client', 'add', '--name', 'Payroll export', '--m2m', '--scopes', 'batch:upload', '--json']);
    expect(added.code).toBe(0);
    const { client_id: clientId, client_secret: secret } = JSON.parse(added.stdout);
    const config = await discover(running.issuer, clientId, secret);
    expect((await client.clientCredentialsGrant(config, { scope: 'batch:upload' })).scope).toBe('batch:upload');

    const rotated = JSON.parse((await cli(['client', 'rotate-secret', '--client-id', clientId, '--json'])).stdout);
    expect(rotated.client_secret).not.toBe(secret);
    await expect(client.clientCredentialsGrant(config, { scope: 'batch:upload' })).rejects.toMatchObject({ status: 401 });
    const fresh = await discover(running.issuer, clientId, rotated.client_secret);
    await client.clientCredentialsGrant(fresh, { scope: 'batch:upload' });

    const listed = JSON.parse((await cli(['client', 'list', '--json'])).stdout);
    expect(listed.map((c: { client_id: string }) => c.client_id)).toEqual(
      expect.arrayContaining(['timesheets-spa', 'timesheets-import-job', 'timesheets-mobile', clientId]),
    );
    expect(JSON.stringify(listed)).not.toContain('sha256:');
    expect((await cli(['client', 'add', '--name', 'X', '--m2m', '--scopes', 'root'])).code).not.toBe(0);
    expect((await cli(['client', 'rotate-secret', '--client-id', 'timesheets-spa'])).code).toBe(1);
  });

  it('adds and lists projects, refusing duplicates', async () => {
    expect((await cli(['project', 'add', 'Payroll 2027'])).code).toBe(0);
    expect((await cli(['project', 'add', 'payroll 2027'])).code).toBe(1);
    const projects = JSON.parse((await cli(['project', 'list', '--json'])).stdout);
    expect(projects.map((p: { name: string }) => p.name)).toEqual(['Internal', 'Payroll 2027', 'StoreZero', 'Website Relaunch']);
  });

  it('rotates the signing key and the running system picks it up without a restart', async () => {
    const rotated = JSON.parse((await cli(['keys', 'rotate', '--json'])).stdout);
    await vi.waitFor(async () => expect((await json(await fetch(`${running.issuer}/jwks`))).keys[0]?.kid).toBe(rotated.kid), {
      timeout: 5000,
      interval: 100,
      message: 'the new key was not picked up',
    });
    const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'maria@abc-inc.example' });
    expect(decodeProtectedHeader(tokens.access_token).kid).toBe(rotated.kid);
  });

  it('revokes the previous keys after a leak: their tokens are refused at once, a renewal is not', async () => {
    const before = await signInWithCode(running.issuer, running.baseUrl, { email: 'maria@abc-inc.example' });
    const me = (token: string) => apiClient(running.baseUrl, token)('GET', '/api/me');
    expect((await me(before.tokens.access_token)).status).toBe(200); // verified, and remembered as verified

    const revoked = await cli(['keys', 'rotate', '--revoke-previous', '--json']);
    expect(revoked.code).toBe(0);
    const { kid } = JSON.parse(revoked.stdout);
    const published = async () => (await json(await fetch(`${running.issuer}/jwks`))).keys.map((k: { kid: string }) => k.kid);
    await vi.waitFor(async () => expect(await published()).toEqual([kid]), { timeout: 5000, interval: 100 });
    await vi.waitFor(async () => expect((await me(before.tokens.access_token)).status).toBe(401), {
      timeout: 5000,
      interval: 100,
      message: 'a token signed by a revoked key was still accepted',
    });

    const renewed = await client.refreshTokenGrant(before.config, before.tokens.refresh_token!);
    expect(decodeProtectedHeader(renewed.access_token).kid).toBe(kid);
    expect((await me(renewed.access_token)).status).toBe(200);
  });

  it('explains every command with --help', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const verb of ['user add', 'user list', 'user set-role', 'user disable', 'client add', 'client list', 'client rotate-secret', 'project add', 'project list', 'keys rotate']) {
      expect(help.stdout).toContain(verb);
    }
    const commandHelp = await cli(['user', 'add', '--help']);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toContain('--password-stdin');
  });
});
