// Group commit for SQLite. SQLite has one writer, and a commit costs more than the statements in it
// (every changed page is appended to the write-ahead log). A group starts on the event loop's next
// check phase, so every transaction begun in this turn (one per request read from the sockets)
// joins it; started at once, each request's transaction ran and committed alone in its own I/O
// callback (measured under load: one unit per commit). Transactions begun while a group runs wait
// for the next one. Each unit runs in its own savepoint, so a unit that throws rolls back its own
// changes and the others go on, and all of them are committed at once. Each caller hears back only
// after that commit, so an acknowledged write is exactly as durable as before. If the group as a
// whole fails (the commit, or SQLite abandoning the transaction after an I/O error), every caller
// in it gets that error: none of it was written.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CompiledQuery, type Kysely } from 'kysely';
import { statementRunner } from './statements.ts';

// IMMEDIATE: the group holds the write lock from its first statement, so a write by another process
// (the admin CLI) in the meantime cannot turn the group's later writes into SQLITE_BUSY.
const BEGIN = CompiledQuery.raw('BEGIN IMMEDIATE');
const COMMIT = CompiledQuery.raw('COMMIT');
const ROLLBACK = CompiledQuery.raw('ROLLBACK');
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT unit');
const RELEASE = CompiledQuery.raw('RELEASE unit');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO unit');

interface Unit<Database> {
  readonly work: (tx: Kysely<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * Set while a group's units run on its connection: a transaction started from inside one, or a query
 * outside it (which needs the same, only, connection), would wait for the group forever. Async work
 * a unit starts inherits the store; `running` turns false when the group ends, so such work is not
 * refused after the group has let the connection go. `connection` is the group's handle: the only
 * one a unit's statements may run on at once (statements.ts).
 */
const insideGroup = new AsyncLocalStorage<{ running: boolean; connection: object }>();

/** In the work of a group's unit while the group runs: the handle on the connection the group holds. */
export function runningGroupConnection(): object | undefined {
  const group = insideGroup.getStore();
  return group?.running ? group.connection : undefined;
}

/** True in the work of a group's unit while the group runs (see the SQLite driver's guard in database.ts). */
export function insideGroupCommit(): boolean {
  return runningGroupConnection() !== undefined;
}

export function groupCommit<Database>(db: Kysely<Database>) {
  let waiting: Unit<Database>[] = [];
  let draining = false;
  const run = statementRunner(db);

  async function runUnit(connection: Kysely<Database>, unit: Unit<Database>): Promise<void> {
    await run(connection, SAVEPOINT);
    let outcome: NonNullable<Unit<Database>['outcome']>;
    try {
      outcome = { ok: true, value: await unit.work(connection) };
    } catch (error) {
      // If SQLite abandoned the whole transaction, this throws and the group fails with the cause.
      await run(connection, ROLLBACK_TO).catch((rollbackError: unknown) => {
        throw new Error('the transaction was abandoned', { cause: error instanceof Error ? error : rollbackError });
      });
      outcome = { ok: false, error };
    }
    await run(connection, RELEASE);
    unit.outcome = outcome;
  }

  async function runTogether(units: readonly Unit<Database>[]): Promise<void> {
    await db.connection().execute((connection) => {
      const group = { running: true, connection };
      return insideGroup.run(group, async () => {
        try {
          await run(connection, BEGIN);
          try {
            for (const unit of units) await runUnit(connection, unit);
            await run(connection, COMMIT);
          } catch (error) {
            // Nothing to roll back when SQLite has already done it.
            await run(connection, ROLLBACK).catch(() => {});
            throw error;
          }
        } finally {
          group.running = false;
        }
      });
    });
  }

  async function drain(): Promise<void> {
    while (waiting.length > 0) {
      const units = waiting;
      waiting = [];
      try {
        await runTogether(units);
        for (const unit of units) {
          const outcome = unit.outcome!;
          if (outcome.ok) unit.resolve(outcome.value);
          else unit.reject(outcome.error);
        }
      } catch (error) {
        for (const unit of units) unit.reject(error);
      }
    }
    draining = false;
  }

  return function transaction<T>(work: (tx: Kysely<Database>) => Promise<T>): Promise<T> {
    if (insideGroupCommit()) return Promise.reject(new Error('a transaction cannot start inside another'));
    return new Promise<T>((resolve, reject) => {
      waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!draining) {
        draining = true;
        setImmediate(() => void drain());
      }
    });
  };
}
