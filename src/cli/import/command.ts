// `timesheets import FILE`: the import job. Reads a CSV or JSON Lines export as a stream, checks every
// row with the API's own rules, gets a token by Client Credentials and pushes the rows in batches.
// Safe from cron: a second run over the same file creates nothing (the API knows the external_ids).
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_UPLOAD_ENTRIES } from '../../api/client-contract.ts';
import { ConfigError, loadConfig, type Config } from '../../config.ts';
import type { ApiScope } from '../../domain/access.ts';
import { IMPORT_CLIENT_ID } from '../../identity/client-contract.ts';
import { UsageError } from '../command.ts';
import { checkEndpoint, connectIssuer, DEFAULT_RETRY, TokenSource, Uploader, type Resource, type RetryPolicy } from './client.ts';
import { runPipeline } from './pipeline.ts';
import { createProgress, type ProgressMode, type ProgressStats } from './progress.ts';
import { readRows, type Format } from './read-rows.ts';
import { buildSummary, formatSummary, Tally } from './summary.ts';

export const IMPORT_USAGE = 'import FILE|- [--format csv|jsonl] [--dry-run] [--json] [options]';
export const IMPORT_SUMMARY = "push a CSV or JSON Lines file of entries to the API, as the import job (safe to re-run)";

const HELP = `Usage: timesheets ${IMPORT_USAGE}
  Pushes timesheet entries to POST /api/timesheets/upload with a Client Credentials token.
  FILE is a CSV file with a header row (external_id,email,date,project,hours[,notes]), a JSON Lines
  file (one object with those fields per line), or - for standard input. Rows already imported
  (same external_id) are reported as duplicates, so running it twice creates nothing the second time.

Options:
  --format csv|jsonl          default: jsonl for .jsonl and .ndjson files, csv otherwise
  --api URL                   the API (default: API_URL, else $PUBLIC_URL/api)
  --issuer URL                the OpenID issuer (default: OIDC_ISSUER, else $PUBLIC_URL/oidc)
  --client-id ID              default: IMPORT_CLIENT_ID, else ${IMPORT_CLIENT_ID}
  --client-secret-file PATH   the client secret, read from a file (else IMPORT_CLIENT_SECRET)
  --dry-run                   check every row and report, send nothing
  --batch-size N              rows per request, 1 to ${MAX_UPLOAD_ENTRIES} (default ${MAX_UPLOAD_ENTRIES})
  --concurrency N             requests in flight at once, 1 to 16 (default 4)
  --retries N                 retries of a failed request, 0 to 20 (default ${DEFAULT_RETRY.retries})
  --json                      print the summary as JSON
  --quiet                     no progress on standard error

The token names the API as API_AUDIENCE (default https://api.abc-inc.example/timesheets) with the
parameter AUTH_RESOURCE_PARAMETER says (resource, or audience for Auth0), as the server's settings do.

Exit codes: 0 every row created or already present, 1 some rows failed, 2 usage or configuration error.`;

const OPTIONS = {
  format: { type: 'string' },
  api: { type: 'string' },
  issuer: { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret-file': { type: 'string' },
  'dry-run': { type: 'boolean' },
  'batch-size': { type: 'string' },
  concurrency: { type: 'string' },
  retries: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Env = Readonly<Record<string, string | undefined>>;

export interface ImportSettings {
  readonly file: string;
  readonly format: Format;
  readonly api: string;
  readonly issuer: string;
  readonly clientId: string;
  /** Which API the token is for: API_AUDIENCE, named as AUTH_RESOURCE_PARAMETER says (Auth0 wants `audience`). */
  readonly resource: Resource;
  /** Absent only for a dry run, which talks to nobody. */
  readonly clientSecret?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly progress: ProgressMode;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly retry: RetryPolicy;
}

function whole(values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${String(raw)}")`);
  }
  return Number(raw);
}

/** A secret on the command line would show in the process list (ps, /proc): refused, with the two ways that are safe. */
function refuseSecretFlag(args: readonly string[]): void {
  for (const arg of args) {
    if (arg === '--') return;
    if (arg === '--client-secret' || arg.startsWith('--client-secret=')) {
      throw new UsageError(
        '--client-secret is not accepted: a secret on the command line shows in the process list. ' +
          'Set IMPORT_CLIENT_SECRET or pass --client-secret-file PATH.',
      );
    }
  }
}

async function readSecretFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the client secret file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (!secret.trim()) throw new UsageError(`the client secret file ${file} is empty`);
  return secret;
}

/** The system's configuration, whose problems the job reports on one line, as it does every setup error. */
function configFor(env: Env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`invalid configuration: ${error.problems.join('; ')}`);
    throw error;
  }
}

