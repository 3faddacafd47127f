// What run.ts and profile.ts ask of the load generator (load.ts), and what it answers.

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSeconds: number;
  /**
   * Unmeasured load first, for as long: the server's JIT compiles its hot paths in the first
   * seconds, and a cold start would be compared with a baseline that is warm after its first run.
   */
  readonly warmupSeconds?: number;
  /** Concrete requests; each connection takes the next one in turn (e.g. 1,000 users' tokens). */
  readonly variants: readonly { method: string; path: string; headers?: Record<string, string>; body?: string }[];
}

/** Printed when the warm-up is over and the measured run begins. */
export const MEASURING_LINE = 'measuring';

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCodes: Record<string, number>;
}
