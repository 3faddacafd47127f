// The import job's pure parts, without a running system: the CSV and JSON Lines readers, the retry
// arithmetic, token renewal, the uploader against a scripted HTTP server, the batching pipeline, the summary.
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backoffMs,
  BatchFailure,
  DEFAULT_RETRY,
  retryAfterMs,
  retryDelayMs,
  SetupError,
  TokenSource,
  Uploader,
  type ItemResult,
} from '../src/cli/import/client.ts';
import { UsageError } from '../src/cli/command.ts';
import { importSettings } from '../src/cli/import/command.ts';
import { runPipeline } from '../src/cli/import/pipeline.ts';
import { estimate, renderBar, renderLine } from '../src/cli/import/progress.ts';
import { CsvParser, csvRows, InputError, jsonlRows, MAX_ROW_CHARS, type SourceRow } from '../src/cli/import/read-rows.ts';
import { buildSummary, formatSummary, Tally } from '../src/cli/import/summary.ts';
import { freePort } from './support/free-port.ts';

const parse = (text: string, chunk = text.length) => {
  const parser = new CsvParser();
  const rows = [];
  for (let i = 0; i < text.length; i += chunk) rows.push(...parser.push(text.slice(i, i + chunk)));
  rows.push(...parser.end());
  return rows;
};

async function collect(rows: AsyncIterable<SourceRow>): Promise<SourceRow[]> {
  const all: SourceRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** The text's UTF-8 bytes in chunks of `chunk` bytes: boundaries fall inside characters too. */
const stream = (text: string, chunk = 7) => {
  const bytes = Buffer.from(text);
  return Readable.from(Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk)));
};

describe('CSV parsing (RFC 4180)', () => {
  const sample =
    '\uFEFFa,b,c\r\n' +
    '1,"two, with comma","say ""hi"""\r\n' +
    '\r\n' +
    '3,"multi\r\nline\nfield",x\r\n' +
    'last,row,"no newline"';

  it('reads quoted commas, doubled quotes, line breaks in fields, a BOM, CRLF and blank lines', () => {
    expect(parse(sample)).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', 'two, with comma', 'say "hi"'] },
      { line: 4, fields: ['3', 'multi\r\nline\nfield', 'x'] },
      { line: 7, fields: ['last', 'row', 'no newline'] },
    ]);
  });

  it('gives the same rows whatever the chunk boundaries (even inside a CRLF or a doubled quote)', () => {
    const whole = parse(sample);
    for (const size of [1, 2, 3, 5, 11]) expect(parse(sample, size)).toEqual(whole);
  });

  it('counts LF, CRLF and a lone CR as one line each, and keeps empty fields', () => {
    expect(parse('a,,c\rb,\n,\r\n"x"')).toEqual([
      { line: 1, fields: ['a', '', 'c'] },
      { line: 2, fields: ['b', ''] },
      { line: 3, fields: ['', ''] },
      { line: 4, fields: ['x'] },
    ]);
  });

  it('flags broken quoting on the row instead of guessing silently', () => {
    expect(parse('"ab"c,d\n')[0]).toMatchObject({ line: 1, fields: ['abc', 'd'], problem: expect.stringMatching(/quoted field must end/) });
    expect(parse('x,"never closed\nmore')[0]).toMatchObject({ line: 1, problem: expect.stringMatching(/not closed/) });
  });

  it('stops at a runaway row (a quote left open) instead of reading the whole file into memory', () => {
    const parser = new CsvParser();
    parser.push('a\n"');
    expect(() => parser.push('x'.repeat(MAX_ROW_CHARS + 1))).toThrow(InputError);
  });
});

