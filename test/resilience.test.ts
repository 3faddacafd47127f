// The system under failure: the database going away and coming back, and a graceful shutdown
// under write load in a real server process.
import { request as httpRequest } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../src/storage/index.ts';
import { apiClient, importJobTokenRequest, userToken } from './support/api.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { authorizeUrl } from './support/oidc.ts';
import { spawnServerProcess, type ServerProcess } from './support/server-process.ts';
import { startSystem, type RunningSystem } from './support/system.ts';
import { UserAgent } from './support/user-agent.ts';

/** A TCP hop in front of PostgreSQL that the test can cut and restore, as a network failure would. */
function tcpProxy(targetPort: number) {
  let server: Server | undefined;
  const sockets = new Set<Socket>();
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = connect(targetPort, '127.0.0.1');
        for (const socket of [inbound, outbound]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => socket.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.listen(port, '127.0.0.1', () => {
        const address = server!.address();
        port = typeof address === 'object' && address ? address.port : 0;
        resolve();
      });
    });
  return {
    listen,
    get port() {
      return port;
    },
    async cut() {
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe('database outage at run time [postgres]', () => {
  let running: RunningSystem;
  let database: TestDatabase;
  const proxy = tcpProxy(5432);
  const logs: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    await proxy.listen();
    const proxied = new URL(database.url);
    proxied.port = String(proxy.port);
    running = await startSystem('postgres', { database: { url: proxied.href, drop: database.drop }, logStream: { write: (line) => void logs.push(line) } });
  });
  afterAll(async () => running?.stop());

  it('fails closed with 503 while the database is away, and resumes by itself', async () => {
    const token = await userToken(running, 'ellen@abc-inc.example');
    const ellen = apiClient(running.baseUrl, token);
    expect((await ellen('POST', '/api/timesheets', { date: '2026-01-05', project: 'Internal', hours: 2 })).status).toBe(201);

    // A sign-in under way: its page was shown before the database went away.
    const browser = new UserAgent();
    const signInStart = authorizeUrl(running.issuer, { redirect_uri: `${running.baseUrl}/callback` });
    const started = await browser.request(signInStart);
    const signInPage = new URL(started.headers.get('location')!, running.issuer).href;
    expect((await browser.request(signInPage)).status).toBe(200);

    await proxy.cut();
    const list = await ellen('GET', '/api/timesheets');
    expect(list.status).toBe(503);
    expect(list.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(list.body.items).toBeUndefined();
    expect((await ellen('POST', '/api/timesheets', { date: '2026-01-06', project: 'Internal', hours: 2 })).status).toBe(503);
    // Authentication still comes first: no bypass while the database is down.
    expect((await apiClient(running.baseUrl, 'forged')('GET', '/api/timesheets')).status).toBe(401);
    expect((await fetch(`${running.baseUrl}/readyz`)).status).toBe(503);
    expect((await fetch(`${running.baseUrl}/healthz`)).status).toBe(200);
    // The provider answers too, at once (a machine's token request, a browser's sign-in), and each
    // request is one error line in the log, with its cause.
    const unavailableLines = () =>
      logs.filter((line) => {
        const record = JSON.parse(line) as { level: number; msg: string; err?: unknown };
        return record.msg === 'database unavailable' && record.level === 50 && record.err;
      }).length;
    const loggedOnce = async <T>(request: () => Promise<T>): Promise<T> => {
      const before = unavailableLines();
      const answer = await request();
      expect(unavailableLines() - before).toBe(1);
      return answer;
    };
    const tokenRequest = () => importJobTokenRequest(running.issuer);
    const refusedToken = await loggedOnce(tokenRequest);
    expect(refusedToken.status).toBe(503);
    expect(await refusedToken.json()).toMatchObject({ error: 'temporarily_unavailable' });
    const signIn = await loggedOnce(() => fetch(signInStart, { signal: AbortSignal.timeout(10_000) }));
    expect(signIn.status).toBe(503);
    expect(await signIn.text()).toContain('temporarily unavailable');
    const pageNow = await loggedOnce(() => browser.request(signInPage));
    expect(pageNow.status).toBe(503);
    expect(await pageNow.text()).toContain('Sign-in is unavailable');

    await proxy.listen();
    await vi.waitFor(async () => expect((await ellen('GET', '/api/timesheets')).status).toBe(200), {
      timeout: 10_000,
      interval: 100,
      message: 'did not recover in time',
    });
    expect((await ellen('GET', '/api/timesheets')).body.items).toHaveLength(1);
    expect((await fetch(`${running.baseUrl}/readyz`)).status).toBe(200);
    expect((await tokenRequest()).status).toBe(200);
  });
});

/**
 * A real server process (`timesheets serve`) on a SQLite file with eight writers creating entries;
 * `interrupt` ends it somehow; afterwards every write that got a 201 must be in the database.
 */
async function writesSurvive(interrupt: (server: ServerProcess) => Promise<void>): Promise<number> {
  const database = await createTestDatabase('sqlite');
  let server: ServerProcess | undefined;
  try {
    server = await spawnServerProcess({ entry: 'src/cli/main.ts', databaseUrl: database.url });
    const carl = apiClient(server.baseUrl, await userToken(server, 'carl@abc-inc.example'));
    const acknowledged: string[] = [];
    let sent = 0;
    let stop = false;
    const writer = async (worker: number) => {
      while (!stop) {
        const day = String((sent++ % 28) + 1).padStart(2, '0');
        const entry = { date: `2025-0${(worker % 9) + 1}-${day}`, project: 'Internal', hours: 0.01 };
        const response = await carl('POST', '/api/timesheets', entry).catch(() => undefined);
        if (response?.status === 201) acknowledged.push(response.body.id);
        else if (!response || response.status === 503) stop = true;
      }
    };
    const writers = Array.from({ length: 8 }, (_, i) => writer(i));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await interrupt(server);
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(10);
    const reopened = await openDatabase(database.url);
    try {
      const stored = await reopened.db.selectFrom('entries').select('id').where('id', 'in', acknowledged).execute();
      expect(stored).toHaveLength(acknowledged.length);
    } finally {
      await reopened.close();
    }
    return acknowledged.length;
  } finally {
    await server?.stop('SIGKILL');
    await database.drop();
  }
}

/**
 * A POST the server has surely begun (it answered the headers' `Expect: 100-continue`) whose whole
 * body is still to come; `finish` sends it and resolves with the status.
 */
async function halfSentWrite(server: ServerProcess): Promise<{ finish(): Promise<number | 'no answer'> }> {
  const token = await userToken(server, 'carl@abc-inc.example');
  const body = JSON.stringify({ date: '2025-12-01', project: 'Internal', hours: 1 });
  const request = httpRequest(`${server.baseUrl}/api/timesheets`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      expect: '100-continue',
    },
  });
  const answered = new Promise<number | 'no answer'>((resolve) => {
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 'no answer');
    });
    request.on('error', () => resolve('no answer'));
  });
  request.flushHeaders();
  // An early answer instead of 100 (a refused token) goes on too: finish() then reports its status.
  await Promise.race([new Promise((resolve) => request.once('continue', resolve)), answered]);
  return {
    async finish() {
      request.end(body);
      return answered;
    },
  };
}

describe('shutdown and crash under write load [sqlite]', () => {
  it('stops readiness at once on SIGTERM, finishes in-flight requests, exits 0 and loses no acknowledged write', async () => {
    await writesSurvive(async (server) => {
      // One request surely in flight: its headers are in, its body still to come.
      const slow = await halfSentWrite(server);
      server.child.kill('SIGTERM');
      // Readiness turns false as soon as the signal is handled (503, then no listener at all).
      await vi.waitFor(
        async () => expect(await fetch(`${server.baseUrl}/readyz`).then((r) => r.status, () => 'refused')).not.toBe(200),
        { timeout: 3000, interval: 100, message: 'readiness stayed on after SIGTERM' },
      );
      expect(await slow.finish()).toBe(201);
      expect(await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 10_000, 'timeout'))])).toBe(0);
    });
  });

  it('keeps every acknowledged write through a kill -9', async () => {
    await writesSurvive(async (server) => {
      await server.stop('SIGKILL');
    });
  });
});
