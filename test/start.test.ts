// The server as `npm start` runs it: compiled to JavaScript in dist/server (`npm test` builds it
// first), serving the web app, the sign-in pages' theme, the provider and the API.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiClient, userToken } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { spawnServerProcess, type ServerProcess } from './support/server-process.ts';

const COMPILED = 'dist/server/cli/main.js';

describe('the compiled server (npm start) [sqlite]', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let baseUrl: string;

  beforeAll(async () => {
    expect(existsSync(COMPILED), `${COMPILED} is built by npm run build`).toBe(true);
    database = await createTestDatabase('sqlite');
    server = await spawnServerProcess({ entry: COMPILED, databaseUrl: database.url });
    ({ baseUrl } = server);
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    await database?.drop();
  });

  it('serves the web app, the theme, the provider and the API with real tokens', async () => {
    const page = await fetch(`${baseUrl}/timesheets`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module"');
    const theme = await fetch(`${baseUrl}/theme.css`);
    expect(theme.status).toBe(200);
    expect(theme.headers.get('content-type')).toBe('text/css; charset=utf-8');

    const carl = apiClient(baseUrl, await userToken(server, 'carl@abc-inc.example'));
    const created = await carl('POST', '/api/timesheets', { date: '2026-05-04', project: 'Internal', hours: 2.5 });
    expect(created.status).toBe(201);
    const week = await carl('GET', '/api/timesheets?from=2026-05-04&to=2026-05-10');
    expect(week.body.items.map((entry: { id: string }) => entry.id)).toEqual([created.body.id]);
  });
});
