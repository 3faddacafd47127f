// The load generator, in its own process: autocannon against 127.0.0.1 only, bounded in time.
// Usage: node bench/load.ts SPEC.json  → prints MEASURING_LINE once warmed up, then one JSON line with the figures.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { MEASURING_LINE, type LoadResult, type LoadSpec } from './load-spec.ts';

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
if (!/^http:\/\/127\.0\.0\.1:\d+/.test(spec.url)) throw new Error('the load generator targets 127.0.0.1 only');

// One counter across warm-up and measurement: each request is the next variant (an approval's
// entry is approved once, whichever run it falls in).
let next = 0;
const options = {
  url: spec.url,
  connections: spec.connections,
  timeout: 10,
  requests: [
    {
      setupRequest: (request: autocannon.Request) => {
        const variant = spec.variants[next++ % spec.variants.length]!;
        return { ...request, method: variant.method as 'GET', path: variant.path, headers: { ...variant.headers }, body: variant.body };
      },
    },
  ],
};
if (spec.warmupSeconds) await autocannon({ ...options, duration: spec.warmupSeconds });
// The caller starts its clocks here (MEASURING_LINE).
process.stdout.write(`${MEASURING_LINE}\n`);
const result = await autocannon({ ...options, duration: spec.durationSeconds });

const statusCodes: Record<string, number> = {};
for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number((stats as { count: number }).count);
const output: LoadResult = {
  requestsPerSecond: Math.round(result.requests.total / result.duration),
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  statusCodes,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
