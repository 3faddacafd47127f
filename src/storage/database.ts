// One query layer (Kysely) over two engines: SQLite embedded (Node's built-in node:sqlite, no
// native compile) and PostgreSQL (pg) when several instances share one database.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { Kysely, PostgresDialect, SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { insideGroupCommit, runningGroupConnection } from './group-commit.ts';
import { registerDirectRunner, type DirectRunner } from './statements.ts';
import type { Database as Schema } from './schema.ts';
import * as tenant from './migrations/001-tenant.ts';
import * as entries from './migrations/002-entries.ts';
import * as importTombstones from './migrations/003-import-tombstones.ts';
import * as dayTotalIndex from './migrations/004-day-total-index.ts';
import * as importedEntriesIndex from './migrations/005-imported-entries-index.ts';

export type Dialect = 'sqlite' | 'postgres';
export type Db = Kysely<Schema>;

export interface Storage {
  readonly db: Db;
  readonly dialect: Dialect;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** PostgreSQL pool size (per instance). */
  poolSize?: number;
  /**
   * SQLite durability. `normal` (default): a committed write survives a crash of the process, and
   * commits need no fsync (the WAL is synced at checkpoints). `full`: it also survives a power loss
   * or an operating-system crash, at the price of one fsync per commit.
   */
  sqliteSynchronous?: 'normal' | 'full';
  /**
   * SQLite: checkpoint the write-ahead log from a worker thread (the server turns this on; short
   * commands leave it off). The request thread then copies pages into the database file only if
   * the log grows far (BACKSTOP_CHECKPOINT_PAGES) or the thread fails.
   */
  sqliteBackgroundCheckpoints?: boolean;
}

function dialectOf(url: string): Dialect {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export async function openStorage(url: string, options: OpenOptions = {}): Promise<Storage> {
  const dialect = dialectOf(url);
  let storage: Storage;
  if (dialect === 'sqlite') {
    const file = url.slice('sqlite:'.length);
    const synchronous = options.sqliteSynchronous ?? 'normal';
    const { db, database } = openSqlite(file, synchronous);
    const onDisk = file !== '' && file !== ':memory:';
    const checkpointer = options.sqliteBackgroundCheckpoints && onDisk ? startCheckpointer(file, synchronous, database) : undefined;
    storage = {
      db,
      dialect,
      async close() {
        try {
          await db.destroy();
        } finally {
          await checkpointer?.stop();
        }
      },
    };
  } else {
    const db = openPostgres(url, options.poolSize ?? 10);
    storage = { db, dialect, close: () => db.destroy() };
  }
  try {
    await migrate(storage);
  } catch (error) {
    await storage.close();
    throw error;
  }
  return storage;
}

/**
 * With a checkpointer thread, pages in the write-ahead log before a commit checkpoints it itself
 * anyway (the thread is stuck or far behind). SQLite's default, without the thread: 1,000.
 */
const BACKSTOP_CHECKPOINT_PAGES = 16_000;
const CHECKPOINT_INTERVAL_MS = 100;

/**
 * The checkpointer: a worker thread beside the server's SQLite connection that moves committed
 * pages from the write-ahead log into the database file, so that commits on the request thread only
 * append to the log (in process: 103 → 53 µs of commit per logged entry; the import, +10%). PASSIVE
 * copies what no reader still needs and never waits. Plain JavaScript, run from this string: a
 * TypeScript file would load Node's type stripper into the thread too (+11 MB resident).
 */
const CHECKPOINTER_SOURCE = `
const { DatabaseSync } = require('node:sqlite');
const { parentPort, workerData } = require('node:worker_threads');
const database = new DatabaseSync(workerData.file, { timeout: 0 });
database.exec('PRAGMA synchronous = ' + workerData.synchronous);
const checkpoint = database.prepare('PRAGMA wal_checkpoint(PASSIVE)');
function run() {
  try { checkpoint.get(); } catch { /* busy: another checkpoint runs; the next tick catches up */ }
}
const timer = setInterval(run, workerData.intervalMs);
parentPort.once('message', () => { clearInterval(timer); run(); database.close(); parentPort.close(); });
`;

/** Hands checkpoints to the checkpointer; should it fail, commits checkpoint as usual again. */
function startCheckpointer(file: string, synchronous: 'normal' | 'full', database: DatabaseSync) {
  const workerData = { file, synchronous: synchronous.toUpperCase(), intervalMs: CHECKPOINT_INTERVAL_MS };
  const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData });
  worker.unref();
  database.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES};`);
  worker.once('error', (error) => {
    if (database.isOpen) database.exec('PRAGMA wal_autocheckpoint = 1000;');
    process.emitWarning(`SQLite checkpointer thread failed (${error.message}); commits checkpoint the log themselves again`);
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.postMessage('stop');
      // A last checkpoint, then the thread ends; one that hangs is ended after a few seconds.
      const deadline = setTimeout(() => void worker.terminate(), 5000);
      await exited;
      clearTimeout(deadline);
    },
  };
}

function openSqlite(file: string, synchronous: 'normal' | 'full'): { db: Db; database: DatabaseSync } {
  if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new DatabaseSync(file, { timeout: 5000 });
  // WAL: readers never block the writer. See OpenOptions.sqliteSynchronous for durability.
  database.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = ${synchronous.toUpperCase()}; PRAGMA foreign_keys = ON;`);
  // A 16 MB page cache; the operating system caches the rest of the file.
  database.exec('PRAGMA cache_size = -16000;');
  // Savepoints (one per unit of a group commit) and statements that may need undoing keep each
  // page's old content in a sub-journal until they end: in memory, not in a temporary file
  // (measured on the import's per-row inserts inside a savepoint: 35 → 22 µs a row).
  database.exec('PRAGMA temp_store = MEMORY;');
  const adapter = adaptNodeSqlite(database);
  const dialect = new OneConnectionSqliteDialect({ database: adapter });
  const db = new Kysely<Schema>({ dialect });
  registerDirectRunner(db, directSqliteRunner(db, adapter, () => dialect.connectionHeld));
  return { db, database };
}

