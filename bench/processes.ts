// The processes a benchmark run starts: the system under test, the load generator, the import job.
// Shared by run.ts and profile.ts so both measure the server started the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../src/cli/serve.ts';
import { freePort } from '../test/support/free-port.ts';

/** The server as `npm start` runs it: compiled to JavaScript (`npm run bench` builds it first). */
export const SERVER_ENTRY = 'dist/server/cli/main.js';

export function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.stdout!.resume();
  return child;
}

export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(url).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${url} did not come up`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

export interface Running {
  readonly baseUrl: string;
  readonly issuer: string;
  readonly server: ChildProcess;
}

/** The identity provider and the API on `databaseUrl`, on a free loopback port, ready. */
export async function startSystemProcess(
  databaseUrl: string,
  { entry = SERVER_ENTRY, nodeFlags = [] }: { entry?: string; nodeFlags?: readonly string[] } = {},
): Promise<Running> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: baseUrl,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
    NODE_ENV: 'test',
    // Tokens must outlive the run; every other setting is the default.
    ACCESS_TOKEN_TTL: '3600',
  };
  const server = startProcess([...SERVER_NODE_FLAGS, ...nodeFlags, entry, 'serve', '--parts', 'idp,api'], env);
  await waitFor(`${baseUrl}/readyz`);
  return { baseUrl, issuer: `${baseUrl}/oidc`, server };
}
