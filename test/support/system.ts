// Starts the real system on a real port with a real database, as `npm start` would.
import { createServer } from 'node:net';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildSystem, type System } from '../../src/server.ts';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.ts';

export interface RunningSystem {
  readonly system: System;
  readonly config: Config;
  readonly baseUrl: string;
  readonly issuer: string;
  readonly database: TestDatabase;
  stop(options?: { keepDatabase?: boolean }): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
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
    NODE_ENV: 'test',
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: baseUrl,
    DATABASE_URL: database.url,
    LOG_LEVEL: options.logStream ? 'info' : (process.env.TEST_LOG_LEVEL ?? 'silent'),
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
