// The processes a benchmark run starts (the system under test, the load generator, the import job)
// and the token request scenario 6a sends. Shared by run.ts and profile.ts so both measure the server
// started, and loaded, the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { IMPORT_CLIENT_ID } from '../src/identity/client-contract.ts';
import { DEMO_IMPORT_SECRET } from '../src/identity/clients.ts';
import { spawnServerProcess, type ServerProcess } from '../test/support/server-process.ts';

/** The server as `npm start` runs it: compiled to JavaScript (`npm run bench` builds it first). */
export const SERVER_ENTRY = 'dist/server/cli/main.js';

/** The import job's token request, with the demo tenant's published secret (scenario 6a). */
export const CLIENT_CREDENTIALS_REQUEST = {
  method: 'POST',
  path: '/oidc/token',
  headers: {
    authorization: `Basic ${Buffer.from(`${IMPORT_CLIENT_ID}:${DEMO_IMPORT_SECRET}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
  },
  body: 'grant_type=client_credentials&scope=batch%3Aupload',
};

export function startProcess(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The identity provider and the API on `databaseUrl`, on a free loopback port, ready. */
export function startSystemProcess(
  databaseUrl: string,
  { entry = SERVER_ENTRY, nodeFlags = [] }: { entry?: string; nodeFlags?: readonly string[] } = {},
): Promise<ServerProcess> {
  return spawnServerProcess({
    entry,
    databaseUrl,
    nodeFlags,
    args: ['--parts', 'idp,api'],
    // Tokens must outlive the run; the log (stdout, dropped) is quiet; every other setting is the default.
    env: { ACCESS_TOKEN_TTL: '3600', LOG_LEVEL: 'warn' },
    stderr: 'inherit',
    readyWithinMs: 60_000,
  });
}
