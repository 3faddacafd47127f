// The Timesheets API's resources as the app uses them (the contract lives with src/api).
import type { ApiClient } from './http.ts';

// An entry's shape is the domain's own: one definition for the API and the app.
import type { Entry } from '../../../domain/entries.ts';

export type { Entry, EntryStatus } from '../../../domain/entries.ts';

export interface EntryInput {
  readonly date: string;
  readonly project: string;
  readonly hours: number;
  readonly notes?: string | null;
}

export interface Project {
  readonly id: number;
  readonly name: string;
}

export interface WeekSummary {
  readonly week: string;
  readonly from: string;
  readonly to: string;
  readonly total_hours: number;
  readonly days: readonly { date: string; hours: number }[];
  readonly projects: readonly { project: string; hours: number }[];
}

export interface Me {
  readonly sub: string;
  readonly email: string;
  readonly name: string;
  readonly kind: string;
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
}

export type Decision = { decision: 'approve' } | { decision: 'reject'; reason: string };

const PAGE_SIZE = 100;

export function timesheetsApi(http: ApiClient) {
  return {
    /** The caller's entries between two dates, every page. */
    async entries(from: string, to: string): Promise<Entry[]> {
      const entries: Entry[] = [];
      let cursor: string | undefined;
      do {
        const page = await http.json<{ items: Entry[]; next_cursor: string | null }>('GET', '/timesheets', {
          query: { from, to, limit: PAGE_SIZE, cursor },
        });
        entries.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return entries;
    },
    /** The caller's rejected entries (newest first): they wait for a fix. */
    async rejected(): Promise<Entry[]> {
      return (await http.json<{ items: Entry[] }>('GET', '/timesheets', { query: { status: 'rejected', limit: 20 } })).items;
    },
    entry: (id: string) => http.json<Entry>('GET', `/timesheets/${encodeURIComponent(id)}`),
    create: (input: EntryInput) => http.json<Entry>('POST', '/timesheets', { body: input }),
    update: (id: string, input: EntryInput) => http.json<Entry>('PATCH', `/timesheets/${encodeURIComponent(id)}`, { body: input }),
    remove: (id: string) => http.json<void>('DELETE', `/timesheets/${encodeURIComponent(id)}`),
    summary: (week: string) => http.json<WeekSummary>('GET', '/timesheets/summary', { query: { week } }),
    exportCsv: (from: string, to: string) => http.blob('/timesheets/export.csv', { from, to }),
    async projects(): Promise<Project[]> {
      return (await http.json<{ items: Project[] }>('GET', '/projects')).items;
    },
    /** By person and date; `truncated` when more are waiting than one answer holds. */
    pendingApprovals: () => http.json<{ items: Entry[]; truncated: boolean }>('GET', '/approvals'),
    decide: (id: string, decision: Decision) => http.json<Entry>('PUT', `/approvals/${encodeURIComponent(id)}`, { body: decision }),
    decideMany: (ids: readonly string[], decision: Decision) =>
      http.json<unknown>('PUT', '/approvals', { body: { ids, ...decision } }),
    me: () => http.json<Me>('GET', '/me'),
  };
}

export type TimesheetsApi = ReturnType<typeof timesheetsApi>;