describe('reading import files', () => {
  it('maps CSV columns by the header (any order, notes optional), converts hours, omits empty cells', async () => {
    const text = 'Email,external_id,date,project,hours\nellen@abc-inc.example,e-1,2026-01-05,StoreZero, 7.5 \n,e-2,2026-01-05,StoreZero,seven\n';
    const rows = await collect(csvRows(stream(text)));
    expect(rows).toEqual([
      { line: 2, record: { email: 'ellen@abc-inc.example', external_id: 'e-1', date: '2026-01-05', project: 'StoreZero', hours: 7.5 } },
      { line: 3, record: { external_id: 'e-2', date: '2026-01-05', project: 'StoreZero', hours: 'seven' } },
    ]);
  });

  it('reports a wrong field count on the row, but tolerates a missing trailing notes cell', async () => {
    const text = 'external_id,email,date,project,hours,notes\na,b,c,d,1\na,b,c\na,b,c,d,1,n,extra\n';
    const rows = await collect(csvRows(stream(text)));
    expect(rows[0]!.problems).toBeUndefined();
    expect(rows[1]!.problems).toEqual([{ field: 'row', message: 'has 3 fields; the header has 6' }]);
    expect(rows[2]!.problems).toEqual([{ field: 'row', message: 'has 7 fields; the header has 6' }]);
  });

  it('refuses a header without the required columns, with unknown ones, or no header at all', async () => {
    await expect(collect(csvRows(stream('external_id,email,date,hours\n')))).rejects.toThrow(/missing project/);
    await expect(collect(csvRows(stream('external_id,email,date,project,hours,colour\n')))).rejects.toThrow(/unknown "colour"/);
    await expect(collect(csvRows(stream('')))).rejects.toThrow(/empty/);
  });

  it('decodes UTF-8 split across chunks', async () => {
    const text = 'external_id,email,date,project,hours,notes\nu,e@x.example,2026-01-05,P,1,Müller — café 🎉\n';
    const rows = await collect(csvRows(stream(text, 1)));
    expect(rows[0]!.record.notes).toBe('Müller — café 🎉');
  });

  it('reads JSON Lines with line numbers, skipping blank lines and reporting bad ones', async () => {
    const text = '\uFEFF{"external_id":"j1","hours":2}\r\n\n  \nnot json\n[1,2]\n{"external_id":"j2"}';
    const rows = await collect(jsonlRows(stream(text, 3)));
    expect(rows.map((r) => r.line)).toEqual([1, 4, 5, 6]);
    expect(rows[0]!.record).toEqual({ external_id: 'j1', hours: 2 });
    expect(rows[1]!.problems?.[0]).toMatchObject({ field: 'line', message: expect.stringMatching(/not valid JSON/) });
    expect(rows[2]!.problems?.[0]).toEqual({ field: 'line', message: 'must be a JSON object' });
    expect(rows[3]!.record).toEqual({ external_id: 'j2' });
  });
});

describe('retries', () => {
  it('backs off exponentially with jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY, baseMs: 100, maxMs: 1000 };
    expect(backoffMs(0, policy, () => 0)).toBe(50);
    expect(backoffMs(0, policy, () => 1)).toBe(100);
    expect(backoffMs(3, policy, () => 0)).toBe(400);
    expect(backoffMs(3, policy, () => 1)).toBe(800);
    expect(backoffMs(10, policy, () => 1)).toBe(1000);
    for (let i = 0; i < 50; i++) {
      const delay = backoffMs(2, policy);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });

  it('honours Retry-After in seconds or as a date, within a bound', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryDelayMs(0, DEFAULT_RETRY, 2000)).toBe(2000);
    expect(retryDelayMs(0, DEFAULT_RETRY, 86_400_000)).toBe(DEFAULT_RETRY.maxRetryAfterMs);
  });
});

describe('the token', () => {
  it('is reused until shortly before it expires, renewed once however many ask, and renewed when refused', async () => {
    let clock = 0;
    let issued = 0;
    const tokens = new TokenSource(async () => ({ access_token: `t${++issued}`, expires_in: 600 }), () => clock);
    const [a, b] = await Promise.all([tokens.get(), tokens.get()]);
    expect([a, b]).toEqual(['t1', 't1']);
    clock = 569_000;
    expect(await tokens.get()).toBe('t1');
    clock = 571_000; // within 30 s of expiry
    expect(await tokens.get()).toBe('t2');
    tokens.invalidate('t1'); // an old token refused: nothing to do
    expect(await tokens.get()).toBe('t2');
    tokens.invalidate('t2');
    expect(await tokens.get()).toBe('t3');
    expect(tokens.renewals).toBe(3);
  });
});

