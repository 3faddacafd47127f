// The storage part's own mechanics, on both engines where they apply: the entries store's prepared
// queries (compiled once, run with new values) and indexes, rate-limit windows, and SQLite's one
// connection (group commit, shared read transactions, the statement cache, the background checkpointer).
import { statSync } from 'node:fs';
import { DatabaseSync, StatementSync, type SQLInputValue } from 'node:sqlite';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { groupCommit } from '../src/storage/group-commit.ts';
import { newEntryId, type EntriesTable } from '../src/storage/index.ts';
import { preparedQuery } from '../src/storage/prepared.ts';
import { ENGINES, suiteDatabase } from './support/databases.ts';

const row = (userId: string, date: string, centihours: number): EntriesTable => ({
  id: newEntryId(),
  user_id: userId,
  user_email: `${userId}@example.test`,
  user_name: userId,
  date,
  project: 'Internal',
  centihours,
  notes: "it's \"quoted\"",
  status: 'pending',
  rejection_reason: null,
  external_id: null,
  source_client_id: null,
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  decided_by: null,
  decided_at: null,
});

describe.each(ENGINES)('entries store: prepared queries and indexes [%s]', (engine) => {
  const suite = suiteDatabase(engine);


  it('runs the same SQL with each call’s values, in the right places, inside and outside transactions', async () => {
    const { entries } = suite.database.stores;
    const monday = row('usr_a', '2026-03-02', 400);
    const tuesday = row('usr_a', '2026-03-03', 250);
    const other = row('usr_b', '2026-03-02', 800);
    await entries.transaction(async (tx) => {
      for (const r of [monday, tuesday, other]) await entries.insert(tx, r);
    });

    expect(await entries.find(entries.db, tuesday.id)).toEqual(tuesday);
    expect(await entries.find(entries.db, 'ent_missing')).toBeUndefined();
    const week = await entries.listOwned(entries.db, 'usr_a', { from: '2026-03-02', to: '2026-03-08', limit: 10 });
    expect(week.map((r) => r.id)).toEqual([tuesday.id, monday.id]);
    const page = await entries.listOwned(entries.db, 'usr_a', { limit: 1, after: { date: tuesday.date, id: tuesday.id } });
    expect(page.map((r) => r.id)).toEqual([monday.id]);
    expect(await entries.centihoursOn(entries.db, 'usr_a', '2026-03-02')).toBe(400);
    expect(await entries.centihoursOn(entries.db, 'usr_a', '2026-03-02', monday.id)).toBe(0);
    expect(await entries.centihoursOn(entries.db, 'usr_b', '2026-03-02')).toBe(800);

    const lost = row('usr_c', '2026-03-02', 100);
    await expect(
      entries.transaction(async (tx) => {
        await entries.insert(tx, lost);
        expect(await entries.find(tx, lost.id)).toEqual(lost);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await entries.find(entries.db, lost.id)).toBeUndefined();
  });

  it('keeps imported entries unique by client and external id, in an index that leaves out entries people made', async () => {
    const { entries } = suite.database.stores;
    const imported = (externalId: string) => ({ ...row('usr_i', '2026-04-06', 100), external_id: externalId, source_client_id: 'importer' });
    const created = await entries.transaction((tx) => entries.insertImported(tx, [imported('ext-unique'), imported('ext-other')]));
    expect([...created.keys()].sort()).toEqual(['ext-other', 'ext-unique']);
    expect(await entries.transaction((tx) => entries.insertImported(tx, [imported('ext-unique')]))).toEqual(new Map());
    expect(await entries.listOwned(entries.db, 'usr_i', { limit: 10 })).toHaveLength(2);

    // Migration 005: the unique index is partial, so an entry without an external id is not written into it.
    const definition =
      engine === 'sqlite'
        ? sql<{ text: string }>`SELECT sql AS text FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries' AND sql LIKE '%external_id%'`
        : sql<{ text: string }>`SELECT indexdef AS text FROM pg_indexes WHERE tablename = 'entries' AND indexdef LIKE '%external_id%'`;
    const indexes = (await definition.execute(suite.database.db)).rows.map((r) => r.text);
    expect(indexes).toEqual([expect.stringMatching(/UNIQUE INDEX "?entries_imported_external.*\(\s*"?source_client_id"?\s*,\s*"?external_id"?\s*\)\s*WHERE\s*\(?"?external_id"? IS NOT NULL/i)]);
  });

  it('refuses a placeholder that Kysely would not pass through as one parameter', async () => {
    // Written into the SQL text instead of bound: the same text would serve every call's value.
    const misuse = preparedQuery(suite.database.db, ['project'], (db, values: { project: string }) =>
      db.selectFrom('entries').selectAll().where('project', '=', sql.raw<string>(`'${String(values.project)}'`)),
    );
    await expect(misuse(suite.database.db, { project: 'Internal' })).rejects.toThrow(/project did not become parameters/);
  });
});

describe.each(ENGINES)('rate-limit windows [%s]', (engine) => {
  const suite = suiteDatabase(engine);

  it('counts exactly the limit of parallel events, and a refused one takes no place', async () => {
    const { rateLimits } = suite.database.stores;
    const start = 1_000_000;
    const hits = await Promise.all(Array.from({ length: 12 }, () => rateLimits.hit('k:parallel', 3, 60_000, start)));
    expect(hits.filter((hit) => hit.counted)).toHaveLength(3);
    expect(new Set(hits.map((hit) => hit.windowStartedAt))).toEqual(new Set([start]));

    // Nine refusals later, one counted event given back frees exactly one place.
    await rateLimits.release('k:parallel', 3);
    expect((await rateLimits.hit('k:parallel', 3, 60_000, start + 1)).counted).toBe(true);
    expect((await rateLimits.hit('k:parallel', 3, 60_000, start + 2)).counted).toBe(false);

    // A passed window starts afresh.
    const later = await rateLimits.hit('k:parallel', 3, 60_000, start + 60_000);
    expect(later).toEqual({ counted: true, windowStartedAt: start + 60_000 });
  });
});

describe('SQLite connection: group commit, shared reads, statement cache, checkpoints [sqlite]', () => {
  const suite = suiteDatabase('sqlite', { sqliteBackgroundCheckpoints: true });

  /** Group commit over the test database, counting the connections it takes: one per commit. */
  function countedGroupCommit() {
    let commits = 0;
    const counted = new Proxy(suite.database.db, {
      get: (target, key, receiver) =>
        key === 'connection' ? () => (commits++, target.connection()) : Reflect.get(target, key, receiver),
    });
    return { transaction: groupCommit(counted), commits: () => commits };
  }

  it('runs concurrent transactions under one commit, and a failing one rolls back alone', async () => {
    const { transaction, commits } = countedGroupCommit();
    const rows = Array.from({ length: 30 }, (_, i) => row(`usr_group_${i}`, '2026-04-06', 100));
    const outcomes = await Promise.allSettled(
      rows.map((r, i) =>
        transaction(async (tx) => {
          await suite.database.stores.entries.insert(tx, r);
          if (i % 3 === 0) throw new Error(`unit ${i} changed its mind`);
          // Each unit sees the ones before it in its group, as if they had committed first.
          return Number((await sql<{ n: number }>`SELECT count(*) AS n FROM entries WHERE user_id LIKE 'usr_group_%'`.execute(tx)).rows[0]!.n);
        }),
      ),
    );
    expect(commits()).toBeGreaterThan(0);
    expect(commits()).toBeLessThan(rows.length / 2);
    outcomes.forEach((outcome, i) => {
      if (i % 3 === 0) expect(outcome).toEqual({ status: 'rejected', reason: new Error(`unit ${i} changed its mind`) });
      else expect(outcome.status).toBe('fulfilled');
    });
    const stored = await suite.database.db.selectFrom('entries').select('id').where('user_id', 'like', 'usr_group_%').execute();
    expect(new Set(stored.map((r) => r.id))).toEqual(new Set(rows.filter((_, i) => i % 3 !== 0).map((r) => r.id)));
  });

  it('groups transactions begun in separate event-loop callbacks, as requests read from separate sockets are', async () => {
    const { transaction, commits } = countedGroupCommit();
    const rows = Array.from({ length: 20 }, (_, i) => row(`usr_callbacks_${i}`, '2026-04-09', 100));
    // Each transaction is begun from its own callback; the microtasks of one run before the next.
    const outcomes = await Promise.all(
      rows.map((r) => new Promise((resolve) => setImmediate(() => resolve(transaction((tx) => suite.database.stores.entries.insert(tx, r)))))),
    );
    expect(outcomes).toHaveLength(rows.length);
    expect(commits()).toBe(1);
    expect(await suite.database.db.selectFrom('entries').select('id').where('user_id', 'like', 'usr_callbacks_%').execute()).toHaveLength(rows.length);
  });

  it('keeps the statement in use prepared while hundreds of one-off statements pass through its cache', async () => {
    const prepares = vi.spyOn(DatabaseSync.prototype, 'prepare');
    const { db } = suite.database;
    const HOT = 'SELECT count(*) AS n FROM entries WHERE user_id = ?';
    const hot = () => db.executeQuery(CompiledQuery.raw(HOT, ['usr_hot']));
    try {
      await hot();
      // More one-off texts than the cache holds (256); the hot one runs between each.
      for (let i = 0; i < 300; i++) {
        await db.executeQuery(CompiledQuery.raw(`SELECT ${i} AS n`, []));
        await hot();
      }
      const texts = prepares.mock.calls.map(([text]) => text);
      expect(texts.filter((text) => text === HOT)).toHaveLength(1);
      // A one-off text evicted long ago is prepared again.
      await db.executeQuery(CompiledQuery.raw('SELECT 0 AS n', []));
      expect(prepares.mock.calls.filter(([text]) => text === 'SELECT 0 AS n')).toHaveLength(2);
    } finally {
      prepares.mockRestore();
    }
  });

  it('sums a person’s hours on a day from the index alone', async () => {
    // The statement the store itself runs, caught on its way into SQLite, then explained.
    const statements = vi.spyOn(StatementSync.prototype, 'all');
    const { entries } = suite.database.stores;
    let ran: { sql: string; parameters: unknown[] }[];
    try {
      await entries.centihoursOn(entries.db, 'usr_a', '2026-03-02');
      ran = statements.mock.contexts
        .map((statement, call) => ({ sql: (statement as StatementSync).sourceSQL, parameters: statements.mock.calls[call]! }))
        .filter(({ sql }) => sql.includes('sum('));
    } finally {
      statements.mockRestore();
    }
    expect(ran).toHaveLength(1);
    const plan = await suite.database.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${ran[0]!.sql}`, ran[0]!.parameters));
    expect(plan.rows.map((r) => r.detail)).toEqual([expect.stringContaining('USING COVERING INDEX entries_user_date_hours')]);
  });

  it('refuses a transaction started inside another instead of waiting for itself', async () => {
    const { entries } = suite.database.stores;
    const inner = row('usr_nested', '2026-04-08', 100);
    await expect(entries.transaction(async () => entries.transaction(async (tx) => entries.insert(tx, inner)))).rejects.toThrow(
      'a transaction cannot start inside another',
    );
    expect(await entries.find(entries.db, inner.id)).toBeUndefined();
    // The connection is free again afterwards.
    await entries.transaction(async (tx) => entries.insert(tx, inner));
    expect(await entries.find(entries.db, inner.id)).toEqual(inner);
  });

  it('lets the reads of one event-loop turn share a read transaction, ended by the turn or by a write', async () => {
    const { entries } = suite.database.stores;
    const db = suite.database.db;
    // Another connection to the same file, as the admin CLI's would be.
    const otherProcess = new DatabaseSync(suite.url.slice('sqlite:'.length), { timeout: 5000 });
    try {
      const theirs = row('usr_other_process', '2026-04-09', 100);
      const columns = Object.keys(theirs);
      const insert = otherProcess.prepare(`INSERT INTO entries (${columns.join(', ')}) VALUES (${columns.map((c) => `:${c}`).join(', ')})`);
      expect(await entries.find(db, theirs.id)).toBeUndefined(); // this turn's read transaction begins
      insert.run(theirs as unknown as Record<string, SQLInputValue>); // a reader never blocks a writer (WAL)
      // Within the turn the shared snapshot holds; it is never older than the turn's first read.
      expect(await entries.find(db, theirs.id)).toBeUndefined();
      await new Promise((resolve) => setImmediate(resolve));
      expect(await entries.find(db, theirs.id)).toEqual(theirs);

      // A write in the same turn ends the shared read transaction first: it is committed when it
      // returns, so another connection sees it at once (inside the read transaction it would not be).
      expect(await entries.find(db, theirs.id)).toEqual(theirs);
      await suite.database.stores.rateLimits.hit('k:read-group', 5, 60_000);
      expect(otherProcess.prepare('SELECT count FROM rate_limits WHERE key = ?').get('k:read-group')).toEqual({ count: 1 });
      expect(await db.selectFrom('rate_limits').select('count').where('key', '=', 'k:read-group').executeTakeFirst()).toEqual({ count: 1 });
      await new Promise((resolve) => setImmediate(resolve));
      // The turn over, no read transaction is left: the whole log can be checkpointed and truncated
      // (a reader still holding a snapshot in it would make this report busy).
      expect(otherProcess.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get()).toMatchObject({ busy: 0 });
    } finally {
      otherProcess.close();
    }
  });

  it('refuses a query that bypasses its transaction from inside a group, instead of waiting for the group forever', async () => {
    const { entries } = suite.database.stores;
    await expect(entries.transaction(async () => entries.find(entries.db, 'ent_elsewhere'))).rejects.toThrow('pass the transaction');
    // The group and the connection carry on; work a unit started runs normally once the group is over.
    const after = row('usr_after_refusal', '2026-04-08', 100);
    let startedByTheUnit: Promise<unknown> | undefined;
    await entries.transaction(async (tx) => {
      startedByTheUnit = new Promise((resolve) => setTimeout(resolve, 20)).then(() => entries.find(entries.db, after.id));
      await entries.insert(tx, after);
    });
    expect(await entries.find(entries.db, after.id)).toEqual(after);
    await expect(startedByTheUnit).resolves.toEqual(after);
  });

  it('makes a read on the root handle wait while a group holds the connection, so it never sees a unit’s uncommitted rows', async () => {
    const { entries } = suite.database.stores;
    const abandoned = row('usr_abandoned', '2026-04-10', 100);
    let unitInserted!: () => void;
    const inserted = new Promise<void>((resolve) => (unitInserted = resolve));
    const group = entries.transaction(async (tx) => {
      await entries.insert(tx, abandoned);
      unitInserted();
      // The group keeps the connection, its transaction open, across this wait.
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error('the unit changed its mind');
    });
    await inserted;
    // Outside the group: on the one connection at once, this read would see the row inside the
    // group's open transaction, rolled back a moment later.
    let settled = false;
    const read = entries.find(entries.db, abandoned.id).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
    await expect(group).rejects.toThrow('the unit changed its mind');
    await expect(read).resolves.toBeUndefined();
  });

  it('runs the hot statements without Kysely’s executor, in the order they were issued', async () => {
    const { entries } = suite.database.stores;
    const kept = row('usr_direct', '2026-04-11', 100);
    const throughKysely = vi.spyOn(Kysely.prototype, 'executeQuery');
    try {
      // A group commit (BEGIN, SAVEPOINT, the insert, RELEASE, COMMIT) and a read on the root handle.
      await entries.transaction((tx) => entries.insert(tx, kept));
      expect(await entries.find(entries.db, kept.id)).toEqual(kept);
      expect(throughKysely).not.toHaveBeenCalled();
    } finally {
      throughKysely.mockRestore();
    }
    // A statement through Kysely takes the connection when it is issued: a direct read issued after
    // it, in the same turn, runs after it.
    const [, found] = await Promise.all([
      suite.database.db.deleteFrom('entries').where('id', '=', kept.id).execute(),
      entries.find(entries.db, kept.id),
    ]);
    expect(found).toBeUndefined();
  });

  it('moves committed pages into the database file from the worker thread, not on commit', async () => {
    const file = suite.url.slice('sqlite:'.length);
    const before = statSync(file).size;
    // About 2 MB of new pages: far below the request thread's own checkpoint threshold (16,000 pages).
    await suite.database.stores.entries.transaction(async (tx) => {
      for (let i = 0; i < 4000; i++) await suite.database.stores.entries.insert(tx, row(`usr_bulk_${i % 50}`, '2026-04-07', 1));
    });
    // The file grows page by page while a checkpoint copies them: wait for all of it.
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 1_000_000), { timeout: 5000, interval: 50 });
  });
});
