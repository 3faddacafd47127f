import type { Kysely } from 'kysely';

// Every new or edited entry sums its person's hours on its day (the 24-hour rule). With the hours in
// the index that sum reads the index alone instead of one table row per entry on that day (measured
// on SQLite, 287 entries on a day: 110 → 22 µs). The week view keeps its order (user, date, id).
// On SQLite the two steps are not one transaction: each may be found done by a retry after a crash.
// On PostgreSQL the build holds a lock that stops writes to entries until it ends.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('entries_user_date_hours')
    .ifNotExists()
    .on('entries')
    .columns(['user_id', 'date', 'id', 'centihours'])
    .execute();
  await db.schema.dropIndex('entries_user_date').ifExists().execute();
}
