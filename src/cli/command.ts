// The shape every CLI command shares: its options, its usage line, and how it prints.
import type { ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export interface Command<Context> {
  readonly usage: string;
  readonly summary: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  /** How many positional arguments the command takes (default none). */
  readonly positionals?: number;
  run(context: Context, values: Record<string, unknown>, positionals: string[]): Promise<void>;
}

export interface Output {
  /** One result: JSON with --json, else the human text. */
  result(value: unknown, human: () => string): void;
  /** Rows: JSON array with --json, else an aligned table of the given columns. */
  table(rows: readonly Record<string, unknown>[], columns: readonly string[]): void;
}

export function output(json: boolean, write: (text: string) => void = (t) => process.stdout.write(t)): Output {
  return {
    result(value, human) {
      write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    table(rows, columns) {
      if (json) return write(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return write('(none)\n');
      const cell = (v: unknown) => (Array.isArray(v) ? v.join(' ') : String(v ?? ''));
      const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
      const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
      write(`${[line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n')}\n`);
    },
  };
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
