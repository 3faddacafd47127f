// What an import did, row by row counted and reported: created, duplicates, and every error with the
// line it came from and the field at fault.
import type { FieldError } from '../../domain/errors.ts';
import type { ItemResult } from './client.ts';

export interface Failure {
  readonly line: number;
  readonly external_id: string | null;
  readonly errors: readonly FieldError[];
}

/** Failures kept for the summary; beyond this only the count grows (a broken 1 GB file must not fill memory). */
export const MAX_LISTED_FAILURES = 10_000;

export function externalIdOf(record: unknown): string | null {
  const id = (record as { external_id?: unknown } | null)?.external_id;
  return typeof id === 'string' ? id : null;
}

export class Tally {
  /** Records read from the file (the header and blank lines are not records). */
  rows = 0;
  /** Records that passed the local checks. */
  valid = 0;
  /** Records the API has answered for. */
  sent = 0;
  /** Records finished with: answered, refused locally, or lost with a batch. */
  settled = 0;
  created = 0;
  duplicates = 0;
  errors = 0;
  readonly failures: Failure[] = [];
  unlisted = 0;
  readonly #maxListed: number;

  constructor(maxListed = MAX_LISTED_FAILURES) {
    this.#maxListed = maxListed;
  }

  /** A row refused before sending (reading or validation). */
  reject(line: number, external_id: string | null, errors: readonly FieldError[]): void {
    this.settled++;
    this.#fail(line, external_id, errors);
  }

  /** A row that passed the local checks and is not sent (dry run). */
  accept(): void {
    this.valid++;
    this.settled++;
  }

  #fail(line: number, external_id: string | null, errors: readonly FieldError[]): void {
    this.errors++;
    if (this.failures.length < this.#maxListed) this.failures.push({ line, external_id, errors });
    else this.unlisted++;
  }

  /** The API's answer for a batch: `lines[i]` is the line of the batch's item i. */
  addResults(lines: readonly number[], results: readonly ItemResult[]): void {
    results.forEach((result, i) => {
      this.sent++;
      this.settled++;
      if (result.status === 'created') this.created++;
      else if (result.status === 'duplicate') this.duplicates++;
      else this.#fail(lines[i] ?? 0, result.external_id, result.errors?.length ? result.errors : [{ field: 'row', message: 'refused by the API' }]);
    });
  }

  /** A batch that was never delivered: each of its rows is an error with the reason. */
  addBatchFailure(lines: readonly number[], externalIds: readonly (string | null)[], reason: string): void {
    lines.forEach((line, i) => {
      this.settled++;
      this.#fail(line, externalIds[i] ?? null, [{ field: 'upload', message: reason }]);
    });
  }
}

export interface Summary {
  readonly source: string;
  readonly dry_run: boolean;
  readonly rows: number;
  readonly valid: number;
  readonly created: number;
  readonly duplicates: number;
  readonly errors: number;
  /** Failed rows in line order (at most MAX_LISTED_FAILURES). */
  readonly failures: readonly Failure[];
  readonly failures_not_listed: number;
  /** Rows read but neither imported nor refused: only when the run stopped early. */
  readonly not_imported: number;
  readonly seconds: number;
  readonly rows_per_second: number;
  /** Set when the run stopped early (configuration or input problem): why. */
  readonly stopped?: string;
}

export function buildSummary(tally: Tally, options: { source: string; dryRun: boolean; elapsedMs: number; stopped?: string }): Summary {
  const seconds = Math.round(options.elapsedMs) / 1000;
  return {
    source: options.source,
    dry_run: options.dryRun,
    rows: tally.rows,
    valid: tally.valid,
    created: tally.created,
    duplicates: tally.duplicates,
    errors: tally.errors,
    failures: [...tally.failures].sort((a, b) => a.line - b.line),
    failures_not_listed: tally.unlisted,
    not_imported: tally.rows - tally.settled,
    seconds,
    rows_per_second: seconds > 0 ? Math.round(tally.rows / seconds) : tally.rows,
    ...(options.stopped ? { stopped: options.stopped } : {}),
  };
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function formatFailure(failure: Failure): string {
  const id = failure.external_id === null ? '' : ` (${failure.external_id})`;
  const reasons = failure.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
  return `line ${failure.line}${id}: ${reasons}`;
}

/** The human summary: one line of counts, then one line per failed row. */
export function formatSummary(summary: Summary): string {
  const lines: string[] = [];
  const name = summary.source === '-' ? 'standard input' : summary.source;
  if (summary.dry_run) {
    lines.push(
      `${name}: ${count(summary.rows, 'row')} checked, ${summary.valid} valid, ${count(summary.errors, 'error')} (dry run: nothing was sent)`,
    );
  } else {
    lines.push(
      `${name}: ${count(summary.rows, 'row')}, ${summary.created} created, ${count(summary.duplicates, 'duplicate')}, ` +
        `${count(summary.errors, 'error')} in ${summary.seconds.toFixed(1)} s (${summary.rows_per_second} rows/s)`,
    );
  }
  if (summary.stopped) {
    const unsent = summary.not_imported ? ` (${count(summary.not_imported, 'row')} read were not imported)` : '';
    lines.push(`stopped early${unsent}: ${summary.stopped}`);
  }
  for (const failure of summary.failures) lines.push(`  ${formatFailure(failure)}`);
  if (summary.failures_not_listed > 0) lines.push(`  … and ${summary.failures_not_listed} more failed rows not listed`);
  return lines.join('\n');
}
