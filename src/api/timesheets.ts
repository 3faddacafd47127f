// The Timesheets API's use cases: each one checks ownership, applies the domain rules, and writes
// the change with its audit record in one transaction. No HTTP here: routes call these.
import {
  assertCanDecide,
  assertCanDecideAll,
  assertChangeable,
  assertDailyLimit,
  assertDecisionReason,
  assertValidHours,
  CHANGEABLE_STATUSES,
  changedMeanwhile,
  dailyLimitProblem,
  fromCentihours,
  DECIDABLE_STATUS,
  statusAfterDecision,
  statusAfterEdit,
  toCentihours,
  type Decision,
  type Entry,
  type EntryStatus,
  type Person,
} from '../domain/entries.ts';
import { invalid, notFound, ruleViolation, type FieldError } from '../domain/errors.ts';
import { parseIsoWeek, weekRange } from '../domain/week.ts';
import { newEntryId, normalizeEmail, normalizeProjectName, toEntry, type EntriesTable, type Stores, type Tx, type User } from '../storage/index.ts';

export interface NewEntry {
  readonly date: string;
  readonly project: string;
  readonly hours: number;
  readonly notes?: string | null;
}

export type EntryChanges = Partial<NewEntry>;

export interface UploadItem {
  readonly external_id: string;
  readonly email: string;
  readonly date: string;
  readonly project: string;
  readonly hours: number;
  readonly notes?: string | null;
}

export type UploadResult =
  | { index: number; external_id: string | null; status: 'created' | 'duplicate'; id: string }
  | { index: number; external_id: string | null; status: 'error'; errors: FieldError[] };

/** An upload item already checked against the schema, or the schema's complaints about it. */
export type CheckedItem = { ok: true; item: UploadItem } | { ok: false; external_id: string | null; errors: FieldError[] };

export interface Page<T> {
  readonly items: T[];
  readonly next_cursor: string | null;
}

/** One export's most rows: a longer range is refused (422) rather than cut short. */
export const MAX_EXPORT_ROWS = 100_000;
/** A week holds far fewer entries than this (the 24-hour daily rule). */
const MAX_WEEK_ROWS = 100_000;

