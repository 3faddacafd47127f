import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// Timesheet entries and the audit trail written in the same transaction as each change.
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('user_email', 'text', (c) => c.notNull())
    .addColumn('user_name', 'text', (c) => c.notNull())
    .addColumn('date', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    // Hundredths of an hour: exact sums on both engines, no floating-point drift.
    .addColumn('centihours', 'integer', (c) => c.notNull())
    .addColumn('notes', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rejection_reason', 'text')
    .addColumn('external_id', 'text')
    .addColumn('source_client_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('decided_by', 'text')
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema.createIndex('entries_user_date').on('entries').columns(['user_id', 'date', 'id']).execute();
  await db.schema.createIndex('entries_status_date').on('entries').columns(['status', 'date']).execute();
  // An import retried with the same external_id from the same client never creates a second entry.
  await db.schema
    .createIndex('entries_source_external')
    .on('entries')
    .columns(['source_client_id', 'external_id'])
    .unique() // NULLs are distinct: entries made by people (no external id) never collide
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey().generatedAlwaysAsIdentity() : c.primaryKey().autoIncrement(),
    )
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_events_subject').on('audit_events').column('subject').execute();
}
