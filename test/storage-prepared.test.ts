// Prepared queries (compiled once, run with new values) against both engines: the values reach the
// right parameters, a transaction's rollback covers them, and a misuse is refused at compile time.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newEntryId, openDatabase, type Database, type EntriesTable } from '../src/storage/index.ts';
import { preparedQuery } from '../src/storage/prepared.ts';
import { createTestDatabase, ENGINES, type TestDatabase } from './support/databases.ts';

describe.each(ENGINES)('prepared queries [%s]', (engine) => {
  let testDatabase: TestDatabase;
  let database: Database;

  beforeAll(async () => {
    testDatabase = await createTestDatabase(engine);
    database = await openDatabase(testDatabase.url);
  });
  afterAll(async () => {
    await database?.close();
    await testDatabase?.drop();
  });

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

  it('runs the same SQL with each call’s values, in the right places, inside and outside transactions', async () => {
    const { entries } = database.stores;
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

  it('refuses a placeholder that Kysely would not pass through as one parameter', async () => {
    // Written into the SQL text instead of bound: the same text would serve every call's value.
    const misuse = preparedQuery(database.db, ['project'], (db, values: { project: string }) =>
      db.selectFrom('entries').selectAll().where('project', '=', sql.raw<string>(`'${String(values.project)}'`)),
    );
    await expect(misuse(database.db, { project: 'Internal' })).rejects.toThrow(/project did not become parameters/);
  });
});