function encodeCursor(row: { date: string; id: string }): string {
  return Buffer.from(JSON.stringify([row.date, row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { date: string; id: string } {
  try {
    const [date, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof date === 'string' && typeof id === 'string') return { date, id };
  } catch {
    // fall through to the clear error below
  }
  throw invalid('the cursor is not one this API gave out', [{ field: 'cursor', message: 'is invalid' }]);
}

/** A new pending entry as stored: by a person for themselves, or imported by a client. */
function newEntryRow(
  owner: Person,
  input: { date: string; project: string; notes?: string | null },
  centihours: number,
  imported?: { externalId: string; clientId: string; at: string },
): EntriesTable {
  const at = imported?.at ?? new Date().toISOString();
  return {
    id: newEntryId(),
    user_id: owner.sub,
    user_email: owner.email,
    user_name: owner.name,
    date: input.date,
    project: input.project,
    centihours,
    notes: input.notes ?? null,
    status: 'pending',
    rejection_reason: null,
    external_id: imported?.externalId ?? null,
    source_client_id: imported?.clientId ?? null,
    created_at: at,
    updated_at: at,
    decided_by: null,
    decided_at: null,
  };
}

export function timesheetService(stores: Stores) {
  const { entries } = stores;
  const now = () => new Date().toISOString();

  async function ownedRow(tx: Tx, owner: Person, id: string): Promise<EntriesTable> {
    const row = await entries.find(tx, id);
    // Someone else's entry answers exactly like one that does not exist.
    if (!row || row.user_id !== owner.sub) throw notFound(`no entry ${id}`);
    return row;
  }

  async function canonicalProject(tx: Tx, name: string): Promise<string> {
    const project = await stores.projects.findByName(name, tx);
    if (!project) throw ruleViolation(`project "${name}" does not exist`, [{ field: 'project', message: 'is not a known project' }]);
    return project.name;
  }

  return {
    async list(
      owner: Person,
      query: { from?: string; to?: string; status?: EntryStatus; limit: number; cursor?: string },
    ): Promise<Page<Entry>> {
      const after = query.cursor ? decodeCursor(query.cursor) : undefined;
      const rows = await entries.listOwned(entries.db, owner.sub, { ...query, after, limit: query.limit + 1 });
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return { items: page.map(toEntry), next_cursor: rows.length > query.limit && last ? encodeCursor(last) : null };
    },

    async get(owner: Person, id: string): Promise<Entry> {
      return toEntry(await ownedRow(entries.db, owner, id));
    },

    async create(owner: Person, input: NewEntry): Promise<Entry> {
      assertValidHours(input.hours);
      const centihours = toCentihours(input.hours);
      return entries.transaction(async (tx) => {
        const project = await canonicalProject(tx, input.project);
        await entries.lockDays(tx, [{ userId: owner.sub, date: input.date }]);
        assertDailyLimit(await entries.centihoursOn(tx, owner.sub, input.date), centihours);
        const row = newEntryRow(owner, { ...input, project }, centihours);
        await entries.insert(tx, row);
        return toEntry(row);
      });
    },

    async update(owner: Person, id: string, changes: EntryChanges): Promise<Entry> {
      if (changes.hours !== undefined) assertValidHours(changes.hours);
      return entries.transaction(async (tx) => {
        const project = changes.project === undefined ? undefined : await canonicalProject(tx, changes.project);
        const before = await ownedRow(tx, owner, id);
        assertChangeable(before, 'edit');
        const date = changes.date ?? before.date;
        const centihours = changes.hours === undefined ? before.centihours : toCentihours(changes.hours);
        await entries.lockDays(tx, [{ userId: owner.sub, date }]);
        assertDailyLimit(await entries.centihoursOn(tx, owner.sub, date, id), centihours);
        const { status, clearsDecision } = statusAfterEdit(before);
        const after = await entries.updateIf(tx, id, CHANGEABLE_STATUSES, {
          date,
          centihours,
          project: project ?? before.project,
          notes: changes.notes === undefined ? before.notes : changes.notes,
          status,
          updated_at: now(),
          ...(clearsDecision ? { rejection_reason: null, decided_by: null, decided_at: null } : {}),
        });
        if (!after) throw changedMeanwhile(id, 'approved');
        await entries.audit(tx, { actor: owner.sub, action: 'entry.update', subject: id, before: toEntry(before), after: toEntry(after) });
        return toEntry(after);
      });
    },

    async remove(owner: Person, id: string): Promise<void> {
      await entries.transaction(async (tx) => {
        const before = await ownedRow(tx, owner, id);
        assertChangeable(before, 'delete');
        if (!(await entries.deleteIf(tx, id, CHANGEABLE_STATUSES))) {
          throw changedMeanwhile(id, 'approved');
        }
        await entries.bury(tx, before);
        await entries.audit(tx, { actor: owner.sub, action: 'entry.delete', subject: id, before: toEntry(before) });
      });
    },

    async summary(owner: Person, week: string) {
      if (!parseIsoWeek(week)) throw invalid(`${week} is not a week of its year`, [{ field: 'week', message: 'is not an ISO week' }]);
      const { from, to, days } = weekRange(week);
      const rows = await entries.listOwned(entries.db, owner.sub, { from, to, limit: MAX_WEEK_ROWS });
      const byDay = new Map(days.map((day) => [day, 0]));
      const byProject = new Map<string, number>();
      let total = 0;
      for (const row of rows) {
        byDay.set(row.date, (byDay.get(row.date) ?? 0) + row.centihours);
        byProject.set(row.project, (byProject.get(row.project) ?? 0) + row.centihours);
        total += row.centihours;
      }
      return {
        week,
        from,
        to,
        total_hours: fromCentihours(total),
        days: days.map((date) => ({ date, hours: fromCentihours(byDay.get(date) ?? 0) })),
        projects: [...byProject]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([project, centihours]) => ({ project, hours: fromCentihours(centihours) })),
      };
    },

    /** The owner's entries for an export, oldest first; all of them, or a 422 asking for a shorter range. */
    async exportRows(owner: Person, from?: string, to?: string): Promise<Entry[]> {
      const rows = await entries.listOwned(entries.db, owner.sub, { from, to, limit: MAX_EXPORT_ROWS + 1 });
      if (rows.length > MAX_EXPORT_ROWS) {
        const message = `holds more than ${MAX_EXPORT_ROWS} entries; export a shorter range`;
        throw ruleViolation(`the range ${message}`, [
          { field: 'from', message },
          { field: 'to', message },
        ]);
      }
      return rows.reverse().map(toEntry);
    },

    /** Entries awaiting a decision by `manager`; `query.user` is a person's id or email (an id may hold an @). */
    async pending(
      manager: Person,
      query: { from?: string; to?: string; user?: string; limit: number },
    ): Promise<{ items: Entry[]; truncated: boolean }> {
      const user = query.user ? { id: query.user, email: query.user.includes('@') ? normalizeEmail(query.user) : undefined } : undefined;
      const rows = await entries.listOthersWithStatus(entries.db, {
        ...query,
        user,
        status: DECIDABLE_STATUS,
        excludeUserId: manager.sub,
        limit: query.limit + 1,
      });
      return { items: rows.slice(0, query.limit).map(toEntry), truncated: rows.length > query.limit };
    },

    async decide(manager: Person, id: string, decision: Decision, reason?: string): Promise<Entry> {
      const rejectionReason = assertDecisionReason(decision, reason);
      return entries.transaction(async (tx) => {
        const before = await entries.find(tx, id);
        if (!before) throw notFound(`no entry ${id}`);
        assertCanDecide(before, manager);
        const after = await decideRow(tx, manager, before, decision, rejectionReason);
        if (!after) throw changedMeanwhile(id, 'decided');
        return after;
      });
    },

    /** Decides several entries (a person's week) atomically: all of them, or none (assertCanDecideAll says why). */
    async decideMany(manager: Person, ids: readonly string[], decision: Decision, reason?: string): Promise<Entry[]> {
      const rejectionReason = assertDecisionReason(decision, reason);
      const unique = [...new Set(ids)];
      return entries.transaction(async (tx) => {
        const rows = await Promise.all(unique.map((id) => entries.find(tx, id)));
        assertCanDecideAll(unique.map((id, i) => ({ id, found: rows[i] })), manager);
        const decided: Entry[] = [];
        for (const row of rows as EntriesTable[]) {
          const after = await decideRow(tx, manager, row, decision, rejectionReason);
          if (!after) throw changedMeanwhile(row.id, 'decided', { inBatch: true });
          decided.push(after);
        }
        return decided;
      });
    },

    /**
     * The import job's batch. Each item stands alone: a bad one is reported and the rest go in.
     * Re-sending an external_id from the same client never creates a second entry.
     */
    async upload(clientId: string, items: readonly CheckedItem[]): Promise<UploadResult[]> {
      const results: (UploadResult | undefined)[] = new Array(items.length);
      const valid: { index: number; item: UploadItem }[] = [];
      items.forEach((checked, index) => {
        if (!checked.ok) results[index] = { index, external_id: checked.external_id, status: 'error', errors: checked.errors };
        else valid.push({ index, item: checked.item });
      });

      const owners = await stores.users.findActiveByEmails(valid.map(({ item }) => item.email));
      const projects = new Map((await stores.projects.list()).map((p) => [normalizeProjectName(p.name), p.name]));

      await entries.transaction(async (tx) => {
        const known = await entries.findImported(tx, clientId, valid.map(({ item }) => item.external_id));
        const candidates: { index: number; item: UploadItem; owner: User; project: string }[] = [];
        for (const { index, item } of valid) {
          const errors: FieldError[] = [];
          const owner = owners.get(normalizeEmail(item.email));
          if (!owner) errors.push({ field: 'email', message: 'no active user has this email' });
          const project = projects.get(normalizeProjectName(item.project));
          if (!project) errors.push({ field: 'project', message: 'is not a known project' });
          const existing = known.get(item.external_id);
          if (existing) results[index] = { index, external_id: item.external_id, status: 'duplicate', id: existing };
          else if (errors.length || !owner || !project) results[index] = { index, external_id: item.external_id, status: 'error', errors };
          else candidates.push({ index, item, owner, project });
        }

        const days = candidates.map((c) => ({ userId: c.owner.id, date: c.item.date }));
        await entries.lockDays(tx, days);
        const dayTotals = await entries.centihoursByDay(tx, days);
        const rows: EntriesTable[] = [];
        const stamp = now();
        const inBatch = new Map<string, number>();
        for (const { index, item, owner, project } of candidates) {
          const firstIndex = inBatch.get(item.external_id);
          if (firstIndex !== undefined) {
            results[index] = { index, external_id: item.external_id, status: 'duplicate', id: '' };
            continue;
          }
          const dayKey = `${owner.id}|${item.date}`;
          const centihours = toCentihours(item.hours);
          const problem = dailyLimitProblem(dayTotals.get(dayKey) ?? 0, centihours);
          if (problem) {
            results[index] = { index, external_id: item.external_id, status: 'error', errors: [problem] };
            continue;
          }
          dayTotals.set(dayKey, (dayTotals.get(dayKey) ?? 0) + centihours);
          inBatch.set(item.external_id, index);
          rows.push(
            newEntryRow({ sub: owner.id, email: owner.email, name: owner.name }, { ...item, project }, centihours, {
              externalId: item.external_id,
              clientId,
              at: stamp,
            }),
          );
        }
        const created = await entries.insertImported(tx, rows);
        for (const row of rows) {
          const index = inBatch.get(row.external_id!)!;
          const id = created.get(row.external_id!);
          // Not created means a concurrent upload of the same external_id won the race: a duplicate.
          results[index] = { index, external_id: row.external_id, status: id ? 'created' : 'duplicate', id: id ?? '' };
        }
        if (created.size > 0) {
          await entries.audit(tx, {
            actor: clientId,
            action: 'entries.upload',
            subject: null,
            after: { created: [...created.values()] },
          });
        }
      });

      // In-batch and raced duplicates point at the entry that holds their external_id.
      const pending = results.filter((r): r is Extract<UploadResult, { id: string }> => r?.status === 'duplicate' && !r.id);
      if (pending.length) {
        const ids = await entries.findImported(entries.db, clientId, pending.map((r) => r.external_id!));
        for (const result of pending) result.id = ids.get(result.external_id!) ?? '';
      }
      return results as UploadResult[];
    },
  };

  async function decideRow(
    tx: Tx,
    manager: Person,
    before: EntriesTable,
    decision: Decision,
    rejectionReason: string | null,
  ): Promise<Entry | undefined> {
    const stamp = now();
    const after = await entries.updateIf(tx, before.id, DECIDABLE_STATUS, {
      status: statusAfterDecision(decision),
      rejection_reason: rejectionReason,
      decided_by: manager.sub,
      decided_at: stamp,
      updated_at: stamp,
    });
    if (!after) return undefined;
    await entries.audit(tx, {
      actor: manager.sub,
      action: `entry.${decision}`,
      subject: before.id,
      before: toEntry(before),
      after: toEntry(after),
    });
    return toEntry(after);
  }
}

export type TimesheetService = ReturnType<typeof timesheetService>;
