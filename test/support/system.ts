// Starts the real system on a real port with a real database, as `npm start` would: in the test's
// own process (startSystem), or as a server process of its own (spawnServer).
import { spawn, type ChildProcess } from 'node:child_process';
import { expect, vi } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src/cli/serve.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildSystem, type System } from '../../src/server.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { freePort } from './free-port.ts';

export { freePort };

export interface RunningSystem {
  readonly system: System;
  readonly config: Config;
  readonly baseUrl: string;
  readonly issuer: string;
  readonly database: TestDatabase;
  stop(options?: { keepDatabase?: boolean }): Promise<void>;
}

export interface StartOptions {
  readonly env?: Record<string, string>;
  /** Reuse a database (a restart); by default a fresh one is created. */
  readonly database?: TestDatabase;
  readonly port?: number;
  /** The public origin when it is not this instance's own (behind a balancer). */
  readonly publicUrl?: string;
  readonly keyRefreshMs?: number;
  /** Capture the JSON logs (LOG_LEVEL defaults to info then). */
  readonly logStream?: { write(line: string): void };
}

/** What `timesheets serve` is configured with in these tests (its environment). */
function serverEnv(port: number, publicUrl: string, database: TestDatabase, logLevel: string): Record<string, string> {
  return { NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: publicUrl, DATABASE_URL: database.url, LOG_LEVEL: logLevel };
}

export async function startSystem(engine: Engine, options: StartOptions = {}): Promise<RunningSystem> {
  const database = options.database ?? (await createTestDatabase(engine));
  const port = options.port ?? (await freePort());
  const baseUrl = options.publicUrl ?? `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...serverEnv(port, baseUrl, database, options.logStream ? 'info' : (process.env.TEST_LOG_LEVEL ?? 'silent')),
    ...options.env,
  });
  const system = await buildSystem(config, { keyRefreshMs: options.keyRefreshMs, logStream: options.logStream });
  await system.listen();
  return {
    system,
    config,
    baseUrl,
    issuer: config.embeddedIssuer,
    database,
    async stop({ keepDatabase = false } = {}) {
      await system.close();
      if (!keepDatabase) await database.drop();
    },
  };
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly issuer: string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
}

/**
 * `timesheets serve` in a process of its own on `database`, as `npm start` runs it: `entry` is the
 * CLI's TypeScript source or the compiled one. Resolves once /readyz answers 200 (within 20 s).
 */
export async function spawnServer(entry: string, database: TestDatabase): Promise<ServerProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH ?? '', ...serverEnv(port, baseUrl, database, 'silent') };
  const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, entry, 'serve'], { env, stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await vi.waitFor(async () => expect((await fetch(`${baseUrl}/readyz`)).status).toBe(200), {
      timeout: 20_000,
      interval: 100,
      message: `${entry} serve did not become ready`,
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { child, baseUrl, issuer: `${baseUrl}/oidc`, exited };
}