/**
 * A statement runs at once only where Kysely would not wait either; anything else goes through Kysely
 * and its connection lock. Like every direct statement, it skips Kysely's query log and plugins
 * (this handle has neither).
 */
function directSqliteRunner(root: Db, adapter: ReturnType<typeof adaptNodeSqlite>, connectionHeld: () => boolean): DirectRunner {
  return (executor, query) => {
    const group = runningGroupConnection();
    if (group) {
      // In a group commit's unit: only on the group's own handle, the connection it holds. Any other
      // handle (the root, which the driver refuses from inside a group) goes through Kysely.
      if (executor !== group) return undefined;
    } else if (executor !== (root as object) || connectionHeld()) {
      // Outside a group: only on the root handle while no one holds the connection. A query that
      // would wait behind a transaction, or one on a transaction's handle (Kysely's own, or a group's
      // after the group ended), goes through Kysely.
      return undefined;
    }
    // What Kysely's SQLite connection does with a compiled query, without its promises.
    const statement = adapter.prepare(query.sql);
    if (statement.reader) return { rows: statement.all(query.parameters) };
    const { changes, lastInsertRowid } = statement.run(query.parameters);
    return { insertId: BigInt(lastInsertRowid), numAffectedRows: BigInt(changes), rows: [] };
  };
}

/**
 * SQLite has one connection here, and a group commit holds it while its units run: a query from a
 * unit that does not go through the unit's transaction would wait for the group forever. It is
 * refused at once instead, naming the mistake. That needs the connection's lock in the driver (Kysely
 * would otherwise queue the query on a lock of its own before the driver is asked), so the adapter
 * tells Kysely not to lock, and the driver takes the lock itself.
 */
class OneConnectionSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new (class extends SqliteAdapter {
      override get supportsMultipleConnections(): boolean {
        return true; // the lock is the driver's own, below
      }
    })();
  }

  #held = false;

  /** True while a query or a transaction has the connection (the direct runner asks). */
  get connectionHeld(): boolean {
    return this.#held;
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    const release = driver.releaseConnection.bind(driver);
    const waiting: (() => void)[] = [];
    // Straight to the next in line, still held; or free.
    const handOn = () => {
      const next = waiting.shift();
      if (next) next();
      else this.#held = false;
    };
    driver.acquireConnection = async () => {
      if (insideGroupCommit()) {
        throw new Error('a query outside its transaction, from inside one, would wait for it forever: pass the transaction');
      }
      if (this.#held) await new Promise<void>((resolve) => waiting.push(resolve));
      this.#held = true;
      try {
        return await acquire();
      } catch (error) {
        handOn();
        throw error;
      }
    };
    driver.releaseConnection = async (connection) => {
      try {
        await release(connection);
      } finally {
        handOn();
      }
    };
    return driver;
  }
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver speaks better-sqlite3's statement interface; node:sqlite is one step away.
 * Prepared statements are kept by SQL text (the same few queries run all day), the least recently
 * used dropped first.
 * Rows come from SQLite as arrays and become objects here: node:sqlite's own row objects are built
 * in V8's slow dictionary mode, and reading them cost more than building them in JavaScript
 * (measured on the week query: 16 → 10 µs for the rows and their conversion to entries).
 */
function adaptNodeSqlite(database: DatabaseSync) {
  const bind = (parameters: ReadonlyArray<unknown>) =>
    parameters.map((value) => (typeof value === 'boolean' ? Number(value) : value) as SQLInputValue);
  type Prepared = { statement: StatementSync; columns: readonly string[]; select: boolean; lastUsed: number };
  const statements = new Map<string, Prepared>();
  let uses = 0;
  // A hit only stamps its entry; the least recently used is looked for when a new statement would
  // overflow the cache (a Map reordered on every hit cost 1.5% of the server's CPU on the import).
  const prepared = (sql: string): Prepared => {
    let entry = statements.get(sql);
    if (!entry) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(leastRecentlyUsed());
      const statement = database.prepare(sql);
      statement.setReturnArrays(true);
      entry = { statement, columns: statement.columns().map((column) => column.name), select: /^\s*select\b/i.test(sql), lastUsed: 0 };
      statements.set(sql, entry);
    }
    entry.lastUsed = ++uses;
    return entry;
  };
  const leastRecentlyUsed = () => {
    let oldest: [string, Prepared] | undefined;
    for (const pair of statements) if (!oldest || pair[1].lastUsed < oldest[1].lastUsed) oldest = pair;
    return oldest![0];
  };
  const toRow = (columns: readonly string[], values: readonly unknown[]) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) row[columns[i]!] = values[i];
    return row;
  };
  const reads = readGroups(database);
  return {
    close: () => {
      try {
        reads.end();
      } finally {
        database.close();
      }
    },
    prepare(sql: string) {
      const { statement, columns, select } = prepared(sql);
      return {
        reader: columns.length > 0,
        all: (parameters: ReadonlyArray<unknown>) => {
          if (select) reads.join();
          else reads.end();
          return (statement.all(...bind(parameters)) as unknown as unknown[][]).map((values) => toRow(columns, values));
        },
        run: (parameters: ReadonlyArray<unknown>) => {
          reads.end();
          return statement.run(...bind(parameters));
        },
        // Rows may be taken over several turns of the event loop: outside any read group.
        *iterate(parameters: ReadonlyArray<unknown>) {
          reads.end();
          for (const values of statement.iterate(...bind(parameters))) yield toRow(columns, values as unknown as unknown[]);
        },
      };
    },
  };
}

/**
 * Reads outside a transaction share one read transaction per turn of the event loop. SQLite begins
 * and ends a read transaction around every statement otherwise, and on this machine that costs three
 * system calls (two fcntl locks and an fstat: ~3 of the ~4 µs of a read by primary key, measured).
 * The shared transaction ends on the next check phase, or at once before any other statement (a
 * write, or a BEGIN), so this process always reads what it has committed. A write by another process
 * (the admin CLI) is seen from the next turn on; a group begun in a check phase (code resumed after a
 * group commit) lasts through the following turn's poll phase.
 */
function readGroups(database: DatabaseSync) {
  const begin = database.prepare('BEGIN');
  const commit = database.prepare('COMMIT');
  let open = false;
  const end = () => {
    if (!open) return;
    open = false;
    if (!database.isTransaction) return;
    try {
      commit.run();
    } catch {
      // A read-only transaction loses nothing by rolling back; left open it would pin an old snapshot.
      // Should the rollback fail too, the error ends the process rather than serve stale reads.
      database.exec('ROLLBACK');
    }
  };
  return {
    /** Before a SELECT: inside a transaction already (a read group or a writer's), or in a new read group. */
    join() {
      if (database.isTransaction) return;
      begin.run();
      open = true;
      setImmediate(end);
    },
    end,
  };
}

function openPostgres(url: string, max: number): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 5000,
    // bigint columns hold epoch milliseconds and counts: well inside Number's exact range.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A client that loses its server must not crash the process: idle ones are dropped by the pool,
  // a busy one fails its query (the caller answers 503); the next query reconnects.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
}

const MIGRATIONS: ReadonlyArray<[string, (db: Kysely<unknown>, dialect: Dialect) => Promise<void>]> = [
  ['001-tenant', tenant.up],
  ['002-entries', entries.up],
  ['003-import-tombstones', importTombstones.up],
  ['004-day-total-index', dayTotalIndex.up],
  ['005-imported-entries-index', importedEntriesIndex.up],
];

/** Runs the migrations not yet recorded; Kysely records each one and never re-runs it. */
export async function migrate(storage: Storage): Promise<void> {
  const provider: MigrationProvider = {
    async getMigrations() {
      const migrations: Record<string, Migration> = {};
      for (const [name, up] of MIGRATIONS) migrations[name] = { up: (db) => up(db, storage.dialect) };
      return migrations;
    },
  };
  const { error, results } = await new Migrator({ db: storage.db, provider }).migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}
