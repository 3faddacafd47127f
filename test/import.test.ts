// The import job as cron runs it: `timesheets import FILE` in its own process, a real Client
// Credentials token from the running provider, real batches to the running API, on both engines.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../src/storage/index.ts';
import { apiClient, userToken } from './support/api.ts';
import { runCli, type CliRun } from './support/cli.ts';
import { ENGINES } from './support/databases.ts';
import { freePort, startSystem, type RunningSystem } from './support/system.ts';

interface Summary {
  rows: number;
  valid: number;
  created: number;
  duplicates: number;
  errors: number;
  failures: { line: number; external_id: string | null; errors: { field: string; message: string }[] }[];
  rows_per_second: number;
  seconds: number;
}

const USERS = ['ellen@abc-inc.example', 'carl@abc-inc.example'];
const PROJECTS = ['StoreZero', 'Website Relaunch', 'Internal'];
const HEADER = 'external_id,email,date,project,hours,notes';

function addDays(start: string, days: number): string {
  return new Date(Date.parse(`${start}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** `count` valid rows of 0.25 hours, over two people and ~count/2 dates from `start`: never near 24 hours a day. */
function bigCsv(prefix: string, count: number, start: string): string {
  const lines = [HEADER];
  for (let i = 0; i < count; i++) {
    const notes = i % 10 === 0 ? `"sprint ${i}, ""pairing"""` : i % 10 === 1 ? '' : `task ${i}`;
    lines.push(`${prefix}-${i},${USERS[i % 2]},${addDays(start, Math.floor(i / 2) % 2000)},${PROJECTS[i % 3]},0.25,${notes}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

describe.each(ENGINES)('the import job [%s]', (engine) => {
  let running: RunningSystem;
  let port: number;
  let dir: string;
  let db: Database;

  beforeAll(async () => {
    running = await startSystem(engine);
    port = Number(new URL(running.baseUrl).port);
    dir = mkdtempSync(path.join(tmpdir(), 'timesheets-import-'));
    db = await openDatabase(running.database.url, { poolSize: 1 });
  });
  afterAll(async () => {
    await db?.close();
    await running?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const file = (name: string, text: string) => {
    const target = path.join(dir, name);
    writeFileSync(target, text);
    return target;
  };

  const start = (args: string[], options: { env?: Record<string, string>; stdin?: string } = {}) =>
    runCli(
      ['import', ...args],
      {
        PUBLIC_URL: running.baseUrl,
        API_URL: `${running.baseUrl}/api`,
        OIDC_ISSUER: running.issuer,
        IMPORT_CLIENT_SECRET: 'demo-import-secret',
        ...options.env,
      },
      options.stdin,
    );
  const summaryOf = (run: CliRun): Summary => {
    try {
      return JSON.parse(run.stdout) as Summary;
    } catch {
      throw new Error(`not a JSON summary (exit ${run.code}): ${run.stdout}\n${run.stderr}`);
    }
  };

  /** Entries imported with this external_id prefix: how many, and how many distinct ids. */
  async function imported(prefix: string): Promise<{ rows: number; ids: number }> {
    const row = await db.db
      .selectFrom('entries')
      .select([sql<number>`count(*)`.as('rows'), sql<number>`count(distinct external_id)`.as('ids')])
      .where('source_client_id', '=', 'timesheets-import-job')
      .where('external_id', 'like', `${prefix}-%`)
      .executeTakeFirstOrThrow();
    return { rows: Number(row.rows), ids: Number(row.ids) };
  }

  it('imports a 10,000-row file completely, and a second run creates nothing', async () => {
    const csv = file('big.csv', bigCsv('big', 10_000, '2020-01-01'));
    const first = await start([csv, '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = summaryOf(first);
    expect(summary).toMatchObject({ rows: 10_000, valid: 10_000, created: 10_000, duplicates: 0, errors: 0, failures: [] });
    console.log(`[${engine}] imported 10,000 rows in ${summary.seconds} s: ${summary.rows_per_second} rows/s`);
    expect(await imported('big')).toEqual({ rows: 10_000, ids: 10_000 });

    const second = await start([csv, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second)).toMatchObject({ rows: 10_000, created: 0, duplicates: 10_000, errors: 0 });
    expect(await imported('big')).toEqual({ rows: 10_000, ids: 10_000 });
  });

  it('imports the good rows of a file with bad ones and names each bad row by line and field', async () => {
    const csv = file(
      'mixed.csv',
      [
        HEADER,
        'mix-1,ellen@abc-inc.example,2026-03-02,StoreZero,7.5,"Sprint review, with ""notes""',
        'and a second line"',
        'mix-2,nobody@abc-inc.example,2026-03-02,StoreZero,2,',
        'mix-3,carl@abc-inc.example,2026-02-30,Internal,1,',
        'mix-4,carl@abc-inc.example,2026-03-03,Internal,25,',
        'mix-5,carl@abc-inc.example,2026-03-03,Atlantis,1,',
        '',
        'mix-6,carl@abc-inc.example,2026-03-04,website relaunch,4,',
        '',
      ].join('\n'),
    );
    const secretFile = file('secret', 'demo-import-secret\n');
    const run = await start([csv, '--json', '--client-secret-file', secretFile], { env: { IMPORT_CLIENT_SECRET: '' } });
    expect(run.code, run.stderr).toBe(1);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ rows: 6, created: 2, duplicates: 0, errors: 4 });
    expect(summary.failures.map((f) => [f.line, f.external_id, f.errors.map((e) => e.field)])).toEqual([
      [4, 'mix-2', ['email']],
      [5, 'mix-3', ['date']],
      [6, 'mix-4', ['hours']],
      [7, 'mix-5', ['project']],
    ]);

    // A dry run reports what it can know locally (date, hours) and sends nothing.
    const dry = await start([csv, '--json', '--dry-run'], { env: { IMPORT_CLIENT_SECRET: '' } });
    expect(dry.code).toBe(1);
    expect(summaryOf(dry)).toMatchObject({ rows: 6, valid: 4, created: 0, errors: 2 });

    // The imported entries are their owners' own, pending, and waiting for a manager.
    const ellen = apiClient(running.baseUrl, await userToken(running, 'ellen@abc-inc.example'));
    const own = (await ellen('GET', '/api/timesheets?from=2026-03-02&to=2026-03-02')).body.items;
    expect(own).toEqual([
      expect.objectContaining({
        external_id: 'mix-1',
        hours: 7.5,
        project: 'StoreZero',
        notes: 'Sprint review, with "notes"\nand a second line',
        status: 'pending',
        user_email: 'ellen@abc-inc.example',
      }),
    ]);
    const carl = apiClient(running.baseUrl, await userToken(running, 'carl@abc-inc.example'));
    const carls = (await carl('GET', '/api/timesheets?from=2026-03-01&to=2026-03-31')).body.items;
    expect(carls.map((e: { external_id: string }) => e.external_id)).toEqual(['mix-6']);
    expect(carls[0]).toMatchObject({ project: 'Website Relaunch', hours: 4 });
    const maria = apiClient(running.baseUrl, await userToken(running, 'maria@abc-inc.example'));
    const pending = (await maria('GET', '/api/approvals?from=2026-03-01&to=2026-03-31')).body.items;
    expect(pending.map((e: { external_id: string }) => e.external_id).sort()).toEqual(['mix-1', 'mix-6']);
  });

  it('reads JSON Lines from standard input', async () => {
    const lines = [
      { external_id: 'jl-1', email: 'carl@abc-inc.example', date: '2026-04-06', project: 'Internal', hours: 3 },
      { external_id: 'jl-2', email: 'carl@abc-inc.example', date: '2026-04-07', project: 'Internal', hours: '3' },
    ];
    const run = await start(['-', '--format', 'jsonl', '--json'], { stdin: `${lines.map((l) => JSON.stringify(l)).join('\n')}\n` });
    expect(run.code).toBe(1);
    expect(summaryOf(run)).toMatchObject({ rows: 2, created: 1, errors: 1, failures: [{ line: 2, external_id: 'jl-2' }] });
  });

  it('stops with exit code 2 and a clear reason for a wrong secret, an unreachable issuer or API, or a secret on the command line', async () => {
    const csv = file('one.csv', `${HEADER}\nnever-1,carl@abc-inc.example,2026-05-04,Internal,1,\n`);
    const oneLine = (run: CliRun) => {
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).not.toMatch(/^\s+at /m);
    };

    const wrong = await start([csv], { env: { IMPORT_CLIENT_SECRET: 'not-the-secret' } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/invalid_client.*IMPORT_CLIENT_SECRET/);
    oneLine(wrong);

    const nowhere = await start([csv], { env: { OIDC_ISSUER: `http://127.0.0.1:${await freePort()}/oidc` } });
    expect(nowhere.code).toBe(2);
    expect(nowhere.stderr).toMatch(/cannot reach the issuer .*ECONNREFUSED/);
    oneLine(nowhere);

    // An API that never answers (every retry spent: none here) stops the job instead of failing batch after batch.
    const noApi = await start([csv, '--retries', '0'], { env: { API_URL: `http://127.0.0.1:${await freePort()}/api` } });
    expect(noApi.code).toBe(2);
    expect(noApi.stderr).toMatch(/cannot reach the API at .*ECONNREFUSED.*after 1 attempts: check API_URL/);
    expect(await imported('never')).toEqual({ rows: 0, ids: 0 });

    const flag = await start([csv, '--client-secret', 'demo-import-secret']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/process list/);
    expect(flag.stderr).not.toContain('demo-import-secret');
    oneLine(flag);

    expect(await imported('never')).toEqual({ rows: 0, ids: 0 });
  });

  it('loses and duplicates no row when the API restarts in the middle of an import', async () => {
    const rows = 10_000;
    const csv = file('restart.csv', bigCsv('rst', rows, '2012-01-01'));
    // Small batches, one at a time: the import lasts long enough to be interrupted. Progress lines
    // (not a terminal) show the retries.
    const importing = start([csv, '--json', '--batch-size', '100', '--concurrency', '1'], { env: { LOG_LEVEL: 'info' } });
    // Well within the test's own 30 s, so that this wait's own message is the one reported.
    await vi.waitFor(async () => expect((await imported('rst')).rows).toBeGreaterThan(0), { timeout: 20_000, interval: 20 });
    await running.stop({ keepDatabase: true });
    const atStop = await imported('rst');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    running = await startSystem(engine, { database: running.database, port });

    const run = await importing;
    expect(run.code, run.stderr).toBe(0);
    expect(atStop.rows).toBeLessThan(rows); // it really was cut off mid-way
    expect(run.stderr).toMatch(/upload: .*retrying in/);
    const summary = summaryOf(run);
    expect(summary).toMatchObject({ rows, errors: 0 });
    expect(summary.created + summary.duplicates).toBe(rows);
    expect(await imported('rst')).toEqual({ rows, ids: rows });
  });
});
