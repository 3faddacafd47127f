// Hot queries, compiled once. Kysely builds and compiles a query tree on every call; on the hottest
// paths (an employee's week, logging time) that cost as much as SQLite's own work (bench/profile.ts).
// A prepared query is built once with placeholders standing for its values; each call runs the
// same SQL text with the new values, on the executor it is given (same connection, same transaction;
// see statements.ts).
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';
import { statementRunner } from './statements.ts';

const SLOT = Symbol('prepared-query-slot');

interface Slot {
  readonly [SLOT]: string;
}

function isSlot(value: unknown): value is Slot {
  return typeof value === 'object' && value !== null && SLOT in value;
}

/**
 * `build` receives a placeholder for each of `keys`; use each one where a plain value goes (a
 * comparison, an inserted column, a SET), and never branch on one: the query is built once, so
 * its shape must not depend on the values (one prepared query per shape instead). Anything Kysely
 * would take apart (an `in` list, a literal) cannot be a placeholder: compiling refuses a query
 * whose placeholders did not all reach the parameters.
 */
export function preparedQuery<Database, Values extends object, Row>(
  db: Kysely<Database>,
  keys: readonly (keyof Values & string)[],
  build: (db: Kysely<Database>, values: Values) => Compilable<Row>,
): (executor: Kysely<Database>, values: Values) => Promise<Row[]> {
  const execute = prepared(db, keys, build);
  return async (executor, values) => (await execute(executor, values)).rows;
}

/** A prepared INSERT, UPDATE or DELETE without RETURNING: resolves with the number of rows it changed. */
export function preparedCommand<Database, Values extends object>(
  db: Kysely<Database>,
  keys: readonly (keyof Values & string)[],
  build: (db: Kysely<Database>, values: Values) => Compilable<unknown>,
): (executor: Kysely<Database>, values: Values) => Promise<number> {
  const execute = prepared(db, keys, build);
  return async (executor, values) => Number((await execute(executor, values)).numAffectedRows ?? 0);
}

function prepared<Database, Values extends object, Row>(
  db: Kysely<Database>,
  keys: readonly (keyof Values & string)[],
  build: (db: Kysely<Database>, values: Values) => Compilable<Row>,
): (executor: Kysely<Database>, values: Values) => Promise<QueryResult<Row>> {
  let compiled: { sql: string; parameters: readonly unknown[] } | undefined;

  function compile() {
    const used = new Set<string>();
    const placeholders = {} as Values;
    for (const key of keys) {
      Object.defineProperty(placeholders, key, {
        enumerable: true,
        get: () => {
          used.add(key);
          return { [SLOT]: key } satisfies Slot;
        },
      });
    }
    const query = build(db, placeholders).compile();
    const reached = new Set(query.parameters.filter(isSlot).map((slot) => slot[SLOT]));
    const lost = [...used].filter((key) => !reached.has(key));
    if (lost.length) throw new Error(`prepared query: ${lost.join(', ')} did not become parameters of ${query.sql}`);
    return { sql: query.sql, parameters: query.parameters };
  }

  const run = statementRunner(db);
  return (executor, values) => {
    compiled ??= compile();
    const parameters = compiled.parameters.map((parameter) => (isSlot(parameter) ? (values as Record<string, unknown>)[parameter[SLOT]] : parameter));
    return run<Row>(executor, CompiledQuery.raw(compiled.sql, parameters));
  };
}
