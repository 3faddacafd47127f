// The import proper: rows in, checked locally, grouped into batches, a few batches in flight, the
// API's answers counted against the rows' lines. Reading waits while every slot is busy, so memory
// holds at most `concurrency + 1` batches whatever the size of the file.
import { checkUploadItem, MAX_UPLOAD_ENTRIES } from '../../api/client-contract.ts';
import { BatchFailure, type ItemResult } from './client.ts';
import type { SourceRow } from './read-rows.ts';
import { externalIdOf, type Tally } from './summary.ts';

/** Batches stay under this many bytes of items: well inside the upload's body limit (about 10 MB), and small to re-send. */
export const MAX_BATCH_BYTES = 900 * 1024;

export interface PipelineOptions {
  readonly batchSize: number;
  readonly concurrency: number;
  readonly dryRun: boolean;
  readonly maxBatchBytes?: number;
  /** Called after each row and each answered batch (the progress display throttles itself). */
  readonly onProgress?: () => void;
}

export type Send = (items: readonly unknown[]) => Promise<ItemResult[]>;

interface Batch {
  items: unknown[];
  lines: number[];
  bytes: number;
}

const emptyBatch = (): Batch => ({ items: [], lines: [], bytes: 2 });

/**
 * Runs the rows through. Rows failing the local checks are counted and never sent; a batch failing
 * for good counts its rows as errors. Any other failure (the API refusing the client, the input
 * unreadable) stops reading, lets the batches in flight finish, and is thrown.
 */
export async function runPipeline(rows: AsyncIterable<SourceRow>, send: Send | undefined, tally: Tally, options: PipelineOptions): Promise<void> {
  const batchSize = Math.min(options.batchSize, MAX_UPLOAD_ENTRIES);
  const maxBytes = options.maxBatchBytes ?? MAX_BATCH_BYTES;
  const inFlight = new Set<Promise<void>>();
  let stop: { error: unknown } | undefined;
  let inputError: { error: unknown } | undefined;
  let batch = emptyBatch();

  const dispatch = async (ready: Batch) => {
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
    if (stop || !send) return;
    const task = send(ready.items).then(
      (results) => tally.addResults(ready.lines, results),
      (error: unknown) => {
        if (error instanceof BatchFailure) tally.addBatchFailure(ready.lines, ready.items.map(externalIdOf), error.message);
        else stop ??= { error };
      },
    );
    const tracked: Promise<void> = task.finally(() => {
      inFlight.delete(tracked);
      options.onProgress?.();
    });
    inFlight.add(tracked);
  };

  try {
    for await (const row of rows) {
      if (stop) break;
      tally.rows++;
      if (row.problems) {
        tally.reject(row.line, externalIdOf(row.record), row.problems);
      } else {
        const checked = checkUploadItem(row.record);
        if (!checked.ok) tally.reject(row.line, checked.external_id, checked.errors);
        else if (options.dryRun) tally.accept();
        else {
          tally.valid++;
          const bytes = Buffer.byteLength(JSON.stringify(checked.item)) + 1;
          if (batch.items.length >= batchSize || (batch.items.length > 0 && batch.bytes + bytes > maxBytes)) {
            await dispatch(batch);
            batch = emptyBatch();
          }
          batch.items.push(checked.item);
          batch.lines.push(row.line);
          batch.bytes += bytes;
        }
      }
      options.onProgress?.();
    }
  } catch (error) {
    inputError = { error }; // the input broke off: the rows read before it still go in
  }
  if (batch.items.length > 0) await dispatch(batch);
  await Promise.all(inFlight);
  if (stop) throw stop.error;
  if (inputError) throw inputError.error;
}
