import type { Config } from '../config.ts';
import { buildSystem } from '../server.ts';

/** Runs until SIGTERM/SIGINT, then closes gracefully (in-flight requests finish, the database closes). */
export async function serve(config: Config): Promise<void> {
  const system = await buildSystem(config);
  const address = await system.listen();
  system.app.log.info({ address, publicUrl: config.publicUrl, parts: [...config.parts] }, 'ABC Timesheets is running');
  await new Promise<void>((resolve) => {
    const stop = () => {
      system.close().then(resolve, (error) => {
        system.app.log.error({ err: error }, 'shutdown failed');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
