import type { Config } from '../config.ts';
import { buildSystem } from '../server.ts';

const SHUTDOWN_DEADLINE_MS = 20_000;

/**
 * Node flags for the server process. V8's young generation grows to 32 MB semi-spaces under load;
 * capped at 8 MB the server stays under 200 MB resident and runs slightly faster (bench: 295 → 190
 * MB). It is a start-up flag only: `npm start`, the `timesheets` binary and the benchmark pass it.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=8'] as const;

/** Runs until SIGTERM/SIGINT, then closes gracefully (in-flight requests finish, the database closes). */
export async function serve(config: Config): Promise<void> {
  const system = await buildSystem(config);
  const address = await system.listen();
  system.app.log.info({ address, publicUrl: config.publicUrl, parts: [...config.parts] }, 'ABC Timesheets is running');
  await new Promise<void>((resolve) => {
    const stop = () => {
      // A last resort: never hang past the orchestrator's grace period.
      setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
      system.app.log.info('shutting down: readiness off, finishing in-flight requests');
      system.close().then(resolve, (error) => {
        system.app.log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
