// `timesheets <command>`: run the server, administer the tenant, import entries. Each command's
// module is loaded when that command runs: the import job then loads no server, provider or
// database code (its start went from 0.6 to 0.3 s).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, loadDotEnv, type Config } from '../config.ts';
import { DomainError } from '../domain/errors.ts';
import { output, UsageError } from './command.ts';

async function help(): Promise<string> {
  const [{ ADMIN_COMMANDS }, { IMPORT_SUMMARY, IMPORT_USAGE }] = await Promise.all([import('./admin.ts'), import('./import/command.ts')]);
  return `Usage: timesheets <command> [options]

Commands:
  serve [--parts idp,api,web]   run the system (default: every part)
  ${IMPORT_USAGE}
      ${IMPORT_SUMMARY}
${Object.values(ADMIN_COMMANDS)
  .map((c) => `  ${c.usage}\n      ${c.summary}`)
  .join('\n')}

Every command takes --help, and --json for machine-readable output.
Configuration comes from the environment (or .env): see README.md.`;
}

/** Exit codes: 0 done, 1 the command failed, 2 usage or configuration error. */
export async function main(argv: string[]): Promise<number> {
  const [first, second] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    console.log(await help());
    return first ? 0 : 2;
  }
  loadDotEnv();

  if (first === 'serve') {
    const { values } = parseArgs({ args: argv.slice(1), options: { parts: { type: 'string' }, help: { type: 'boolean' } } });
    if (values.help) {
      console.log('Usage: timesheets serve [--parts idp,api,web]\n  Runs the chosen parts on PORT (default 3000).');
      return 0;
    }
    const config = loadConfig(values.parts ? { ...process.env, PARTS: values.parts } : process.env);
    const { serve } = await import('./serve.ts');
    await serve(config);
    return 0;
  }

  if (first === 'import') return (await import('./import/command.ts')).runImport(argv.slice(1));

  const [{ ADMIN_COMMANDS }, { openDatabase }] = await Promise.all([import('./admin.ts'), import('../storage/index.ts')]);

  const name = `${first} ${second ?? ''}`.trim();
  const command = ADMIN_COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}". Run timesheets --help.`);
  const { values, positionals } = parseArgs({
    args: argv.slice(2),
    options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    allowPositionals: (command.positionals ?? 0) > 0,
    strict: true,
  });
  if (values.help) {
    console.log(`Usage: timesheets ${command.usage}\n  ${command.summary}`);
    return 0;
  }
  if (positionals.length > (command.positionals ?? 0)) throw new UsageError(`unexpected argument ${positionals.at(-1)}`);
  const config: Config = loadConfig();
  const database = await openDatabase(config.databaseUrl, { poolSize: 2 });
  try {
    await command.run({ config, database, out: output(Boolean(values.json)) }, values, positionals);
  } finally {
    await database.close();
  }
  return 0;
}

function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return 2;
  if (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) return 2;
  return 1;
}

/** Runs the CLI and sets the process exit code; errors become one clear line, never a stack trace. */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      if (code !== 0) process.exitCode = code;
    },
    (error: unknown) => {
      const known =
        error instanceof DomainError ||
        error instanceof UsageError ||
        error instanceof ConfigError ||
        (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
      const message = error instanceof Error ? error.message : String(error);
      console.error(`timesheets: ${known ? message : `unexpected failure: ${message}`}`);
      process.exitCode = exitCodeFor(error);
    },
  );
}

if (import.meta.main) await runCli(process.argv.slice(2));
