import type { Kysely } from 'kysely';

// An imported entry its owner deleted is remembered by its external id, so the nightly re-import of
// the same file does not bring it back.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('import_tombstones')
    .addColumn('source_client_id', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('entry_id', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('import_tombstones_pk', ['source_client_id', 'external_id'])
    .execute();
}
