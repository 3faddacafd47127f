// Pending entries of everyone else, grouped by person and ISO week. Approve or reject (with a
// reason) one entry, or approve a person's whole week at once. Decided entries leave the list and
// the focus moves on to the next one, so a manager can work through the queue by keyboard.
import { useRef, useState, type FormEvent } from 'react';
import { isoWeekOf } from '../../../domain/week.ts';
import type { Entry } from '../api/timesheets.ts';
import { formatDay, formatHours, formatWeekDates, formatWeekNumber, sumHours } from '../ui/format.ts';
import { Page } from '../ui/Page.tsx';
import { useServices } from '../ui/services.tsx';
import { describeError, EmptyState, ErrorState, Loading } from '../ui/states.tsx';
import { useAsync } from '../ui/use-async.ts';

interface Group {
  readonly key: string;
  readonly name: string;
  readonly email: string;
  readonly week: string;
  readonly entries: readonly Entry[];
}

function groupByPersonAndWeek(entries: readonly Entry[]): Group[] {
  const groups = new Map<string, Group & { entries: Entry[] }>();
  for (const entry of [...entries].sort((a, b) => a.date.localeCompare(b.date))) {
    const week = isoWeekOf(entry.date);
    const key = `${entry.user_id} ${week}`;
    let group = groups.get(key);
    if (!group) {
      group = { key, name: entry.user_name, email: entry.user_email, week, entries: [] };
      groups.set(key, group);
    }
    group.entries.push(entry);
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name) || a.week.localeCompare(b.week));
}

type Decided = (ids: readonly string[], message: string) => void;
type Failed = (message: string) => void;

export function Approvals() {
  const { api } = useServices();
  const pending = useAsync(() => api.pendingApprovals(), 'approvals');
  const [decided, setDecided] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState<{ text: string; error?: boolean }>();

  const onDecided: Decided = (ids, text) => {
    setDecided((previous) => new Set([...previous, ...ids]));
    setMessage({ text });
    // The decided rows are gone: continue with the next pending entry.
    requestAnimationFrame(() => {
      const next = document.querySelector<HTMLElement>('.approval-list .entry-actions button');
      (next ?? document.getElementById('approvals-status'))?.focus();
    });
  };
  const onFailed: Failed = (text) => {
    setMessage({ text, error: true });
    pending.reload();
  };

  const remaining = pending.status === 'ready' ? pending.data.items.filter((e) => !decided.has(e.id)) : [];
  const groups = groupByPersonAndWeek(remaining);

  return (
    <Page
      title="Approve Timesheets"
      subtitle={
        pending.status === 'ready' &&
        (remaining.length
          ? `${remaining.length}${pending.data.truncated ? '+' : ''} ${remaining.length === 1 ? 'entry' : 'entries'} waiting for a decision`
          : undefined)
      }
    >
      <p id="approvals-status" role="status" tabIndex={-1} className={`status-message${message?.error ? ' is-error' : ''}`}>
        {message?.text}
      </p>
      {pending.status === 'loading' && <Loading label="Loading entries to approve…" />}
      {pending.status === 'error' && <ErrorState title="Entries to approve could not be loaded." error={pending.error} onRetry={pending.reload} />}
      {pending.status === 'ready' && pending.data.truncated && (
        <p className="alert alert-warning">
          More entries are waiting than this page shows: decide on these, then load the rest.{' '}
          <button type="button" className="button button-small" onClick={pending.reload}>
            Load more
          </button>
        </p>
      )}
      {pending.status === 'ready' && groups.length === 0 && !pending.data.truncated && (
        <EmptyState title="All caught up">
          <p>Nobody is waiting for a decision right now.</p>
        </EmptyState>
      )}
      <div className="approval-list">
        {groups.map((group) => (
          <GroupCard key={group.key} group={group} onDecided={onDecided} onFailed={onFailed} />
        ))}
      </div>
    </Page>
  );
}

