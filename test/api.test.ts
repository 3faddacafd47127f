// The Timesheets API against the running system: every route, rule, status code and error body,
// with real tokens for an employee, a contractor, a manager and the import job, on both engines.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USER_API_SCOPES } from '../src/domain/access.ts';
import { apiClient, importJobToken, userToken, type ApiClient } from './support/api.ts';
import { ENGINES } from './support/databases.ts';
import { signInWithCode } from './support/oidc.ts';
import { startSystem, type RunningSystem } from './support/system.ts';

const PROBLEM = 'application/problem+json; charset=utf-8';

describe.each(ENGINES)('Timesheets API [%s]', (engine) => {
  let running: RunningSystem;
  let ellen: ApiClient;
  let carl: ApiClient;
  let maria: ApiClient;
  let importJob: ApiClient;
  let anonymous: ApiClient;
  let ellenIdToken: string;

  beforeAll(async () => {
    running = await startSystem(engine);
    const ellenSignIn = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
    ellenIdToken = ellenSignIn.tokens.id_token!;
    ellen = apiClient(running.baseUrl, ellenSignIn.tokens.access_token);
    carl = apiClient(running.baseUrl, await userToken(running, 'carl@abc-inc.example'));
    maria = apiClient(running.baseUrl, await userToken(running, 'maria@abc-inc.example'));
    importJob = apiClient(running.baseUrl, await importJobToken(running));
    anonymous = apiClient(running.baseUrl);
  });
  afterAll(async () => running?.stop());

  const entry = (date: string, hours = 4, project = 'StoreZero', notes?: string) => ({ date, project, hours, ...(notes ? { notes } : {}) });
  const countOwn = async (api: ApiClient) => (await api('GET', '/api/timesheets?limit=500')).body.items.length as number;

  describe('trust', () => {
    it('asks for a token with 401 and WWW-Authenticate: Bearer', async () => {
      const response = await anonymous('GET', '/api/timesheets');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer');
      expect(response.headers.get('content-type')).toBe(PROBLEM);
    });

    it('refuses a bad token, a token in the query string and an ID token with invalid_token', async () => {
      const garbage = await apiClient(running.baseUrl, 'not.a.token')('GET', '/api/me');
      expect(garbage.status).toBe(401);
      expect(garbage.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      const idToken = await apiClient(running.baseUrl, ellenIdToken)('GET', '/api/me');
      expect(idToken.status).toBe(401);
      const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'ellen@abc-inc.example' });
      const query = await anonymous('GET', `/api/me?access_token=${tokens.access_token}`);
      expect(query.status).toBe(401);
    });

    it('answers a missing scope with 403 insufficient_scope naming the scope', async () => {
      const response = await ellen('GET', '/api/approvals');
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="insufficient_scope", scope="approve:timesheets"');
      expect(response.body).toMatchObject({ status: 403, title: 'Forbidden' });
    });

    it('lets the import job use only the upload route', async () => {
      for (const path of ['/api/me', '/api/timesheets', '/api/projects']) {
        expect((await importJob('GET', path)).status).toBe(403);
      }
      expect((await importJob('POST', '/api/timesheets', entry('2026-11-02'))).status).toBe(403);
      expect((await ellen('POST', '/api/timesheets/upload', { entries: [] })).status).toBe(403);
    });

    it('answers unknown routes with 404, token or not', async () => {
      expect((await anonymous('GET', '/api/nothing-here')).status).toBe(404);
      expect((await ellen('GET', '/api/nothing-here')).status).toBe(404);
      expect((await ellen('DELETE', '/api/projects')).status).toBe(404);
    });

    it('answers with protective headers, errors included', async () => {
      for (const response of [await carl('GET', '/api/me'), await anonymous('GET', '/api/me'), await carl('GET', '/api/nothing')]) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('cache-control')).toBe('no-store');
        expect(response.headers.get('cross-origin-resource-policy')).toBe('same-site');
        expect(response.headers.get('content-type')).toMatch(/^application\/(problem\+)?json; charset=utf-8$/);
      }
    });

    it('says who the caller is at /api/me', async () => {
      const me = await carl('GET', '/api/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        email: 'carl@abc-inc.example',
        name: 'Carl Contractor',
        kind: 'contractor',
        roles: ['employee'],
      });
      expect(me.body.sub).toMatch(/^usr_/);
      expect(me.body.scopes).toEqual(expect.arrayContaining(['read:timesheets', 'create:timesheets', 'delete:timesheets']));
      expect(me.body.scopes).not.toContain('approve:timesheets');
    });
  });

  describe('logging time', () => {
    it('creates a pending entry owned by the caller', async () => {
      const response = await ellen('POST', '/api/timesheets', entry('2026-11-02', 7.5, 'storezero', 'Sprint review'));
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({
        date: '2026-11-02',
        project: 'StoreZero',
        hours: 7.5,
        notes: 'Sprint review',
        status: 'pending',
        user_email: 'ellen@abc-inc.example',
        user_name: 'Ellen Employee',
        rejection_reason: null,
        decided_by: null,
      });
      expect(response.body.id).toMatch(/^ent_[\w-]{22}$/);
      expect(response.headers.get('location')).toBe(`/api/timesheets/${response.body.id}`);
    });

    it('refuses bad input with the field at fault and writes nothing', async () => {
      const before = await countOwn(ellen);
      const cases: [unknown, string][] = [
        [{ ...entry('2026-02-30') }, 'date'],
        [{ ...entry('2026-11-03'), hours: 0 }, 'hours'],
        [{ ...entry('2026-11-03'), hours: -2 }, 'hours'],
        [{ ...entry('2026-11-03'), hours: 25 }, 'hours'],
        [{ ...entry('2026-11-03'), hours: 1.234 }, 'hours'],
        [{ ...entry('2026-11-03'), hours: 1e-9 }, 'hours'],
        [{ ...entry('2026-11-03'), hours: '8' }, 'hours'],
        [{ ...entry('2026-11-03'), notes: 'x'.repeat(1001) }, 'notes'],
        [{ date: '2026-11-03', hours: 3 }, 'project'],
        [{ ...entry('2026-11-03'), status: 'approved' }, 'status'],
        [{ ...entry('2026-11-03'), user_id: 'usr_someone' }, 'user_id'],
        [{ ...entry('2026-11-03'), decided_by: 'me' }, 'decided_by'],
      ];
      for (const [body, field] of cases) {
        const response = await ellen('POST', '/api/timesheets', body);
        expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(response.headers.get('content-type')).toBe(PROBLEM);
        expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
      expect(await countOwn(ellen)).toBe(before);
    });

    it('applies the data rules with 422: known project, at most 24 hours a day', async () => {
      const unknown = await ellen('POST', '/api/timesheets', entry('2026-11-03', 2, 'Moonshot'));
      expect(unknown.status).toBe(422);
      expect(unknown.body.errors).toEqual([{ field: 'project', message: 'is not a known project' }]);
      expect((await ellen('POST', '/api/timesheets', entry('2026-11-04', 20))).status).toBe(201);
      const tooMuch = await ellen('POST', '/api/timesheets', entry('2026-11-04', 4.5));
      expect(tooMuch.status).toBe(422);
      expect(tooMuch.body.errors[0].field).toBe('hours');
      expect((await ellen('POST', '/api/timesheets', entry('2026-11-04', 4))).status).toBe(201);
    });

    it('refuses wrong content types, broken JSON and oversized bodies', async () => {
      const text = await ellen('POST', '/api/timesheets', undefined, { headers: { 'content-type': 'text/plain' }, raw: 'hello' });
      expect(text.status).toBe(415);
      const form = await ellen('POST', '/api/timesheets', undefined, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        raw: 'date=2026-11-05&project=StoreZero&hours=1',
      });
      expect(form.status).toBe(415);
      const broken = await ellen('POST', '/api/timesheets', undefined, { headers: { 'content-type': 'application/json' }, raw: '{"date":' });
      expect(broken.status).toBe(400);
      expect(broken.headers.get('content-type')).toBe(PROBLEM);
      const huge = await ellen('POST', '/api/timesheets', { ...entry('2026-11-05'), notes: 'x'.repeat(2 * 1024 * 1024) });
      expect(huge.status).toBe(413);
    });
  });

  describe('reading your own entries', () => {
    it('lists the projects time is logged against', async () => {
      const projects = await ellen('GET', '/api/projects');
      expect(projects.status).toBe(200);
      expect(projects.body.items.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['Internal', 'StoreZero']));
    });

    it('refuses a query field it does not know, naming it', async () => {
      const unknown = await ellen('GET', '/api/timesheets?form=2026-10-01');
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get('content-type')).toBe(PROBLEM);
      expect(unknown.body.errors).toEqual([{ field: 'form', message: 'is not an accepted field' }]);
    });

    it('lists newest first with a cursor, and filters by date and status', async () => {
      for (const date of ['2026-10-01', '2026-10-02', '2026-10-03']) {
        expect((await carl('POST', '/api/timesheets', entry(date, 1))).status).toBe(201);
      }
      const first = await carl('GET', '/api/timesheets?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.items.map((e: { date: string }) => e.date)).toEqual(['2026-10-03', '2026-10-02']);
      expect(first.body.next_cursor).toEqual(expect.any(String));
      const second = await carl('GET', `/api/timesheets?limit=2&cursor=${first.body.next_cursor}`);
      expect(second.body.items.map((e: { date: string }) => e.date)).toEqual(['2026-10-01']);
      expect(second.body.next_cursor).toBeNull();
      const ranged = await carl('GET', '/api/timesheets?from=2026-10-02&to=2026-10-02&status=pending');
      expect(ranged.body.items).toHaveLength(1);
      expect((await carl('GET', '/api/timesheets?cursor=bogus')).status).toBe(400);
      expect((await carl('GET', '/api/timesheets?limit=501')).status).toBe(400);
      expect((await carl('GET', '/api/timesheets?status=lost')).status).toBe(400);
      expect((await carl('GET', '/api/timesheets?from=2026-10-05&to=2026-10-01')).status).toBe(400);
    });

    it("never shows or reveals someone else's entry", async () => {
      const mine = (await ellen('POST', '/api/timesheets', entry('2026-11-05', 2))).body;
      const theirs = await carl('GET', `/api/timesheets/${mine.id}`);
      const nobody = await carl('GET', '/api/timesheets/ent_doesnotexistdoesnotexi');
      expect(theirs.status).toBe(404);
      expect(nobody.status).toBe(404);
      expect(theirs.body.detail.replace(mine.id, 'X')).toBe(nobody.body.detail.replace('ent_doesnotexistdoesnotexi', 'X'));
      expect((await carl('PATCH', `/api/timesheets/${mine.id}`, { hours: 1 })).status).toBe(404);
      expect((await carl('DELETE', `/api/timesheets/${mine.id}`)).status).toBe(404);
      const list = await carl('GET', '/api/timesheets?limit=500');
      expect(list.body.items.map((e: { id: string }) => e.id)).not.toContain(mine.id);
      expect((await ellen('GET', `/api/timesheets/${mine.id}`)).body.id).toBe(mine.id);
    });

    it("sums a week by day and project", async () => {
      await carl('POST', '/api/timesheets', entry('2026-11-09', 3, 'Internal'));
      await carl('POST', '/api/timesheets', entry('2026-11-10', 5.25, 'StoreZero'));
      await carl('POST', '/api/timesheets', entry('2026-11-15', 1, 'StoreZero'));
      const summary = await carl('GET', '/api/timesheets/summary?week=2026-W46');
      expect(summary.status).toBe(200);
      expect(summary.body).toEqual({
        week: '2026-W46',
        from: '2026-11-09',
        to: '2026-11-15',
        total_hours: 9.25,
        days: [
          { date: '2026-11-09', hours: 3 },
          { date: '2026-11-10', hours: 5.25 },
          { date: '2026-11-11', hours: 0 },
          { date: '2026-11-12', hours: 0 },
          { date: '2026-11-13', hours: 0 },
          { date: '2026-11-14', hours: 0 },
          { date: '2026-11-15', hours: 1 },
        ],
        projects: [
          { project: 'Internal', hours: 3 },
          { project: 'StoreZero', hours: 6.25 },
        ],
      });
      expect((await carl('GET', '/api/timesheets/summary?week=2026-W54')).status).toBe(400);
      expect((await carl('GET', '/api/timesheets/summary')).status).toBe(400);
    });

    it('exports CSV that spreadsheets cannot execute', async () => {
      await carl('POST', '/api/timesheets', entry('2026-09-01', 1, 'Internal', '=HYPERLINK("http://evil.example","x")'));
      await carl('POST', '/api/timesheets', entry('2026-09-02', 1, 'Internal', 'Quote " and, comma'));
      await carl('POST', '/api/timesheets', entry('2026-09-03', 1, 'Internal', "'; DROP TABLE entries; --"));
      const csv = await carl('GET', '/api/timesheets/export.csv?from=2026-09-01&to=2026-09-30');
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="timesheets-2026-09-01-to-2026-09-30\.csv"$/);
      const lines = csv.text.replace(/^\uFEFF/, '').split('\r\n');
      expect(lines[0]).toBe('date,project,hours,status,notes,rejection_reason,id,created_at,updated_at');
      expect(lines[1]).toMatch(/^2026-09-01,Internal,1,pending,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",,ent_/);
      expect(lines[2]).toMatch(/^2026-09-02,Internal,1,pending,"Quote "" and, comma",,/);
      expect(lines[3]).toMatch(/^2026-09-03,Internal,1,pending,'; DROP TABLE entries; --,,/);
      expect(lines).toHaveLength(5);
      // Stored and returned literally.
      const stored = await carl('GET', '/api/timesheets?from=2026-09-03&to=2026-09-03');
      expect(stored.body.items[0].notes).toBe("'; DROP TABLE entries; --");
    });
  });

  describe('editing and deleting', () => {
    it('edits a pending entry, re-submits a rejected one, and freezes an approved one', async () => {
      const created = (await ellen('POST', '/api/timesheets', entry('2026-11-10', 3))).body;
      const edited = await ellen('PATCH', `/api/timesheets/${created.id}`, { hours: 3.5, notes: 'Pairing' });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({ hours: 3.5, notes: 'Pairing', status: 'pending' });

      const rejected = await maria('PUT', `/api/approvals/${created.id}`, { decision: 'reject', reason: 'Wrong project' });
      expect(rejected.body).toMatchObject({ status: 'rejected', rejection_reason: 'Wrong project' });
      const resubmitted = await ellen('PATCH', `/api/timesheets/${created.id}`, { project: 'Internal' });
      expect(resubmitted.body).toMatchObject({ project: 'Internal', status: 'pending', rejection_reason: null, decided_by: null });

      expect((await maria('PUT', `/api/approvals/${created.id}`, {})).body.status).toBe('approved');
      const frozen = await ellen('PATCH', `/api/timesheets/${created.id}`, { hours: 1 });
      expect(frozen.status).toBe(409);
      expect(frozen.body.entries).toEqual([{ id: created.id, message: 'approved entries are immutable' }]);
      expect((await ellen('DELETE', `/api/timesheets/${created.id}`)).status).toBe(409);
      expect((await ellen('GET', `/api/timesheets/${created.id}`)).body.hours).toBe(3.5);

      expect((await ellen('PATCH', `/api/timesheets/${created.id}`, {})).status).toBe(400);
      expect((await ellen('PATCH', `/api/timesheets/${created.id}`, { status: 'pending' })).status).toBe(400);
    });

    it('keeps the 24-hour rule when an edit moves hours', async () => {
      const a = (await carl('POST', '/api/timesheets', entry('2026-08-03', 20))).body;
      const b = (await carl('POST', '/api/timesheets', entry('2026-08-04', 8))).body;
      expect((await carl('PATCH', `/api/timesheets/${b.id}`, { date: '2026-08-03' })).status).toBe(422);
      expect((await carl('PATCH', `/api/timesheets/${a.id}`, { hours: 24 })).status).toBe(200);
    });

    it('deletes an own entry that is not approved, and records it in the audit trail', async () => {
      const created = (await ellen('POST', '/api/timesheets', entry('2026-11-11', 1))).body;
      const deleted = await ellen('DELETE', `/api/timesheets/${created.id}`);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect((await ellen('GET', `/api/timesheets/${created.id}`)).status).toBe(404);
      const trail = await running.system.database.stores.entries.auditTrail(running.system.database.db, created.id);
      expect(trail).toEqual([expect.objectContaining({ action: 'entry.delete', before: expect.objectContaining({ id: created.id }), after: null })]);
    });
  });

  describe('approvals', () => {
    it("shows a manager everyone's pending entries but their own, with owner name and email", async () => {
      const own = (await maria('POST', '/api/timesheets', entry('2026-11-12', 2))).body;
      const ellens = (await ellen('POST', '/api/timesheets', entry('2026-11-12', 2))).body;
      const list = await maria('GET', '/api/approvals');
      expect(list.status).toBe(200);
      const ids = list.body.items.map((e: { id: string }) => e.id);
      expect(ids).toContain(ellens.id);
      expect(ids).not.toContain(own.id);
      expect(list.body.items.every((e: { status: string }) => e.status === 'pending')).toBe(true);
      expect(list.body.items.find((e: { id: string }) => e.id === ellens.id)).toMatchObject({
        user_email: 'ellen@abc-inc.example',
        user_name: 'Ellen Employee',
      });
      const filtered = await maria('GET', '/api/approvals?user=ELLEN@abc-inc.example&from=2026-11-12&to=2026-11-12');
      expect(filtered.body.items.map((e: { id: string }) => e.id)).toEqual([ellens.id]);

      const self = await maria('PUT', `/api/approvals/${own.id}`, {});
      expect(self.status).toBe(403);
      expect((await maria('GET', `/api/timesheets/${own.id}`)).body.status).toBe('pending');
    });

    it('approves and rejects with the rules: reason required, pending only, unknown is 404', async () => {
      const a = (await ellen('POST', '/api/timesheets', entry('2026-11-13', 2))).body;
      const approved = await maria('PUT', `/api/approvals/${a.id}`, { decision: 'approve' });
      expect(approved.status).toBe(200);
      const me = (await maria('GET', '/api/me')).body;
      expect(approved.body).toMatchObject({ status: 'approved', decided_by: me.sub });
      expect(approved.body.decided_at).toEqual(expect.any(String));
      const again = await maria('PUT', `/api/approvals/${a.id}`, { decision: 'reject', reason: 'Late' });
      expect(again.status).toBe(409);

      const b = (await ellen('POST', '/api/timesheets', entry('2026-11-13', 2))).body;
      const noReason = await maria('PUT', `/api/approvals/${b.id}`, { decision: 'reject' });
      expect(noReason.status).toBe(400);
      expect(noReason.body.errors).toEqual([{ field: 'reason', message: 'is required to reject' }]);
      expect((await maria('PUT', `/api/approvals/${b.id}`, { decision: 'maybe' })).status).toBe(400);
      expect((await maria('PUT', '/api/approvals/ent_unknownunknownunknown', {})).status).toBe(404);
      const trail = await running.system.database.stores.entries.auditTrail(running.system.database.db, a.id);
      expect(trail.map((t) => t.action)).toEqual(['entry.approve']);
      expect(trail[0]).toMatchObject({ actor: me.sub, before: { status: 'pending' }, after: { status: 'approved' } });
    });

    it("decides a person's week atomically: all, or none with a 409 naming the blockers", async () => {
      const week = await Promise.all(
        ['2026-07-06', '2026-07-07', '2026-07-08'].map(async (date) => (await carl('POST', '/api/timesheets', entry(date, 8))).body.id),
      );
      const done = (await carl('POST', '/api/timesheets', entry('2026-07-09', 8))).body.id;
      await maria('PUT', `/api/approvals/${done}`, {});
      const blocked = await maria('PUT', '/api/approvals', { ids: [...week, done, 'ent_missingmissingmissing'], decision: 'approve' });
      expect(blocked.status).toBe(409);
      expect(blocked.body.entries).toEqual(
        expect.arrayContaining([
          { id: done, message: expect.stringContaining('only pending entries') },
          { id: 'ent_missingmissingmissing', message: 'no such entry' },
        ]),
      );
      for (const id of week) expect((await carl('GET', `/api/timesheets/${id}`)).body.status).toBe('pending');
      // Her own entry among them: 403 (a manager never decides on her own), naming it; nothing decided.
      const own = (await maria('POST', '/api/timesheets', entry('2026-07-06', 1))).body.id;
      const self = await maria('PUT', '/api/approvals', { ids: [...week, own], decision: 'approve' });
      expect(self.status).toBe(403);
      expect(self.body.entries).toEqual([{ id: own, message: 'a manager never decides on their own entries' }]);
      // Rejecting needs a reason, in a batch too.
      const noReason = await maria('PUT', '/api/approvals', { ids: week, decision: 'reject' });
      expect(noReason.status).toBe(400);
      expect(noReason.body.errors).toEqual([{ field: 'reason', message: 'is required to reject' }]);
      for (const id of week) expect((await carl('GET', `/api/timesheets/${id}`)).body.status).toBe('pending');
      expect((await maria('GET', `/api/timesheets/${own}`)).body.status).toBe('pending');

      const approved = await maria('PUT', '/api/approvals', { ids: week, decision: 'approve' });
      expect(approved.status).toBe(200);
      expect(approved.body.items.map((e: { status: string }) => e.status)).toEqual(['approved', 'approved', 'approved']);
      expect((await maria('PUT', '/api/approvals', { ids: [], decision: 'approve' })).status).toBe(400);
    });
  });

  describe('the import job', () => {
    const item = (external_id: string, extra: Record<string, unknown> = {}) => ({
      external_id,
      email: 'carl@abc-inc.example',
      date: '2026-06-01',
      project: 'StoreZero',
      hours: 2,
      ...extra,
    });

    it('creates good items, reports bad ones by index and field, and never duplicates on retry', async () => {
      const batch = {
        entries: [
          item('ext-1'),
          item('ext-2', { email: 'stranger@abc-inc.example' }),
          item('ext-3', { date: '2026-02-30' }),
          item('ext-4', { hours: 25 }),
          item('ext-5', { project: 'Atlantis' }),
          item('ext-6', { date: '2026-06-02', notes: 'Contractor tool export' }),
          { external_id: 'ext-7', surprise: true },
        ],
      };
      const first = await importJob('POST', '/api/timesheets/upload', batch);
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ created: 2, duplicates: 0, errors: 5 });
      const byId = Object.fromEntries(first.body.results.map((r: { external_id: string }) => [r.external_id, r]));
      expect(byId['ext-1']).toMatchObject({ index: 0, status: 'created', id: expect.stringMatching(/^ent_/) });
      expect(byId['ext-2']).toMatchObject({ index: 1, status: 'error', errors: [{ field: 'email', message: expect.any(String) }] });
      expect(byId['ext-3'].errors[0].field).toBe('date');
      expect(byId['ext-4'].errors[0].field).toBe('hours');
      expect(byId['ext-5'].errors[0].field).toBe('project');
      expect(byId['ext-7'].errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(['surprise', 'email']));

      const second = await importJob('POST', '/api/timesheets/upload', batch);
      expect(second.body).toMatchObject({ created: 0, duplicates: 2, errors: 5 });
      expect(second.body.results[0]).toMatchObject({ status: 'duplicate', id: byId['ext-1'].id });

      const carls = (await carl('GET', '/api/timesheets?from=2026-06-01&to=2026-06-02')).body.items;
      expect(carls).toHaveLength(2);
      expect(carls[0]).toMatchObject({ external_id: 'ext-6', status: 'pending', user_email: 'carl@abc-inc.example' });
      const pending = (await maria('GET', '/api/approvals?from=2026-06-01&to=2026-06-02')).body.items;
      expect(pending.map((e: { external_id: string }) => e.external_id).sort()).toEqual(['ext-1', 'ext-6']);
    });

    it('does not bring back an imported entry its owner deleted when the same file is imported again', async () => {
      const first = await importJob('POST', '/api/timesheets/upload', { entries: [item('gone-1', { date: '2026-05-11' })] });
      const id = first.body.results[0].id;
      expect((await carl('DELETE', `/api/timesheets/${id}`)).status).toBe(204);
      const again = await importJob('POST', '/api/timesheets/upload', { entries: [item('gone-1', { date: '2026-05-11' })] });
      expect(again.body).toMatchObject({ created: 0, duplicates: 1 });
      expect((await carl('GET', '/api/timesheets?from=2026-05-11&to=2026-05-11')).body.items).toHaveLength(0);
    });

    it('applies the 24-hour rule across the batch and the stored entries, and refuses more than 1000 items', async () => {
      const result = await importJob('POST', '/api/timesheets/upload', {
        entries: [
          item('day-1', { date: '2026-05-04', hours: 12 }),
          item('day-2', { date: '2026-05-04', hours: 12 }),
          item('day-3', { date: '2026-05-04', hours: 1 }),
          item('tiny', { date: '2026-05-05', hours: 1e-9 }),
        ],
      });
      expect(result.body.results.map((r: { status: string }) => r.status)).toEqual(['created', 'created', 'error', 'error']);
      expect(result.body.results[3].errors).toEqual([{ field: 'hours', message: 'must be at least 0.01' }]);
      const big = await importJob('POST', '/api/timesheets/upload', {
        entries: Array.from({ length: 1001 }, (_, i) => item(`big-${i}`)),
      });
      expect(big.status).toBe(413);
      // A full batch with the longest notes (3 bytes a character: over 3 MB) is not too large.
      const full = await importJob('POST', '/api/timesheets/upload', {
        entries: Array.from({ length: 1000 }, (_, i) => item(`full-${i}`, { date: '2026-05-06', hours: 0.01, notes: '€'.repeat(1000) })),
      });
      expect(full.status).toBe(200);
      expect(full.body.created).toBe(1000);
      expect((await importJob('POST', '/api/timesheets/upload', { entries: 'nope' })).status).toBe(400);
    });
  });

  describe('the OpenAPI description', () => {
    it('documents every route with its scope, and each one is guarded', async () => {
      const response = await anonymous('GET', '/api/openapi.json');
      expect(response.status).toBe(200);
      const doc = response.body;
      expect(doc.openapi).toBe('3.1.0');
      // Valid against the OpenAPI 3.1 schema itself, so any client generator can read it.
      const validity = await new Validator().validate(structuredClone(doc));
      expect(validity.errors ?? [], JSON.stringify(validity.errors ?? []).slice(0, 500)).toEqual([]);
      expect(validity.valid).toBe(true);
      const operations = Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>).flatMap(
        ([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })),
      );
      const expected = [
        'get /api/timesheets',
        'post /api/timesheets',
        'get /api/timesheets/{id}',
        'patch /api/timesheets/{id}',
        'delete /api/timesheets/{id}',
        'get /api/timesheets/summary',
        'get /api/timesheets/export.csv',
        'post /api/timesheets/upload',
        'get /api/approvals',
        'put /api/approvals/{id}',
        'put /api/approvals',
        'get /api/projects',
        'get /api/me',
      ];
      expect(operations.map((o) => `${o.method} ${o.path}`).sort()).toEqual(expected.sort());
      for (const { path, method, op } of operations) {
        expect(op.security, `${method} ${path}`).toHaveLength(1);
        const concrete = path.replace('{id}', 'ent_aaaaaaaaaaaaaaaaaaaaaa');
        const unauthenticated = await anonymous(method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? undefined : {});
        expect(unauthenticated.status, `${method} ${path}`).toBe(401);
      }
      // Every reference resolves inside the document.
      const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const target = ref.split('/').reduce((node: Record<string, unknown> | undefined, key) => node?.[key] as never, doc);
        expect(target, ref).toBeDefined();
      }
      for (const { path, method, op } of operations) {
        expect(Object.keys((op as { responses?: object }).responses ?? {}).length, `${method} ${path}`).toBeGreaterThan(0);
      }
      const docs = await fetch(`${running.baseUrl}/api/docs/`);
      expect(docs.status).toBe(200);
      expect(await docs.text()).toContain('swagger');
      // A page on the app's origin: never framed, nothing from elsewhere, the same headers as the app's pages.
      const csp = docs.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toMatch(/swagger\.io|unsafe/);
      expect(docs.headers.get('x-frame-options')).toBe('DENY');
      expect(docs.headers.get('referrer-policy')).toBe('no-referrer');
      expect(docs.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(docs.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=(), payment=()');
    });

    it("refuses every person's route to a token holding every scope but the one it states", async () => {
      const doc = (await anonymous('GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, { security: Record<string, string[]>[] }>> };
      const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ path, method, scope: Object.values(op.security[0]!)[0]![0]! })),
      );
      const tokenWithout = new Map<string, ApiClient>();
      for (const scope of USER_API_SCOPES) {
        const others = USER_API_SCOPES.filter((s) => s !== scope).join(' ');
        // Maria manages: her roles allow every person's scope, so only the one left out is missing.
        const { tokens } = await signInWithCode(running.issuer, running.baseUrl, { email: 'maria@abc-inc.example', scope: `openid ${others}` });
        tokenWithout.set(scope, apiClient(running.baseUrl, tokens.access_token));
      }
      const checked = operations.filter((o) => tokenWithout.has(o.scope));
      // The others: who am I (any person's token) and the import job's upload (tested above).
      const unchecked = operations.filter((o) => !tokenWithout.has(o.scope)).map((o) => `${o.method} ${o.path}`);
      expect(unchecked.sort()).toEqual(['get /api/me', 'post /api/timesheets/upload']);
      for (const { path, method, scope } of checked) {
        const concrete = path.replace('{id}', 'ent_aaaaaaaaaaaaaaaaaaaaaa');
        const response = await tokenWithout.get(scope)!(method.toUpperCase(), concrete, method === 'get' || method === 'delete' ? undefined : {});
        expect(response.status, `${method} ${path}`).toBe(403);
        expect(response.headers.get('www-authenticate'), `${method} ${path}`).toBe(`Bearer error="insufficient_scope", scope="${scope}"`);
      }
      // An employee deciding on a colleague's real entry, alone or in a batch.
      const carls = await carl('POST', '/api/timesheets', entry('2026-04-06', 1));
      for (const [path, body] of [
        [`/api/approvals/${carls.body.id}`, { decision: 'approve' }],
        ['/api/approvals', { ids: [carls.body.id], decision: 'approve' }],
      ] as const) {
        expect((await ellen('PUT', path, body)).status).toBe(403);
      }
      expect((await carl('GET', `/api/timesheets/${carls.body.id}`)).body.status).toBe('pending');
    });
  });
});
