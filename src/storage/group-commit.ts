// Group commit for SQLite. SQLite has one writer, and a commit costs more than the statements in it
// (every changed page is appended to the write-ahead log). Transactions that arrive while one is
// running wait and then run together: each in its own savepoint, so a failing one rolls back alone,
// and all of them committed at once. Each caller hears back only after that commit, so an
// acknowledged write is exactly as durable as before. A lone transaction starts at once.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely';

const SAVEPOINT = CompiledQuery.raw('SAVEPOINT unit');
const RELEASE = CompiledQuery.raw('RELEASE unit');
const ROLLBACK_TO = CompiledQuery.raw('ROLLBACK TO unit');

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

interface Unit<Database> {
  readonly work: (tx: Transaction<Database>) => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function groupCommit<Database>(db: Kysely<Database>) {
  let waiting: Unit<Database>[] = [];
  let draining = false;

  async function runTogether(units: readonly Unit<Database>[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    await db.transaction().execute(async (tx) => {
      for (const unit of units) {
        await tx.executeQuery(SAVEPOINT);
        try {
          outcomes.push({ ok: true, value: await unit.work(tx) });
          await tx.executeQuery(RELEASE);
        } catch (error) {
          await tx.executeQuery(ROLLBACK_TO);
          await tx.executeQuery(RELEASE);
          outcomes.push({ ok: false, error });
        }
      }
    });
    return outcomes;
  }

  async function drain(): Promise<void> {
    draining = true;
    while (waiting.length > 0) {
      const units = waiting;
      waiting = [];
      try {
        const outcomes = await runTogether(units);
        outcomes.forEach((outcome, i) => (outcome.ok ? units[i]!.resolve(outcome.value) : units[i]!.reject(outcome.error)));
      } catch (error) {
        // The commit (or a rollback) failed: nothing of this group was written.
        for (const unit of units) unit.reject(error);
      }
    }
    draining = false;
  }

  return function transaction<T>(work: (tx: Transaction<Database>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!draining) void drain();
    });
  };
}
