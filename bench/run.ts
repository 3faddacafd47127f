// `npm run bench`: starts the real system on a fresh database, fills it, measures each scenario
// with autocannon in its own process, and prints requests per second, p50/p99, peak memory and the
// ratio to a bare-Fastify baseline measured in the same run, and the server's CPU time per request.
// Results also go to bench/results/.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { isoWeekOf, weekRange } from '../src/domain/week.ts';
import { DEMO_IMPORT_SECRET } from '../src/identity/clients.ts';
import { freePort } from '../test/support/free-port.ts';
import { signInWithCode } from '../test/support/oidc.ts';
import { answersOk, stopChild, type ServerProcess } from '../test/support/server-process.ts';
import { MEASURING_LINE, type LoadResult, type LoadSpec } from './load-spec.ts';
import { CLIENT_CREDENTIALS_REQUEST, SERVER_ENTRY, startProcess, startSystemProcess } from './processes.ts';
import { APPROVAL_POOL, BENCH_PASSWORD, MANAGERS, REALISTIC_USER, seed, userEmail } from './seed.ts';

const { values: options } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '50' },
    // Unmeasured load before each measured scenario (LoadSpec.warmupSeconds).
    warmup: { type: 'string', default: '2' },
    soak: { type: 'string', default: '0' },
    'skip-postgres': { type: 'boolean', default: false },
    users: { type: 'string', default: '1000' },
    // A quicker run of some scenarios: e.g. --only week,create (also: approvals, import, tokens).
    only: { type: 'string' },
  },
});
const SCENARIOS = ['week', 'create', 'approvals', 'import', 'tokens'] as const;
const ONLY = options.only ? new Set(options.only.split(',')) : undefined;
const unknown = [...(ONLY ?? [])].filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown.length) throw new Error(`--only: no scenario ${unknown.join(', ')} (there are ${SCENARIOS.join(', ')})`);
const runs = (scenario: (typeof SCENARIOS)[number]) => !ONLY || ONLY.has(scenario);
/** Scenarios 2–4, the ones run on both engines (apiScenarios). */
const runsApiScenarios = () => runs('week') || runs('create') || runs('approvals');
const DURATION = Number(options.duration);
const CONNECTIONS = Number(options.connections);
const WARMUP = Number(options.warmup);
const TOKEN_USERS = Number(options.users);
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
if (!existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build (npm run bench does)`);

interface Row {
  scenario: string;
  engine: string;
  requestsPerSecond: number;
  p50Ms?: number;
  p99Ms?: number;
  peakRssMb?: number;
  /** The server's CPU time per request (cpuUsPerRequest). */
  serverCpuUs?: number;
  ratio?: number;
  /** The baseline's req/s this row's ratio is taken against. */
  ceiling?: number;
  unit?: string;
  note?: string;
}
const rows: Row[] = [];
/**
 * Baseline runs and the rows compared with them, in the order measured. The baseline runs just before
 * every compared scenario and once at the end, and a row's ratio is taken against the faster of the two
 * runs on either side of it: this machine's speed drifts by a third within minutes, so a ceiling
 * measured minutes away made ratios swing by ten points between runs of the same code.
 */
const sequence: Array<{ baseline: LoadResult & { peakRssMb: number; serverCpuUs: number | undefined } } | { row: Row }> = [];
/** A row measured against the baseline (see sequence). */
function pushCompared(row: Row): void {
  rows.push(row);
  sequence.push({ row });
}
/** The baseline's server, started once the week's answer size is known (startBaseline). */
let baselineServer: Awaited<ReturnType<typeof startBaseline>> | undefined;
/** One baseline run, next in the sequence. */
async function ceilingRun(): Promise<void> {
  if (!baselineServer) throw new Error('the baseline has not started');
  await baselineServer.run();
}
/** The baseline run after the last compared scenario of a phase (its neighbour on the far side). */
async function closeComparisons(): Promise<void> {
  if (sequence.length > 0 && 'row' in sequence.at(-1)!) await ceilingRun();
}
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

// ---------------------------------------------------------------- processes

/**
 * Peak resident memory of a process while `work` runs (sampled every 200 ms), and the CPU time it
 * used from when `work` calls startCpuClock (after a warm-up) or else from the start.
 */
async function watchProcess<T>(
  pid: number,
  work: (startCpuClock: () => void) => Promise<T>,
): Promise<{ result: T; peakRssMb: number; cpuMs: number }> {
  let peak = 0;
  const sample = () => {
    try {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb);
    } catch {
      // the process may be gone
    }
  };
  sample();
  let cpuBefore = cpuMsOf(pid);
  const timer = setInterval(sample, 200);
  try {
    const result = await work(() => (cpuBefore = cpuMsOf(pid)));
    sample();
    return { result, peakRssMb: Math.round(peak / 1024), cpuMs: cpuMsOf(pid) - cpuBefore };
  } finally {
    clearInterval(timer);
  }
}

/** Clock ticks a second, the unit of /proc's CPU times (Linux's usual 100 if the system will not say). */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User and system CPU time a process has used so far, in ms (/proc/PID/stat, fields 14 and 15). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** The server's CPU time per answered request, in µs: unlike req/s, it does not depend on what limits the load. */
const cpuUsPerRequest = (cpuMs: number, requests: number) => (requests > 0 ? Math.round((cpuMs * 1000) / requests) : undefined);

/** Runs the load generator; `onMeasuring` is called when its warm-up is over. */
async function load(spec: LoadSpec, onMeasuring: () => void = () => {}): Promise<LoadResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-load-'));
  const file = path.join(dir, 'spec.json');
  writeFileSync(file, JSON.stringify(spec));
  try {
    const child = spawn(process.execPath, [new URL('./load.ts', import.meta.url).pathname, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    let measuring = false;
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (!measuring && output.startsWith(`${MEASURING_LINE}\n`)) {
        measuring = true;
        onMeasuring();
      }
    });
    const code = await new Promise((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`load generator exited ${code}`);
    if (!measuring) throw new Error('load generator ended without measuring');
    return JSON.parse(output.slice(MEASURING_LINE.length + 1)) as LoadResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- the system under test

async function signInMany(running: ServerProcess, emails: readonly string[], concurrency = 8): Promise<string[]> {
  const tokens: string[] = new Array(emails.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < emails.length) {
        const index = next++;
        const { tokens: result } = await signInWithCode(running.issuer, running.baseUrl, { email: emails[index]!, password: BENCH_PASSWORD });
        tokens[index] = result.access_token;
      }
    }),
  );
  return tokens;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function apiScenarios(running: ServerProcess, engine: string): Promise<void> {
  if (!runsApiScenarios()) return;
  const pid = running.child.pid!;
  log(`${engine}: signing in ${TOKEN_USERS} employees and 100 managers`);
  const employees = await signInMany(running, Array.from({ length: TOKEN_USERS }, (_, i) => userEmail(MANAGERS + i)));
  const managers = await signInMany(running, Array.from({ length: 100 }, (_, i) => userEmail(i)));
  const week = weekRange(isoWeekOf(new Date().toISOString().slice(0, 10)));

  const measure = async (scenario: string, spec: Omit<LoadSpec, 'url' | 'connections' | 'durationSeconds'>, note?: string) => {
    await ceilingRun();
    log(`${engine}: ${scenario}`);
    const { result, peakRssMb, cpuMs } = await watchProcess(pid, (startCpuClock) =>
      load({ url: running.baseUrl, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, ...spec }, startCpuClock),
    );
    const failed = result.total - (result.statusCodes['200'] ?? 0) - (result.statusCodes['201'] ?? 0);
    pushCompared({
      scenario,
      engine,
      requestsPerSecond: result.requestsPerSecond,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      peakRssMb,
      serverCpuUs: cpuUsPerRequest(cpuMs, result.total),
      note: [note, failed ? `${failed} non-2xx: ${JSON.stringify(result.statusCodes)}` : ''].filter(Boolean).join('; ') || undefined,
    });
    return result;
  };

  if (runs('week')) {
    await measure('2. employee week (GET /api/timesheets)', {
      variants: employees.map((token) => ({ method: 'GET', path: `/api/timesheets?from=${week.from}&to=${week.to}`, headers: bearer(token) })),
    });
  }
  if (runs('create')) {
    await measure('3. create entry (POST /api/timesheets)', {
      variants: employees.map((token, i) => ({
        method: 'POST',
        path: '/api/timesheets',
        headers: { ...bearer(token), 'content-type': 'application/json' },
        body: JSON.stringify({ date: `2019-0${(i % 9) + 1}-15`, project: 'Internal', hours: 0.01 }),
      })),
    });
  }
  if (!runs('approvals')) return;
  await measure('4a. approvals list (GET /api/approvals)', {
    variants: managers.map((token) => ({ method: 'GET', path: `/api/approvals?from=${week.from}&to=${week.to}`, headers: bearer(token) })),
  });
  const approvals = Array.from({ length: APPROVAL_POOL }, (_, i) => i);
  await measure(
    '4b. approve (PUT /api/approvals/:id)',
    {
      variants: approvals.map((i) => ({
        method: 'PUT',
        path: `/api/approvals/ent_pool_${i}`,
        headers: { ...bearer(managers[i % managers.length]!), 'content-type': 'application/json' },
        body: '{}',
      })),
    },
    'each request approves a different pending entry',
  );
}

async function tokenScenarios(running: ServerProcess): Promise<void> {
  const pid = running.child.pid!;
  await ceilingRun();
  log('sqlite: 6a. client credentials');
  const { result, peakRssMb, cpuMs } = await watchProcess(pid, (startCpuClock) =>
    load({ url: running.baseUrl, connections: 16, durationSeconds: DURATION, warmupSeconds: WARMUP, variants: [CLIENT_CREDENTIALS_REQUEST] }, startCpuClock),
  );
  pushCompared({
    scenario: '6a. client-credentials tokens',
    engine: 'sqlite',
    requestsPerSecond: result.requestsPerSecond,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    peakRssMb,
    serverCpuUs: cpuUsPerRequest(cpuMs, result.total),
    unit: 'tokens/s',
  });

  log('sqlite: 6b. code + PKCE sign-ins through the sign-in page');
  const deadline = Date.now() + DURATION * 1000;
  let completed = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (Date.now() < deadline) {
        await signInWithCode(running.issuer, running.baseUrl, { email: REALISTIC_USER, password: BENCH_PASSWORD });
        completed++;
      }
    }),
  );
  rows.push({
    scenario: '6b. full sign-ins (code + PKCE, scrypt)',
    engine: 'sqlite',
    requestsPerSecond: Math.round((completed / (Date.now() - started)) * 1000 * 10) / 10,
    unit: 'sign-ins/s',
    note: '~6 HTTP requests and one scrypt hash (N=2^15, r=8, p=3) each',
  });
}

async function importScenario(running: ServerProcess): Promise<void> {
  const rowsToImport = 100_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-import-'));
  const file = path.join(dir, 'contractors.csv');
  const lines = ['external_id,email,date,project,hours,notes'];
  for (let i = 0; i < rowsToImport; i++) {
    const day = new Date(Date.UTC(2010, 0, 1) + (i % 3000) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`bench-${i},${userEmail(MANAGERS + (i % 5000))},${day},StoreZero,0.25,Imported`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  log('sqlite: 5. import job, 100,000 rows');
  try {
    const started = Date.now();
    const { peakRssMb, cpuMs } = await watchProcess(running.child.pid!, async () => {
      const child = startProcess(['src/cli/main.ts', 'import', file, '--json'], {
        PUBLIC_URL: running.baseUrl,
        OIDC_ISSUER: running.issuer,
        IMPORT_CLIENT_SECRET: DEMO_IMPORT_SECRET,
        LOG_LEVEL: 'silent',
      });
      const code = await new Promise((resolve) => child.on('exit', resolve));
      if (code !== 0) throw new Error(`the import exited ${code}`);
    });
    const seconds = (Date.now() - started) / 1000;
    rows.push({
      scenario: '5. import job, 100,000 rows end to end',
      engine: 'sqlite',
      requestsPerSecond: Math.round(rowsToImport / seconds),
      peakRssMb,
      serverCpuUs: cpuUsPerRequest(cpuMs, rowsToImport),
      unit: 'rows/s',
      note: `${seconds.toFixed(1)} s including the token, the upload batches and the CLI's start; server µs per row`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- baseline, web size, soak

/** The ceiling: a bare Fastify server in its own process, kept up for the whole run and measured on demand. */
async function startBaseline(bodyBytes: number): Promise<{ run(): Promise<void>; stop(): Promise<void> }> {
  const port = await freePort();
  const child = startProcess([new URL('./baseline.ts', import.meta.url).pathname, String(port), String(bodyBytes)], {});
  await answersOk(`http://127.0.0.1:${port}/baseline`, 60_000);
  return {
    async run() {
      log('1. baseline (bare Fastify)');
      const { result, peakRssMb, cpuMs } = await watchProcess(child.pid!, (startCpuClock) =>
        load(
          { url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP, variants: [{ method: 'GET', path: '/baseline' }] },
          startCpuClock,
        ),
      );
      sequence.push({ baseline: { ...result, peakRssMb, serverCpuUs: cpuUsPerRequest(cpuMs, result.total) } });
    },
    stop: () => stopChild(child),
  };
}

/** One row for the baseline runs, and each compared row's ratio against the faster run beside it. */
function settleRatios(bodyBytes: number): void {
  const runs = sequence.flatMap((event) => ('baseline' in event ? [event.baseline] : []));
  if (runs.length === 0) return;
  const fastest = runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const slowest = Math.min(...runs.map((run) => run.requestsPerSecond));
  rows.unshift({
    scenario: `1. baseline: bare Fastify, ${bodyBytes}-byte JSON`,
    engine: '-',
    requestsPerSecond: fastest.requestsPerSecond,
    p50Ms: fastest.p50Ms,
    p99Ms: fastest.p99Ms,
    peakRssMb: Math.max(...runs.map((run) => run.peakRssMb)),
    serverCpuUs: fastest.serverCpuUs,
    note: `${runs.length} runs, one before each compared scenario and one at the end: ${slowest}–${fastest.requestsPerSecond} req/s`,
  });
  sequence.forEach((event, index) => {
    if (!('row' in event)) return;
    const before = sequence.slice(0, index).findLast((e) => 'baseline' in e);
    const after = sequence.slice(index + 1).find((e) => 'baseline' in e);
    const beside = [before, after].flatMap((e) => (e && 'baseline' in e ? [e.baseline.requestsPerSecond] : []));
    event.row.ceiling = Math.max(...beside);
    event.row.ratio = event.row.requestsPerSecond / event.row.ceiling;
  });
}

/** The size of scenario 2's answer, so the baseline serves as many bytes. */
async function weekAnswerBytes(running: ServerProcess): Promise<number> {
  const [token] = await signInMany(running, [userEmail(MANAGERS)], 1);
  const week = weekRange(isoWeekOf(new Date().toISOString().slice(0, 10)));
  const response = await fetch(`${running.baseUrl}/api/timesheets?from=${week.from}&to=${week.to}`, { headers: bearer(token!) });
  return (await response.arrayBuffer()).byteLength;
}

/** All the JavaScript the web app ships (the first screen loads every chunk), gzipped. */
function webBundleKb(): { kb: number; files: number } | undefined {
  const assets = path.resolve('dist/web/assets');
  if (!existsSync(assets)) return undefined;
  const scripts = readdirSync(assets).filter((name) => name.endsWith('.js'));
  const bytes = scripts.reduce((sum, name) => sum + gzipSync(readFileSync(path.join(assets, name))).byteLength, 0);
  return { kb: Math.round((bytes / 1024) * 10) / 10, files: scripts.length };
}

async function soak(running: ServerProcess, seconds: number): Promise<void> {
  const tokens = await signInMany(running, Array.from({ length: 100 }, (_, i) => userEmail(MANAGERS + i)));
  const week = weekRange(isoWeekOf(new Date().toISOString().slice(0, 10)));
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${running.child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(rss()), 1000);
  log(`soak: ${seconds} s of scenario 2`);
  await load({
    url: running.baseUrl,
    connections: CONNECTIONS,
    durationSeconds: seconds,
    variants: tokens.map((token) => ({ method: 'GET', path: `/api/timesheets?from=${week.from}&to=${week.to}`, headers: bearer(token) })),
  });
  clearInterval(timer);
  // Early: the second tenth of the soak (the first is the server warming up); late: the last tenth.
  const tenth = Math.max(1, Math.floor(samples.length / 10));
  const first = Math.max(...samples.slice(tenth, 2 * tenth));
  const last = Math.max(...samples.slice(-tenth));
  rows.push({
    scenario: `soak: ${seconds} s of scenario 2 on a fresh server, RSS early → late`,
    engine: 'sqlite',
    requestsPerSecond: 0,
    unit: 'MB',
    peakRssMb: Math.round(Math.max(...samples)),
    note: `${first.toFixed(0)} MB → ${last.toFixed(0)} MB (${(((last - first) / first) * 100).toFixed(1)}%)`,
  });
}

// ---------------------------------------------------------------- main

/** The commit measured, marked `-dirty` when the working tree has changes (the JSON names it, to compare runs). */
function measuredCommit(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', 'HEAD')}${git('status', '--porcelain') ? '-dirty' : ''}`;
  } catch {
    return undefined; // not a git checkout
  }
}

