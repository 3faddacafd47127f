// The load generator, in its own process: autocannon against 127.0.0.1 only, bounded in time.
// Usage: node bench/load.ts SPEC.json  → prints one JSON line with the figures.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Concrete requests; each connection takes the next one in turn (e.g. 1,000 users' tokens). */
  readonly variants: readonly { method: string; path: string; headers?: Record<string, string>; body?: string }[];
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
if (!/^http:\/\/127\.0\.0\.1:\d+/.test(spec.url)) throw new Error('the load generator targets 127.0.0.1 only');

let next = 0;
const result = await autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  timeout: 10,
  requests: [
    {
      setupRequest: (request) => {
        const variant = spec.variants[next++ % spec.variants.length]!;
        return { ...request, method: variant.method as 'GET', path: variant.path, headers: { ...variant.headers }, body: variant.body };
      },
    },
  ],
});

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
