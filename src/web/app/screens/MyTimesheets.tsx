// Your ISO week, Monday to Sunday: entries grouped by day with daily and weekly totals, moving
// between weeks, adding an entry on a given day in one click, and the week as CSV.
import { useEffect, useState } from 'react';
import { addWeeks, parseIsoWeek, weekRange } from '../../../domain/week.ts';
import type { Entry } from '../api/timesheets.ts';
import { saveFile } from '../ui/download.ts';
import { takeFlash } from '../ui/flash.ts';
import { currentWeek, formatDay, formatHours, formatWeekDates, formatWeekNumber, sumHours, todayLocal } from '../ui/format.ts';
import { Page } from '../ui/Page.tsx';
import { navigate, useLocation } from '../ui/router.tsx';
import { useScopes, useServices } from '../ui/services.tsx';
import { describeError, ErrorState, Loading } from '../ui/states.tsx';
import { useAsync } from '../ui/use-async.ts';
import { EntryRow } from './EntryRow.tsx';

export function weekPath(week: string): string {
  return week === currentWeek() ? '/timesheets' : `/timesheets?week=${week}`;
}

export function MyTimesheets() {
  const { api } = useServices();
  const scopes = useScopes();
  const { query } = useLocation();
  const asked = query.get('week');
  const week = asked && parseIsoWeek(asked) ? asked : currentWeek();
  const { from, to, days } = weekRange(week);
  const entries = useAsync(() => api.entries(from, to), week);
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();
  const [exporting, setExporting] = useState(false);
  /** Deleted here: gone at once, before the reload confirms it. */
  const [deleted, setDeleted] = useState<ReadonlySet<string>>(new Set());

  useEffect(() => {
    const flash = takeFlash();
    if (flash) setMessage({ text: flash });
  }, []);

  const byDay = new Map<string, Entry[]>(days.map((day) => [day, []]));
  const shown = entries.status === 'ready' ? entries.data.filter((e) => !deleted.has(e.id)) : [];
  for (const entry of shown) byDay.get(entry.date)?.push(entry);
  for (const list of byDay.values()) list.sort((a, b) => a.created_at.localeCompare(b.created_at));
  const weekTotal = entries.status === 'ready' ? sumHours(shown.map((e) => e.hours)) : undefined;
  const today = todayLocal();
  const newEntryDate = days.includes(today) ? today : from;

  async function exportCsv() {
    setExporting(true);
    try {
      saveFile(await api.exportCsv(from, to), `timesheets-${week}.csv`);
    } catch (error) {
      setMessage({ text: `The export failed: ${describeError(error as Error)}`, error: true });
    } finally {
      setExporting(false);
    }
  }

  async function remove(entry: Entry) {
    try {
      await api.remove(entry.id);
      setDeleted((previous) => new Set([...previous, entry.id]));
      setMessage({ text: `Deleted the ${entry.project} entry of ${formatDay(entry.date)}.` });
      document.getElementById(`add-${entry.date}`)?.focus();
    } catch (error) {
      setMessage({ text: `The entry could not be deleted: ${describeError(error as Error)}`, error: true });
    }
  }

  return (
    <Page
      title="My Timesheets"
      subtitle={
        <>
          <strong>{formatWeekNumber(week)}</strong> · {formatWeekDates(week)}
        </>
      }
      actions={
        <>
          {scopes.has('read:timesheets') && (
            <button type="button" className="button" disabled={exporting} onClick={() => void exportCsv()}>
              Export CSV
            </button>
          )}
          {scopes.has('create:timesheets') && (
            <button type="button" className="button button-primary" onClick={() => navigate(`/timesheets/new?date=${newEntryDate}`)}>
              New entry
            </button>
          )}
        </>
      }
    >
      <div className="week-toolbar">
        <div className="button-group" role="group" aria-label="Week">
          <button type="button" className="button" onClick={() => navigate(weekPath(addWeeks(week, -1)))}>
            <span aria-hidden="true">‹ </span>Previous<span className="narrow-hide"> week</span>
          </button>
          <button type="button" className="button" onClick={() => navigate(weekPath(currentWeek()))}>
            This week
          </button>
          <button type="button" className="button" onClick={() => navigate(weekPath(addWeeks(week, 1)))}>
            Next<span className="narrow-hide"> week</span>
            <span aria-hidden="true"> ›</span>
          </button>
        </div>
        {weekTotal !== undefined && (
          <p className="week-total">
            Week total <strong>{formatHours(weekTotal)}</strong>
          </p>
        )}
      </div>

      <p role="status" className={`status-message${message?.error ? ' is-error' : ''}`}>
        {message?.text}
      </p>

      {entries.status === 'loading' && <Loading label="Loading your week…" />}
      {entries.status === 'error' && <ErrorState title="Your week could not be loaded." error={entries.error} onRetry={entries.reload} />}
      {entries.status === 'ready' && (
        <div className="week">
          {shown.length === 0 && (
            <p className="week-empty">Nothing logged this week yet. Pick a day below, or use New entry.</p>
          )}
          {days.map((day) => (
            <DaySection
              key={day}
              day={day}
              today={day === today}
              entries={byDay.get(day) ?? []}
              canCreate={scopes.has('create:timesheets')}
              canDelete={scopes.has('delete:timesheets')}
              onDelete={remove}
            />
          ))}
        </div>
      )}
    </Page>
  );
}

function DaySection(props: {
  day: string;
  today: boolean;
  entries: readonly Entry[];
  canCreate: boolean;
  canDelete: boolean;
  onDelete: (entry: Entry) => Promise<void>;
}) {
  const { day, today, entries, canCreate, canDelete, onDelete } = props;
  const weekend = new Date(`${day}T00:00:00Z`).getUTCDay() % 6 === 0;
  const headingId = `day-${day}`;
  return (
    <section className={`day${today ? ' is-today' : ''}${weekend ? ' is-weekend' : ''}`} aria-labelledby={headingId}>
      <header className="day-header">
        <h2 id={headingId} className="day-title">
          <span className="wide-only">{formatDay(day)}</span>
          <span className="narrow-only">{formatDay(day, 'short')}</span>
          {today && <span className="tag">Today</span>}
        </h2>
        {entries.length === 0 && <span className="day-empty narrow-hide">No time logged</span>}
        {entries.length > 0 && (
          <span className="day-total">
            <span className="visually-hidden">Total </span>
            {formatHours(sumHours(entries.map((e) => e.hours)))}
          </span>
        )}
        {canCreate && (
          <button
            type="button"
            id={`add-${day}`}
            className="button button-small button-quiet"
            aria-label={`Add entry for ${formatDay(day)}`}
            onClick={() => navigate(`/timesheets/new?date=${day}`)}
          >
            <span aria-hidden="true">+</span> Add
          </button>
        )}
      </header>
      {entries.length > 0 && (
        <ul className="entries">
          {entries.map((entry) => (
            <EntryRow key={entry.id} entry={entry} canEdit={canCreate} canDelete={canDelete} onDelete={onDelete} />
          ))}
        </ul>
      )}
    </section>
  );
}