function printTable(): void {
  const header = ['scenario', 'engine', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MB', 'server µs/req', 'ratio', 'note'];
  const body = rows.map((r) => [
    r.scenario,
    r.engine,
    r.unit && r.unit !== 'MB' ? `${r.requestsPerSecond} ${r.unit}` : r.unit === 'MB' ? '' : String(r.requestsPerSecond),
    r.p50Ms === undefined ? '' : String(r.p50Ms),
    r.p99Ms === undefined ? '' : String(r.p99Ms),
    r.peakRssMb === undefined ? '' : String(r.peakRssMb),
    r.serverCpuUs === undefined ? '' : String(r.serverCpuUs),
    // One decimal: a ratio of 24.8% must not read as a target of 25% met.
    r.ratio === undefined ? '' : `${(r.ratio * 100).toFixed(1)}%`,
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log([line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'));
}

async function withDatabase<T>(engine: 'sqlite' | 'postgres', work: (url: string) => Promise<T>): Promise<T> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'bench-db-'));
    try {
      return await work(`sqlite:${path.join(dir, 'bench.db')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const name = `timesheets_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  try {
    return await work(url.href);
  } finally {
    const cleanup = new pg.Client({ connectionString: ADMIN_URL });
    await cleanup.connect();
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await cleanup.end();
  }
}

const started = Date.now();
let bodyBytes = 0;
try {
  await withDatabase('sqlite', async (url) => {
    log('sqlite: seeding 10,000 users and 1,000,000 entries');
    const seeded = Date.now();
    await seed(url);
    log(`sqlite: seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
    const running = await startSystemProcess(url);
    try {
      bodyBytes = await weekAnswerBytes(running);
      baselineServer = await startBaseline(bodyBytes);
      await apiScenarios(running, 'sqlite');
      if (runs('import')) await importScenario(running);
      if (runs('tokens')) await tokenScenarios(running);
      await closeComparisons();
    } finally {
      await running.stop();
    }
    // The soak has a server of its own: what the import and the token scenarios left resident in the
    // first one is not scenario 2's memory.
    if (Number(options.soak) > 0) {
      const fresh = await startSystemProcess(url);
      try {
        await soak(fresh, Number(options.soak));
      } finally {
        await fresh.stop();
      }
    }
  });
  // PostgreSQL runs scenarios 2-4 only.
  if (!options['skip-postgres'] && runsApiScenarios()) {
    await withDatabase('postgres', async (url) => {
      log('postgres: seeding 10,000 users and 1,000,000 entries');
      await seed(url);
      const running = await startSystemProcess(url);
      try {
        await apiScenarios(running, 'postgres');
        await closeComparisons();
      } finally {
        await running.stop();
      }
    });
  }
} finally {
  await baselineServer?.stop();
}
settleRatios(bodyBytes);
const web = webBundleKb();
console.log(`\nABC Timesheets benchmark, ${new Date().toISOString()}, ${CONNECTIONS} connections, ${DURATION} s per scenario\n`);
printTable();
console.log(
  web
    ? `\nWeb app JavaScript for the first screen: ${web.kb} KB gzipped in ${web.files} file(s) (target: at most 150 KB).`
    : '\nWeb app JavaScript: not built (run npm run build first).',
);
console.log(`Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
writeFileSync(
  file,
  JSON.stringify({ at: new Date().toISOString(), commit: measuredCommit(), connections: CONNECTIONS, durationSeconds: DURATION, rows, web }, null, 2),
);
console.log(`Results written to ${file}`);
