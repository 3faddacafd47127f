// Starts the real system on a real port with a real database, as `npm start` would, in the test's
// own process. A server in a process of its own: server-process.ts.
import { loadConfig, type Config } from '../../src/config.ts';
import { buildSystem, type System } from '../../src/server.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';
import { freePort } from './free-port.ts';
import { serverEnv } from './server-process.ts';

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

export async function startSystem(engine: Engine, options: StartOptions = {}): Promise<RunningSystem> {
  const database = options.database ?? (await createTestDatabase(engine));
  const port = options.port ?? (await freePort());
  const baseUrl = options.publicUrl ?? `http://127.0.0.1:${port}`;
  const config = loadConfig({
    ...serverEnv(port, baseUrl, database.url, options.logStream ? 'info' : (process.env.TEST_LOG_LEVEL ?? 'silent')),
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
