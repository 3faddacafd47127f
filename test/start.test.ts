// The server as `npm start` runs it: compiled to JavaScript in dist/server (`npm test` builds it
// first), serving the web app, the sign-in pages' theme, the provider and the API.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../src/cli/serve.ts';
import { apiClient, userToken } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { freePort, type RunningSystem } from './support/system.ts';

const COMPILED = 'dist/server/cli/main.js';

describe('the compiled server (npm start) [sqlite]', () => {
  let database: TestDatabase;
  let stop: () => Promise<void>;
  let baseUrl: string;

  beforeAll(async () => {
    expect(existsSync(COMPILED), `${COMPILED} is built by npm run build`).toBe(true);
    database = await createTestDatabase('sqlite');
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const env = { PATH: process.env.PATH ?? '', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, DATABASE_URL: database.url, LOG_LEVEL: 'silent', NODE_ENV: 'test' };
    const server = spawn(process.execPath, [...SERVER_NODE_FLAGS, COMPILED, 'serve'], { env, stdio: 'ignore' });
    const exited = new Promise((resolve) => server.once('exit', resolve));
    stop = async () => {
      server.kill('SIGTERM');
      await exited;
    };
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${baseUrl}/readyz`).then((r) => r.status, () => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error('the compiled server did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    await stop?.();
    await database?.drop();
  });

  it('serves the web app, the theme, the provider and the API with real tokens', async () => {
    const page = await fetch(`${baseUrl}/timesheets`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module"');
    const theme = await fetch(`${baseUrl}/theme.css`);
    expect(theme.status).toBe(200);
    expect(theme.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const carl = apiClient(baseUrl, await userToken({ issuer: `${baseUrl}/oidc`, baseUrl } as RunningSystem, 'carl@abc-inc.example'));
    const created = await carl('POST', '/api/timesheets', { date: '2026-05-04', project: 'Internal', hours: 2.5 });
    expect(created.status).toBe(201);
    const week = await carl('GET', '/api/timesheets?from=2026-05-04&to=2026-05-10');
    expect(week.body.items.map((entry: { id: string }) => entry.id)).toEqual([created.body.id]);
  });
});
