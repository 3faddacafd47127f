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
    await server?.stop();
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

describe('timesheets serve --parts (any subset, one process each) [sqlite]', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(async () => database?.drop());

  /** The status of each path on a server running only `parts`. */
  async function statuses(parts: string, paths: readonly string[]): Promise<number[]> {
    const server = await spawnServerProcess({ entry: COMPILED, databaseUrl: database.url, args: ['--parts', parts] });
    try {
      return await Promise.all(paths.map(async (path) => (await fetch(`${server.baseUrl}${path}`)).status));
    } finally {
      await server.stop();
    }
  }

  it('serves only the parts it is given', async () => {
    const paths = ['/oidc/.well-known/openid-configuration', '/timesheets', '/api/openapi.json'];
    expect(await statuses('idp,web', paths)).toEqual([200, 200, 404]);
    expect(await statuses('web', paths)).toEqual([404, 200, 404]);
    expect(await statuses('idp', paths)).toEqual([200, 404, 404]);
  });

  it('refuses an unknown part with exit code 2', async () => {
    await expect(spawnServerProcess({ entry: COMPILED, databaseUrl: database.url, args: ['--parts', 'idp,nope'] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/exited \(code 2\)/) },
    });
  });
});
