// `timesheets serve` in a process of its own, as `npm start` runs it. No test runner here: the tests
// (start, resilience) and the benchmark start their servers with this one function.
import { spawn, type ChildProcess } from 'node:child_process';
import { SERVER_NODE_FLAGS } from '../../src/cli/serve.ts';
import { freePort } from './free-port.ts';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly issuer: string;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM: a graceful stop) unless it has exited, and resolves once it has. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface ServerProcessOptions {
  /** The CLI's TypeScript source (src/cli/main.ts) or its compiled form. */
  readonly entry: string;
  readonly databaseUrl: string;
  /** Settings beyond the defaults (a loopback port of its own, LOG_LEVEL=silent, NODE_ENV=test). */
  readonly env?: Record<string, string>;
  /** Node flags after the server's own (SERVER_NODE_FLAGS). */
  readonly nodeFlags?: readonly string[];
  /** Arguments after `serve`. */
  readonly args?: readonly string[];
  /** Where the server's stderr goes (stdout, its log, is dropped). */
  readonly stderr?: 'ignore' | 'inherit';
  readonly readyWithinMs?: number;
}

/** The settings every test server runs with, in process or spawned: these tests' own address and database. */
export function serverEnv(port: number, publicUrl: string, databaseUrl: string, logLevel: string): Record<string, string> {
  return { NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: publicUrl, DATABASE_URL: databaseUrl, LOG_LEVEL: logLevel };
}

/** Resolves once /readyz answers 200; a server that exits or stays unready is killed and reported. */
export async function spawnServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH ?? '', ...serverEnv(port, baseUrl, options.databaseUrl, 'silent'), ...options.env };
  const args = [...SERVER_NODE_FLAGS, ...(options.nodeFlags ?? []), options.entry, 'serve', ...(options.args ?? [])];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', options.stderr ?? 'ignore'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await answersOk(`${baseUrl}/readyz`, options.readyWithinMs ?? 20_000, exited);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${options.entry} serve did not become ready`, { cause: error });
  }
  return { child, baseUrl, issuer: `${baseUrl}/oidc`, exited, stop: (signal) => stopChild(child, signal) };
}

/** Sends `signal` to a child process unless it has exited, and resolves once it has. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** Polls `url` until it answers 200; gives up after `withinMs`, or as soon as `exited` settles. */
export async function answersOk(url: string, withinMs: number, exited?: Promise<number | null>): Promise<void> {
  let exitCode: number | null | undefined;
  void exited?.then((code) => (exitCode = code));
  const deadline = Date.now() + withinMs;
  for (;;) {
    // Each poll bounded too: a server that accepts but never answers must not outlast the deadline.
    const poll = { signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) };
    if ((await fetch(url, poll).then((r) => r.status, () => 0)) === 200) return;
    if (exitCode !== undefined) throw new Error(`the process exited (code ${exitCode}) before ${url} answered 200`);
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
