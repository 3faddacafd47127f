// Lists with a ceiling say so instead of quietly cutting the answer short: the approvals list
// flags `truncated`, an export too large for one file is refused with the range fields named.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING } from '../src/api/routes/approvals.ts';
import { MAX_EXPORT_ROWS } from '../src/api/timesheets.ts';
import { apiClient, userToken, type ApiClient } from './support/api.ts';
import { ENGINES } from './support/databases.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

describe.each(ENGINES)('lists at their ceiling [%s]', (engine) => {
  let running: RunningSystem;
  let maria: ApiClient;
  let ellen: ApiClient;

  let filled = 0;
  /** `count` entries of one person on one date, written by the database itself (fast). */
  async function fill(email: string, count: number, date: string, status: 'pending' | 'approved'): Promise<void> {
    const prefix = `ent_fill${filled++}_`;
    const { db, dialect, stores } = running.system.database;
    const owner = (await stores.users.findByEmail(email))!;
    const series =
      dialect === 'postgres'
        ? sql`generate_series(1, ${sql.lit(count)}) AS s(i)`
        : sql`(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ${sql.lit(count)}) SELECT i FROM s) AS s`;
    const now = new Date().toISOString();
    await sql`
      INSERT INTO entries (id, user_id, user_email, user_name, date, project, centihours, notes, status,
                           rejection_reason, external_id, source_client_id, created_at, updated_at, decided_by, decided_at)
      SELECT ${prefix} || s.i, ${owner.id}, ${owner.email}, ${owner.name}, ${date}, 'Internal', 1, NULL, ${status},
             NULL, NULL, NULL, ${now}, ${now}, NULL, NULL
      FROM ${series}`.execute(db);
  }

  beforeAll(async () => {
    running = await startSystem(engine);
    maria = apiClient(running.baseUrl, await userToken(running, 'maria@abc-inc.example'));
    ellen = apiClient(running.baseUrl, await userToken(running, 'ellen@abc-inc.example'));
    // Carl one over the approvals list's ceiling, Adam exactly at it; Ellen one over the export's, Maria exactly at it.
    await fill('carl@abc-inc.example', MAX_PENDING + 1, '2001-01-01', 'pending');
    await fill('adam@abc-inc.example', MAX_PENDING, '2001-03-01', 'pending');
    await fill('ellen@abc-inc.example', MAX_EXPORT_ROWS + 1, '2001-01-02', 'approved');
    await fill('maria@abc-inc.example', MAX_EXPORT_ROWS, '2001-03-02', 'approved');
  }, 120_000);
  afterAll(async () => running?.stop());

  it('answers the first MAX_PENDING pending entries and says that more are waiting', async () => {
    const all = await maria('GET', '/api/approvals');
    expect(all.status).toBe(200);
    expect(all.body.items).toHaveLength(MAX_PENDING);
    expect(all.body.truncated).toBe(true);
    const carl = await maria('GET', '/api/approvals?user=carl@abc-inc.example');
    expect(carl.body.items).toHaveLength(MAX_PENDING);
    expect(carl.body.truncated).toBe(true);
    // Exactly at the ceiling: everything, and nothing more waiting.
    const adam = await maria('GET', '/api/approvals?user=adam@abc-inc.example');
    expect(adam.body.items).toHaveLength(MAX_PENDING);
    expect(adam.body.truncated).toBe(false);
  });

  it('refuses an export larger than one file with 422 naming the range, and exports a shorter range', async () => {
    const tooLong = await ellen('GET', '/api/timesheets/export.csv?from=2001-01-01&to=2001-01-31');
    expect(tooLong.status).toBe(422);
    expect(tooLong.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(tooLong.body.errors.map((e: { field: string }) => e.field)).toEqual(['from', 'to']);
    const shorter = await ellen('GET', '/api/timesheets/export.csv?from=2001-01-03&to=2001-01-31');
    expect(shorter.status).toBe(200);
    expect(shorter.text.trim().split('\r\n')).toHaveLength(1); // the header row only
    // Exactly at the ceiling: the whole file.
    const whole = await maria('GET', '/api/timesheets/export.csv');
    expect(whole.status).toBe(200);
    expect(whole.text.trim().split('\r\n')).toHaveLength(MAX_EXPORT_ROWS + 1);
  });
});
