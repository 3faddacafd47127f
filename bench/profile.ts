// `node bench/profile.ts [week|create|upload|tokens]`: runs one scenario (~8 s) against a server started with
// --cpu-prof on a seeded SQLite database, then prints where the server's time went (self and by package)
// and writes a flame graph of it (flame.svg beside the profile). For upload, CLIENT_NODE_OPTIONS is
// passed to the import job as NODE_OPTIONS (e.g. '--cpu-prof --cpu-prof-dir=/tmp/client' profiles it too).
// tokens: the import job's client-credentials grant, as scenario 6a.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isoWeekOf, weekRange } from '../src/domain/week.ts';
import { DEMO_IMPORT_SECRET } from '../src/identity/clients.ts';
import { signInWithCode } from '../test/support/oidc.ts';
import { flameGraphSvg } from './flame-graph.ts';
import { CLIENT_CREDENTIALS_REQUEST, startSystemProcess } from './processes.ts';
import { BENCH_PASSWORD, MANAGERS, seed, userEmail } from './seed.ts';

const DIR = '/tmp/timesheets-profile';
const scenario = process.argv[2] ?? 'week';
mkdirSync(DIR, { recursive: true });
const url = `sqlite:${DIR}/bench.db`;
// Seeded once; each run starts from a fresh copy (writes from earlier runs would skew the next).
if (!existsSync(`${DIR}/seeded.db`)) await seed(`sqlite:${DIR}/seeded.db`);
for (const suffix of ['', '-wal', '-shm']) rmSync(`${DIR}/bench.db${suffix}`, { force: true });
copyFileSync(`${DIR}/seeded.db`, `${DIR}/bench.db`);
for (const file of readdirSync(DIR).filter((f) => f.endsWith('.cpuprofile'))) rmSync(`${DIR}/${file}`);

// From the sources (the profile then names .ts files and lines), with the server's own flags.
const running = await startSystemProcess(url, { entry: 'src/cli/main.ts', nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${DIR}`] });
const base = running.baseUrl;

const tokens: string[] = [];
for (let i = 0; i < 100; i++) {
  tokens.push((await signInWithCode(`${base}/oidc`, base, { email: userEmail(MANAGERS + i), password: BENCH_PASSWORD })).tokens.access_token);
}
const week = weekRange(isoWeekOf(new Date().toISOString().slice(0, 10)));
const auth = (t: string) => ({ authorization: `Bearer ${t}`, 'content-type': 'application/json' });
const variants =
  scenario === 'create'
    ? // 1,000 (person, day) pairs, as the bench's 1,000 people each on one day: the day's total is summed over as many rows.
      tokens.flatMap((t, i) =>
        Array.from({ length: 10 }, (_, day) => ({
          method: 'POST',
          path: '/api/timesheets',
          headers: auth(t),
          body: JSON.stringify({ date: `2019-0${(i % 9) + 1}-${10 + day}`, project: 'Internal', hours: 0.01 }),
        })),
      )
    : scenario === 'tokens'
      ? [CLIENT_CREDENTIALS_REQUEST]
      : tokens.map((t) => ({ method: 'GET', path: `/api/timesheets?from=${week.from}&to=${week.to}`, headers: auth(t) }));
let load;
if (scenario === 'upload') {
  // The import job pushing 100,000 rows (about 8 s of load).
  const lines = ['external_id,email,date,project,hours'];
  for (let i = 0; i < 100_000; i++) {
    const day = new Date(Date.UTC(2010, 0, 1) + (i % 3000) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`p-${Date.now()}-${i},${userEmail(MANAGERS + (i % 5000))},${day},StoreZero,0.25`);
  }
  writeFileSync(`${DIR}/rows.csv`, `${lines.join('\n')}\n`);
  load = spawn(process.execPath, ['src/cli/main.ts', 'import', `${DIR}/rows.csv`, '--quiet'], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: process.env.CLIENT_NODE_OPTIONS ?? '', PUBLIC_URL: base, OIDC_ISSUER: running.issuer, IMPORT_CLIENT_SECRET: DEMO_IMPORT_SECRET },
    stdio: 'inherit',
  });
} else {
  writeFileSync(`${DIR}/spec.json`, JSON.stringify({ url: base, connections: 50, durationSeconds: 8, variants }));
  load = spawn(process.execPath, ['bench/load.ts', `${DIR}/spec.json`], { stdio: 'inherit' });
}
await new Promise((resolve) => load.on('exit', resolve));
const loadEnded = Date.now();
await running.stop();

// Only the samples taken while the load ran.
const file = readdirSync(DIR).find((f) => f.endsWith('.cpuprofile'))!;
const profile = JSON.parse(readFileSync(`${DIR}/${file}`, 'utf8')) as {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
};
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
// Profile times are monotonic microseconds; the load ended just before the server stopped.
const times: number[] = [];
let time = profile.startTime;
for (const delta of profile.timeDeltas) times.push((time += delta));
const end = times.at(-1)! - (Date.now() - loadEnded) * 1000;
const counts = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  if (times[i]! > end - 7_500_000 && times[i]! < end - 500_000) {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    total++;
  }
});
const ROOT = new URL('../', import.meta.url).href;
const where = (url: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? (url.startsWith(ROOT) ? url.slice(ROOT.length) : url || '(native)');
const self = new Map<string, number>();
const selfByPlace = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, count] of counts) {
  const node = byId.get(id)!;
  const key = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}:${node.callFrame.lineNumber}`;
  self.set(key, (self.get(key) ?? 0) + count);
  const place = where(node.callFrame.url);
  selfByPlace.set(place, (selfByPlace.get(place) ?? 0) + count);
  const seen = new Set<string>();
  for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
    const place = where(byId.get(cursor)!.callFrame.url);
    if (!seen.has(place)) inclusive.set(place, (inclusive.get(place) ?? 0) + count);
    seen.add(place);
  }
}
const top = (map: Map<string, number>, n: number) =>
  [...map].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => `${((c / total) * 100).toFixed(1).padStart(5)}%  ${k}`).join('\n');
writeFileSync(`${DIR}/flame.svg`, flameGraphSvg(profile.nodes, counts, where, `bench/profile.ts ${scenario}: the server while loading`));
console.log(`\n${total} samples while loading\n\nSelf time:\n${top(self, Number(process.env.TOP ?? 25))}\n\nSelf, by package or file:\n${top(selfByPlace, 25)}\n\nInclusive, by package or file:\n${top(inclusive, 25)}\n\nFlame graph: ${DIR}/flame.svg (open it in a browser)`);