/** Flags first, then the environment, then the system's own configuration (PUBLIC_URL, OIDC_ISSUER). */
export async function importSettings(args: readonly string[], env: Env = process.env, isTty = Boolean(process.stderr.isTTY)): Promise<ImportSettings | 'help'> {
  refuseSecretFlag(args);
  const { values, positionals } = parseArgs({ args: [...args], options: OPTIONS, allowPositionals: true, strict: true });
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError(`which file? Usage: timesheets ${IMPORT_USAGE}`);
  if (positionals.length > 1) throw new UsageError(`one file at a time (got ${positionals.join(', ')})`);
  const file = positionals[0]!;

  const format = values.format ?? (/\.(jsonl|ndjson)$/i.test(file) ? 'jsonl' : 'csv');
  if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format must be csv or jsonl (got "${format}")`);

  const config = configFor(env);
  const read = (name: string) => (env[name]?.trim() ? env[name]!.trim() : undefined);
  const api = (values.api ?? read('API_URL') ?? `${config.publicUrl}/api`).replace(/\/+$/, '');
  const issuer = values.issuer ?? config.oidcIssuer;
  const clientId = values['client-id']?.trim() || read('IMPORT_CLIENT_ID') || IMPORT_CLIENT_ID;
  const dryRun = Boolean(values['dry-run']);

  let clientSecret: string | undefined;
  if (values['client-secret-file'] !== undefined) clientSecret = await readSecretFile(values['client-secret-file']);
  else clientSecret = env.IMPORT_CLIENT_SECRET ? env.IMPORT_CLIENT_SECRET : undefined;
  if (!dryRun) {
    checkEndpoint('the API URL', api);
    checkEndpoint('the issuer', issuer);
    if (!clientSecret) {
      throw new UsageError(`no client secret for ${clientId}: set IMPORT_CLIENT_SECRET or pass --client-secret-file PATH`);
    }
  }

  const quietLevels = ['silent', 'fatal', 'error', 'warn'];
  const progress: ProgressMode = values.quiet || quietLevels.includes(read('LOG_LEVEL') ?? '') ? 'off' : isTty ? 'bar' : 'lines';

  return {
    file,
    format,
    api,
    issuer,
    clientId,
    resource: { parameter: config.authResourceParameter, value: config.apiAudience },
    ...(clientSecret ? { clientSecret } : {}),
    dryRun,
    json: Boolean(values.json),
    progress,
    batchSize: whole(values, 'batch-size', MAX_UPLOAD_ENTRIES, 1, MAX_UPLOAD_ENTRIES),
    concurrency: whole(values, 'concurrency', 4, 1, 16),
    retry: { ...DEFAULT_RETRY, retries: whole(values, 'retries', DEFAULT_RETRY.retries, 0, 20) },
  };
}

interface Input {
  readonly stream: AsyncIterable<Buffer>;
  readonly totalBytes?: number;
  close(): Promise<void>;
}

async function openInput(file: string): Promise<Input> {
  if (file === '-') return { stream: process.stdin, close: async () => {} };
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}`);
  }
  const stats = await handle.stat();
  if (stats.isDirectory()) {
    await handle.close();
    throw new UsageError(`cannot read ${file}: it is a directory`);
  }
  const stream = handle.createReadStream({ highWaterMark: 256 * 1024, autoClose: true });
  return {
    stream,
    ...(stats.isFile() ? { totalBytes: stats.size } : {}),
    close: async () => {
      stream.destroy();
    },
  };
}

/** Runs the import; resolves with the exit code (0 or 1), throws a UsageError (exit 2) when it cannot run. */
export async function runImport(args: readonly string[], write: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  const settings = await importSettings(args);
  if (settings === 'help') {
    write(`${HELP}\n`);
    return 0;
  }
  const progress = createProgress(settings.progress);
  const input = await openInput(settings.file);
  const started = Date.now();
  const tally = new Tally();
  let bytesRead = 0;
  const stats = (): ProgressStats => ({
    rows: tally.rows,
    settled: tally.settled,
    sent: tally.sent,
    created: tally.created,
    duplicates: tally.duplicates,
    errors: tally.errors,
    bytesRead,
    ...(input.totalBytes !== undefined ? { totalBytes: input.totalBytes } : {}),
    elapsedMs: Date.now() - started,
  });

  let stopped: unknown;
  try {
    let send;
    if (!settings.dryRun) {
      const grant = await connectIssuer({
        issuer: settings.issuer,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret!,
        scope: 'batch:upload' satisfies ApiScope,
        resource: settings.resource,
        retry: settings.retry,
        onRetry: (message) => progress.note(message),
      });
      const tokens = new TokenSource(grant);
      await tokens.get(); // a wrong secret shows now, before the file is read
      const uploader = new Uploader({
        api: settings.api,
        tokens,
        retry: settings.retry,
        onRetry: (message) => progress.note(message),
      });
      send = (items: readonly unknown[]) => uploader.upload(items);
      if (settings.progress === 'lines') {
        progress.note(`${settings.file === '-' ? 'standard input' : path.basename(settings.file)} → ${settings.api} as ${settings.clientId}`);
      }
    }
    const rows = readRows(settings.format, input.stream, (bytes) => (bytesRead += bytes));
    await runPipeline(rows, send, tally, {
      batchSize: settings.batchSize,
      concurrency: settings.concurrency,
      dryRun: settings.dryRun,
      onProgress: () => progress.update(stats()),
    });
    progress.done(stats());
  } catch (error) {
    // Before any row (wrong secret, unreachable issuer, bad header): only the one-line reason. Later,
    // the summary says how far it got (rows sent stay sent; a re-run skips them), then the reason.
    if (!(error instanceof UsageError) || tally.rows === 0) throw error;
    stopped = error;
    progress.done(stats());
  } finally {
    await input.close();
  }

  const summary = buildSummary(tally, {
    source: settings.file,
    dryRun: settings.dryRun,
    elapsedMs: Date.now() - started,
    ...(stopped instanceof Error ? { stopped: stopped.message } : {}),
  });
  write(settings.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  if (stopped) throw stopped;
  return summary.errors > 0 ? 1 : 0;
}