function GroupCard({ group, onDecided, onFailed }: { group: Group; onDecided: Decided; onFailed: Failed }) {
  const { api } = useServices();
  const [busy, setBusy] = useState(false);
  const headingId = `group-${group.key.replace(/\W/g, '-')}`;

  async function approveWeek() {
    setBusy(true);
    const ids = group.entries.map((e) => e.id);
    try {
      await api.decideMany(ids, { decision: 'approve' });
      onDecided(ids, `Approved ${ids.length} ${ids.length === 1 ? 'entry' : 'entries'} of ${group.name} for ${formatWeekNumber(group.week)}.`);
    } catch (error) {
      onFailed(`${group.name}'s week could not be approved: ${describeError(error as Error)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card approval-group" aria-labelledby={headingId}>
      <header className="group-header">
        <div>
          <h2 id={headingId}>
            {group.name} <span className="group-week">· {formatWeekNumber(group.week)}</span>
          </h2>
          <p className="muted group-meta">
            {group.email} · {formatWeekDates(group.week)}
          </p>
        </div>
        <p className="group-total">{formatHours(sumHours(group.entries.map((e) => e.hours)))}</p>
        <button type="button" className="button button-primary" disabled={busy} onClick={() => void approveWeek()}>
          Approve week
        </button>
      </header>
      <ul className="entries">
        {group.entries.map((entry) => (
          <ApprovalRow key={entry.id} entry={entry} onDecided={onDecided} onFailed={onFailed} />
        ))}
      </ul>
    </section>
  );
}

function ApprovalRow({ entry, onDecided, onFailed }: { entry: Entry; onDecided: Decided; onFailed: Failed }) {
  const { api } = useServices();
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const rejectRef = useRef<HTMLButtonElement>(null);
  const what = `${entry.user_name}'s ${entry.project} entry of ${formatDay(entry.date)}`;
  const reasonId = `reason-${entry.id}`;

  async function decide(decision: Parameters<typeof api.decide>[1], done: string) {
    setBusy(true);
    try {
      await api.decide(entry.id, decision);
      onDecided([entry.id], done);
    } catch (error) {
      setBusy(false);
      onFailed(`${what} could not be decided: ${describeError(error as Error)}`);
    }
  }

  function reject(event: FormEvent) {
    event.preventDefault();
    if (!reason.trim()) {
      setReasonError(`Say why, so ${entry.user_name} knows what to fix.`);
      document.getElementById(reasonId)?.focus();
      return;
    }
    void decide({ decision: 'reject', reason: reason.trim() }, `Rejected ${what}.`);
  }

  const cancel = () => {
    setRejecting(false);
    setReasonError(undefined);
    requestAnimationFrame(() => rejectRef.current?.focus());
  };

  return (
    <li className="entry">
      <div className="entry-body">
        <p className="entry-title">
          <span className="entry-date">{formatDay(entry.date, 'short')}</span>
          <span className="entry-project">{entry.project}</span>
          <span className="entry-hours">{formatHours(entry.hours)}</span>
        </p>
        {entry.notes && <p className="entry-notes">{entry.notes}</p>}
      </div>
      {!rejecting && (
        <div className="entry-actions">
          <button
            type="button"
            className="button button-small button-approve"
            disabled={busy}
            onClick={() => void decide({ decision: 'approve' }, `Approved ${what}.`)}
          >
            Approve
          </button>
          <button type="button" className="button button-small button-danger" ref={rejectRef} disabled={busy} onClick={() => setRejecting(true)}>
            Reject
          </button>
        </div>
      )}
      {rejecting && (
        <form className="reject-form" onSubmit={reject} onKeyDown={(event) => event.key === 'Escape' && cancel()} noValidate>
          <label htmlFor={reasonId}>Reason</label>
          <textarea
            id={reasonId}
            rows={2}
            autoFocus
            value={reason}
            onChange={(event) => {
              setReason(event.target.value);
              setReasonError(undefined);
            }}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={reasonError ? `${reasonId}-error` : undefined}
          />
          {reasonError && (
            <p id={`${reasonId}-error`} className="field-error">
              {reasonError}
            </p>
          )}
          <div className="entry-actions">
            <button type="submit" className="button button-small button-danger-solid" disabled={busy}>
              Reject
            </button>
            <button type="button" className="button button-small" disabled={busy} onClick={cancel}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </li>
  );
}