describe('the uploader', () => {
  let server: Server;
  let api: string;
  let script: ((request: IncomingMessage, body: string, response: ServerResponse) => void)[] = [];
  const seen: { authorization?: string; count: number }[] = [];

  const answer = (body: string) => {
    const items = (JSON.parse(body) as { entries: { external_id: string }[] }).entries;
    return JSON.stringify({ results: items.map((item, index) => ({ index, external_id: item.external_id, status: 'created', id: 'x' })) });
  };
  const ok = (_req: IncomingMessage, body: string, res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(answer(body));
  const status = (code: number, headers: Record<string, string> = {}) => (_req: IncomingMessage, _body: string, res: ServerResponse) =>
    res.writeHead(code, { 'content-type': 'application/problem+json', ...headers }).end(JSON.stringify({ status: code, detail: `said ${code}` }));

  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        seen.push({ authorization: request.headers.authorization, count: (JSON.parse(body) as { entries: unknown[] }).entries.length });
        (script.shift() ?? ok)(request, body, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const items = (n: number) => Array.from({ length: n }, (_, i) => ({ external_id: `u-${i}` }));
  const setup = (retries = 3) => {
    const delays: number[] = [];
    let issued = 0;
    const tokens = new TokenSource(async () => ({ access_token: `tok-${++issued}`, expires_in: 600 }));
    const uploader = new Uploader({ api, tokens, retry: { ...DEFAULT_RETRY, retries }, sleep: async (ms) => void delays.push(ms), random: () => 0 });
    return { uploader, delays };
  };

  it('retries 5xx and 429 (honouring Retry-After), then maps every item', async () => {
    script = [status(503), status(429, { 'retry-after': '2' }), status(502)];
    const { uploader, delays } = setup();
    const results = await uploader.upload(items(3));
    expect(results.map((r: ItemResult) => r.status)).toEqual(['created', 'created', 'created']);
    expect(delays).toEqual([250, 2000, 1000]);
  });

  it('renews the token once when the API refuses it', async () => {
    seen.length = 0;
    script = [status(401, { 'www-authenticate': 'Bearer error="invalid_token"' })];
    const { uploader, delays } = setup();
    await uploader.upload(items(1));
    expect(seen.map((s) => s.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-2']);
    expect(delays).toEqual([]);
  });

  it('splits a batch the API finds too large', async () => {
    seen.length = 0;
    script = [status(413)];
    const { uploader } = setup();
    const results = await uploader.upload(items(5));
    expect(seen.map((s) => s.count)).toEqual([5, 3, 2]);
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives up on a batch after the retries, and stops the run when the API refuses the client', async () => {
    script = [status(500), status(500), status(500)];
    await expect(setup(2).uploader.upload(items(2))).rejects.toThrow(BatchFailure);
    script = [status(400)];
    await expect(setup(2).uploader.upload(items(2))).rejects.toThrow(/refused the batch: HTTP 400/);
    script = [status(403)];
    await expect(setup(2).uploader.upload(items(2))).rejects.toThrow(SetupError);
    script = [status(401), status(401)];
    await expect(setup(2).uploader.upload(items(2))).rejects.toThrow(/refuses this client's access tokens/);
  });

  it('retries network errors, then stops the job: the API cannot be reached', async () => {
    const tokens = new TokenSource(async () => ({ access_token: 't' }));
    const delays: number[] = [];
    const api = `http://127.0.0.1:${await freePort()}/api`; // nothing listens there
    const uploader = new Uploader({ api, tokens, retry: { ...DEFAULT_RETRY, retries: 2 }, sleep: async (ms) => void delays.push(ms) });
    const unreachable = uploader.upload(items(1));
    await expect(unreachable).rejects.toThrow(SetupError);
    await expect(unreachable).rejects.toThrow(`cannot reach the API at ${api}/timesheets/upload (ECONNREFUSED) after 3 attempts`);
    expect(delays).toHaveLength(2);
    // An uploader whose every attempt fails as `failure(attempt)` says.
    const failing = (failure: (attempt: number) => Error) => {
      let attempt = 0;
      return new Uploader({ api, tokens, retry: { ...DEFAULT_RETRY, retries: 2 }, sleep: async () => {}, fetch: async () => Promise.reject(failure(attempt++)) });
    };
    const timeout = () => new DOMException('timed out', 'TimeoutError');
    const refused = () => new TypeError('fetch failed', { cause: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }) });
    // A connection made but no answer in time is not "unreachable": the batch fails, the job goes on.
    await expect(failing(timeout).upload(items(1))).rejects.toThrow(BatchFailure);
    // Nor is one timeout followed by refusals: that first attempt may have stored the batch.
    const flaky = failing((attempt) => (attempt === 0 ? timeout() : refused()));
    await expect(flaky.upload(items(1))).rejects.toThrow(/not delivered after 3 attempts \(last: ECONNREFUSED\)/);
  });
});

describe('the pipeline', () => {
  const good = (i: number) => ({ external_id: `p-${i}`, email: 'e@abc-inc.example', date: '2026-01-05', project: 'P', hours: 1 });
  async function* source(n: number, pulled: { count: number }, bad: (i: number) => boolean = () => false): AsyncGenerator<SourceRow> {
    for (let i = 0; i < n; i++) {
      pulled.count++;
      yield { line: i + 2, record: bad(i) ? { ...good(i), hours: 25 } : good(i) };
    }
  }

  it('sends batches of at most the batch size, a bounded number at once, without reading ahead', async () => {
    const pulled = { count: 0 };
    let active = 0;
    let most = 0;
    let furthestAhead = 0;
    let answered = 0;
    const sizes: number[] = [];
    const tally = new Tally();
    await runPipeline(
      source(1050, pulled, (i) => i % 100 === 7),
      async (batch) => {
        sizes.push(batch.length);
        active++;
        most = Math.max(most, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        answered += batch.length;
        return batch.map((item, index) => ({ index, external_id: (item as { external_id: string }).external_id, status: index === 0 ? 'error' : 'created', errors: [{ field: 'email', message: 'unknown' }] }));
      },
      tally,
      {
        batchSize: 100,
        concurrency: 3,
        dryRun: false,
        onProgress: () => (furthestAhead = Math.max(furthestAhead, pulled.count - answered)),
      },
    );
    expect(most).toBeLessThanOrEqual(3);
    expect(sizes.every((s) => s <= 100)).toBe(true);
    expect(sizes.reduce((a, b) => a + b)).toBe(1050 - 11);
    // Read ahead at most: the batches in flight, the one waiting for a slot, the one being filled.
    expect(furthestAhead).toBeLessThanOrEqual(100 * 5 + 11);
    expect(tally).toMatchObject({ rows: 1050, valid: 1039, created: 1039 - sizes.length, errors: 11 + sizes.length });
    const summary = buildSummary(tally, { source: 'f.csv', dryRun: false, elapsedMs: 1000 });
    expect(summary.failures[0]).toEqual({ line: 2, external_id: 'p-0', errors: [{ field: 'email', message: 'unknown' }] });
    expect(summary.failures[1]).toMatchObject({ line: 9, external_id: 'p-7', errors: [{ field: 'hours' }] });
    expect(summary.failures.map((f) => f.line)).toEqual([...summary.failures.map((f) => f.line)].sort((a, b) => a - b));
  });

  it('keeps batches under the byte limit', async () => {
    const sizes: number[] = [];
    await runPipeline(source(50, { count: 0 }), async (batch) => {
      sizes.push(batch.length);
      return batch.map((_, index) => ({ index, external_id: null, status: 'created' as const }));
    }, new Tally(), { batchSize: 1000, concurrency: 1, dryRun: false, maxBatchBytes: 1000 });
    expect(Math.max(...sizes)).toBeLessThan(15);
    expect(sizes.reduce((a, b) => a + b)).toBe(50);
  });

  it('counts a batch lost for good as errors, and sends nothing on a dry run', async () => {
    const tally = new Tally();
    await runPipeline(source(3, { count: 0 }), async () => {
      throw new BatchFailure('not delivered after 7 attempts (last: ECONNREFUSED)');
    }, tally, { batchSize: 2, concurrency: 1, dryRun: false });
    expect(tally).toMatchObject({ errors: 3, created: 0, settled: 3 });
    expect(tally.failures[2]).toEqual({ line: 4, external_id: 'p-2', errors: [{ field: 'upload', message: 'not delivered after 7 attempts (last: ECONNREFUSED)' }] });

    const dry = new Tally();
    await runPipeline(source(3, { count: 0 }, (i) => i === 1), undefined, dry, { batchSize: 2, concurrency: 1, dryRun: true });
    expect(dry).toMatchObject({ rows: 3, valid: 2, errors: 1, sent: 0 });
  });

  it('stops reading when the API refuses the client, and reports the reason', async () => {
    const pulled = { count: 0 };
    await expect(
      runPipeline(source(5000, pulled), async () => {
        throw new SetupError('the API refused the import client (HTTP 403)');
      }, new Tally(), { batchSize: 100, concurrency: 2, dryRun: false }),
    ).rejects.toThrow(/HTTP 403/);
    expect(pulled.count).toBeLessThan(1000);
  });
});

describe('the summary and the progress display', () => {
  it('lists failures by line with the field at fault', () => {
    const tally = new Tally(2);
    tally.rows = 5;
    tally.reject(4, 'x-4', [{ field: 'date', message: 'must match format "date"' }]);
    tally.addResults([2, 3], [
      { index: 0, external_id: 'x-2', status: 'created' },
      { index: 1, external_id: 'x-3', status: 'error', errors: [{ field: 'email', message: 'no active user has this email' }] },
    ]);
    tally.reject(5, null, [{ field: 'line', message: 'must be a JSON object' }]);
    const summary = buildSummary(tally, { source: 'f.csv', dryRun: false, elapsedMs: 2000 });
    expect(summary).toMatchObject({ rows: 5, created: 1, errors: 3, failures_not_listed: 1, rows_per_second: 3 });
    expect(formatSummary(summary).split('\n')).toEqual([
      'f.csv: 5 rows, 1 created, 0 duplicates, 3 errors in 2.0 s (3 rows/s)',
      '  line 3 (x-3): email: no active user has this email',
      '  line 4 (x-4): date: must match format "date"',
      '  … and 1 more failed rows not listed',
    ]);
  });

  it('estimates the rate and the time left from the bytes read and the rows settled', () => {
    const stats = { rows: 1000, settled: 500, sent: 500, created: 500, duplicates: 0, errors: 0, bytesRead: 50, totalBytes: 100, elapsedMs: 2000 };
    expect(estimate(stats)).toEqual({ rate: 250, fraction: 0.25, secondsLeft: 6 });
    expect(renderBar(stats, 8)).toBe('[##------]  25% 500 rows sent · 250 rows/s · 0:06 left');
    expect(renderBar({ ...stats, totalBytes: undefined })).toBe('import 500 rows sent · 250 rows/s');
    expect(renderLine(stats, true)).toMatch(/^import: done: 1000 rows read, 500 sent/);
  });
});

describe('the settings', () => {
  const env = { PUBLIC_URL: 'https://timesheets.abc-inc.example', IMPORT_CLIENT_SECRET: 'a-secret' };

  it("defaults to the system's own API and provider, the environment overrides them, and flags override both", async () => {
    expect(await importSettings(['rows.csv'], env, false)).toMatchObject({
      api: 'https://timesheets.abc-inc.example/api',
      issuer: 'https://timesheets.abc-inc.example/oidc',
      clientId: 'timesheets-import-job',
      clientSecret: 'a-secret',
      resource: { parameter: 'resource', value: 'https://api.abc-inc.example/timesheets' },
      format: 'csv',
      progress: 'lines',
    });
    const fromEnv = {
      ...env,
      API_URL: 'https://api.abc-inc.example/api/',
      OIDC_ISSUER: 'https://idp.abc-inc.example/',
      IMPORT_CLIENT_ID: 'env-client',
      AUTH_RESOURCE_PARAMETER: 'audience',
    };
    expect(await importSettings(['rows.jsonl'], fromEnv, true)).toMatchObject({
      api: 'https://api.abc-inc.example/api',
      issuer: 'https://idp.abc-inc.example/',
      clientId: 'env-client',
      resource: { parameter: 'audience' },
      format: 'jsonl',
      progress: 'bar',
    });
    const flags = ['rows.jsonl', '--api', 'https://flag.abc-inc.example/api', '--issuer', 'https://flag-idp.abc-inc.example', '--client-id', 'flag-client', '--format', 'csv', '--quiet'];
    expect(await importSettings(flags, fromEnv, true)).toMatchObject({
      api: 'https://flag.abc-inc.example/api',
      issuer: 'https://flag-idp.abc-inc.example',
      clientId: 'flag-client',
      format: 'csv',
      progress: 'off',
    });
  });

  it('names every configuration problem on one line', async () => {
    const settings = importSettings(['rows.csv'], { ...env, PUBLIC_URL: 'ftp://x', API_AUDIENCE: 'not a uri' }, false);
    await expect(settings).rejects.toThrow(UsageError);
    await expect(settings).rejects.toThrow(/^invalid configuration: PUBLIC_URL .*; API_AUDIENCE must be an absolute URI[^\n]*$/);
  });
});

describe('the import command’s start', () => {
  it('loads no server, provider or database package', () => {
    // A child process records every module the CLI resolves while the import command shows its help.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = new Set();
      registerHooks({ resolve: (specifier, context, next) => { const resolved = next(specifier, context); loaded.add(resolved.url); return resolved; } });
      const { main } = await import(${JSON.stringify(new URL('../src/cli/main.ts', import.meta.url).href)});
      await main(['import', '--help']);
      const packages = [...loaded].filter((url) => url.includes('/node_modules/')).map((url) => url.split('/node_modules/').at(-1).split('/')[0]);
      process.stderr.write('\\nloaded packages: ' + JSON.stringify([...new Set(packages)]) + '\\n');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('Usage: timesheets import');
    const packages = JSON.parse(/^loaded packages: (.*)$/m.exec(child.stderr)?.[1] ?? 'null') as string[];
    expect(packages).toContain('openid-client');
    for (const heavy of ['fastify', 'oidc-provider', 'kysely', 'pg', '@fastify']) expect(packages).not.toContain(heavy);
  });
});
