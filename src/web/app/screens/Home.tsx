// Signed out: what the app is, and Log in. Signed in: a greeting and the week at a glance.
import { weekRange } from '../../../domain/week.ts';
import type { SignedInUser } from '../auth/client.ts';
import { formatDay, formatHours, formatWeekDates, formatWeekNumber, currentWeek, todayLocal } from '../ui/format.ts';
import { Page } from '../ui/Page.tsx';
import { navigate } from '../ui/router.tsx';
import { useAuthState, useServices } from '../ui/services.tsx';
import { ErrorState, Loading } from '../ui/states.tsx';
import { useAsync } from '../ui/use-async.ts';

export function Home() {
  const state = useAuthState();
  return state.status === 'signed-in' ? <Dashboard user={state.user} /> : <Welcome />;
}

function Welcome() {
  const { auth } = useServices();
  return (
    <div className="hero">
      <p className="hero-mark" aria-hidden="true">
        ◷
      </p>
      <h1>Your week, logged in a minute.</h1>
      <p className="hero-lead">
        ABC Timesheets is where ABC Inc. employees and contractors record the hours they work, project by project, and
        where managers approve them.
      </p>
      <button type="button" className="button button-primary button-large" onClick={() => void auth.login('/')}>
        Log in
      </button>
      <ul className="hero-points">
        <li>Log hours for each day of the week</li>
        <li>See when your time is approved</li>
        <li>Export your weeks as CSV</li>
      </ul>
    </div>
  );
}

function greeting(hour = new Date().getHours()): string {
  if (hour < 12) return 'Good morning';
  if (hour < 18) return 'Good afternoon';
  return 'Good evening';
}

function Dashboard({ user }: { user: SignedInUser }) {
  const approver = user.scopes.has('approve:timesheets');
  return (
    <Page title="Home" heading={`${greeting()}, ${user.name}`} subtitle="Here is your week at a glance.">
      <div className="dashboard">
        <ThisWeek />
        <div className="dashboard-side">
          <NeedsAttention />
          {approver && <WaitingApprovals />}
        </div>
      </div>
    </Page>
  );
}

function ThisWeek() {
  const { api } = useServices();
  const week = currentWeek();
  const summary = useAsync(() => api.summary(week), week);
  const today = todayLocal();
  const days = weekRange(week).days;
  /** A bar's full height: a long day, or the longest day logged. */
  const scale = summary.status === 'ready' ? Math.max(10, ...summary.data.days.map((d) => d.hours)) : 10;

  return (
    <section className="card" aria-labelledby="this-week-title">
      <div className="card-header">
        <h2 id="this-week-title">This week</h2>
        <span className="muted">
          {formatWeekNumber(week)} · {formatWeekDates(week)}
        </span>
      </div>
      {summary.status === 'loading' && <Loading label="Loading your week…" />}
      {summary.status === 'error' && <ErrorState title="Your week could not be loaded." error={summary.error} onRetry={summary.reload} />}
      {summary.status === 'ready' && (
        <>
          <p className="big-number">
            {formatHours(summary.data.total_hours)} <span className="muted">logged</span>
          </p>
          <ul className="day-bars" aria-label="Hours per day">
            {days.map((day) => {
              const hours = summary.data.days.find((d) => d.date === day)?.hours ?? 0;
              return (
                <li key={day} className={day === today ? 'is-today' : undefined}>
                  <span className="day-bar" aria-hidden="true">
                    <span style={{ height: `${(hours / scale) * 100}%` }} />
                  </span>
                  <span className="day-bar-label">
                    <span aria-hidden="true">{formatDay(day, 'weekday')}</span>
                    <span className="visually-hidden">
                      {formatDay(day)}: {formatHours(hours)}
                    </span>
                  </span>
                </li>
              );
            })}
          </ul>
          {summary.data.projects.length > 0 && (
            <ul className="chips" aria-label="Hours per project">
              {summary.data.projects.map((p) => (
                <li key={p.project} className="chip">
                  {p.project} <strong>{formatHours(p.hours)}</strong>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      <div className="card-actions">
        <button type="button" className="button button-primary" onClick={() => navigate('/timesheets')}>
          Open this week
        </button>
        <button type="button" className="button" onClick={() => navigate(`/timesheets/new?date=${today}`)}>
          Log time today
        </button>
      </div>
    </section>
  );
}

function NeedsAttention() {
  const { api } = useServices();
  const rejected = useAsync(() => api.rejected(), 'rejected');
  return (
    <section className="card" aria-labelledby="attention-title">
      <div className="card-header">
        <h2 id="attention-title">Needs attention</h2>
      </div>
      {rejected.status === 'loading' && <Loading label="Loading…" />}
      {rejected.status === 'error' && <ErrorState title="Rejected entries could not be loaded." error={rejected.error} onRetry={rejected.reload} />}
      {rejected.status === 'ready' && rejected.data.length === 0 && <p className="muted">Nothing was rejected. You are all set.</p>}
      {rejected.status === 'ready' && rejected.data.length > 0 && (
        <ul className="attention-list">
          {rejected.data.map((entry) => (
            <li key={entry.id}>
              <div>
                <p className="entry-title">
                  <span className="entry-project">{entry.project}</span>
                  <span className="muted">
                    {formatDay(entry.date, 'short')} · {formatHours(entry.hours)}
                  </span>
                </p>
                {entry.rejection_reason && (
                  <p className="entry-reason">
                    <span className="entry-reason-label">Reason:</span> {entry.rejection_reason}
                  </p>
                )}
              </div>
              <button type="button" className="button button-small" onClick={() => navigate(`/timesheets/${entry.id}/edit`)}>
                Edit
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function WaitingApprovals() {
  const { api } = useServices();
  const pending = useAsync(() => api.pendingApprovals(), 'approvals');
  return (
    <section className="card" aria-labelledby="approvals-title">
      <div className="card-header">
        <h2 id="approvals-title">Waiting for your approval</h2>
      </div>
      {pending.status === 'loading' && <Loading label="Loading approvals…" />}
      {pending.status === 'error' && <ErrorState title="Approvals could not be loaded." error={pending.error} onRetry={pending.reload} />}
      {pending.status === 'ready' && (
        <p className="big-number">
          {pending.data.items.length}
          {pending.data.truncated ? '+' : ''} <span className="muted">{pending.data.items.length === 1 ? 'entry' : 'entries'}</span>
        </p>
      )}
      <div className="card-actions">
        <button type="button" className="button" onClick={() => navigate('/approvals')}>
          Review approvals
        </button>
      </div>
    </section>
  );
}
