// New entry and Edit entry. Fast to fill: the date defaults to the day clicked (or today), the
// project to the last one used. Errors, ours or the API's, appear next to their field, and what
// was typed is never lost. Saving a rejected entry sends it for approval again.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { CHANGEABLE_STATUSES, HOURS_STEP, hoursProblem, MAX_HOURS_PER_DAY, MAX_NOTES_LENGTH } from '../../../domain/entries.ts';
import { isCalendarDate, isoWeekOf } from '../../../domain/week.ts';
import { ApiError } from '../api/http.ts';
import type { Entry, EntryInput, Project } from '../api/timesheets.ts';
import { setFlash } from '../ui/flash.ts';
import { formatDay, formatHours, todayLocal } from '../ui/format.ts';
import { Page } from '../ui/Page.tsx';
import { Link, navigate, useLocation } from '../ui/router.tsx';
import { useServices } from '../ui/services.tsx';
import { describeError, ErrorState, Loading } from '../ui/states.tsx';
import { useAsync } from '../ui/use-async.ts';
import { weekPath } from './MyTimesheets.tsx';

type Field = 'date' | 'project' | 'hours' | 'notes';
type Values = Record<Field, string>;
type Errors = Partial<Record<Field, string>>;
const FIELDS: readonly Field[] = ['date', 'project', 'hours', 'notes'];

/** Not a token: only the name of the project last logged, to preselect it next time. */
const LAST_PROJECT_KEY = 'abc-timesheets:last-project';
/**
 * Not a token either: what a person typed when their session ended, for this tab only, until the
 * same form opens again for the same person after signing in (logging out clears it with the rest
 * of the site's data; someone else signing in never sees it).
 */
const DRAFT_KEY = 'abc-timesheets:unsaved-entry';

interface Draft {
  readonly sub: string;
  readonly path: string;
  readonly values: Values;
}

function readDraft(): Draft | undefined {
  try {
    const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) ?? 'null') as Partial<Draft> | null;
    const values = draft?.values as Record<string, unknown> | undefined;
    if (typeof draft?.sub !== 'string' || typeof draft.path !== 'string' || !values) return undefined;
    return FIELDS.every((field) => typeof values[field] === 'string') ? (draft as Draft) : undefined;
  } catch {
    return undefined;
  }
}

export function EntryForm({ id }: { id?: string }) {
  const { api } = useServices();
  const { query } = useLocation();
  const title = id ? 'Edit entry' : 'New entry';
  const loaded = useAsync(
    () => Promise.all([api.projects(), id ? api.entry(id) : Promise.resolve(undefined)]),
    id ?? 'new',
  );

  if (loaded.status === 'loading') return <Page title={title}><Loading label="Loading…" /></Page>;
  if (loaded.status === 'error') {
    return (
      <Page title={title}>
        <ErrorState title="This form could not be loaded." error={loaded.error} onRetry={loaded.reload} />
      </Page>
    );
  }

  const [projects, entry] = loaded.data;
  if (entry && !CHANGEABLE_STATUSES.includes(entry.status)) {
    return (
      <Page title={title}>
        <div className="card narrow">
          <p>This entry was approved, so it can no longer be changed.</p>
          <Link to={weekPath(isoWeekOf(entry.date))} className="button">
            Back to the week
          </Link>
        </div>
      </Page>
    );
  }
  return (
    <Page title={title} subtitle={id ? undefined : 'Log time on a project.'}>
      <EntryFields projects={projects} entry={entry} initialDate={query.get('date')} />
    </Page>
  );
}

function initialValues(projects: readonly Project[], entry: Entry | undefined, date: string | null): Values {
  if (entry) {
    return { date: entry.date, project: entry.project, hours: String(entry.hours), notes: entry.notes ?? '' };
  }
  const last = localStorage.getItem(LAST_PROJECT_KEY);
  return {
    date: date && isCalendarDate(date) ? date : todayLocal(),
    project: projects.some((p) => p.name === last) ? (last ?? '') : '',
    hours: '',
    notes: '',
  };
}

function validate(values: Values): Errors {
  const errors: Errors = {};
  if (!isCalendarDate(values.date)) errors.date = 'Enter a date.';
  if (!values.project) errors.project = 'Choose a project.';
  const hours = Number(values.hours);
  if (values.hours.trim() === '' || !Number.isFinite(hours)) errors.hours = 'Enter the hours worked, for example 7.5.';
  else if (hours <= 0 || hours > MAX_HOURS_PER_DAY) errors.hours = `Enter more than 0 and at most ${MAX_HOURS_PER_DAY} hours.`;
  else if (hoursProblem(hours)) errors.hours = 'Use at most two decimals.';
  if (values.notes.length > MAX_NOTES_LENGTH) errors.notes = `Keep notes under ${MAX_NOTES_LENGTH} characters.`;
  return errors;
}

function EntryFields({ projects, entry, initialDate }: { projects: readonly Project[]; entry?: Entry; initialDate: string | null }) {
  const { api, auth } = useServices();
  const { here } = useLocation();
  // The form shows only while someone is signed in; their subject is kept for when they no longer are.
  const [sub] = useState(() => {
    const state = auth.getState();
    return state.status === 'signed-in' ? state.user.sub : '';
  });
  const [initial] = useState<Values>(() => initialValues(projects, entry, initialDate));
  const [restored] = useState(() => {
    const draft = readDraft();
    return draft?.sub === sub && draft.path === here ? draft.values : undefined;
  });
  const [values, setValues] = useState<Values>(restored ?? initial);
  const typed = useRef(values);
  typed.current = values;
  useEffect(() => {
    // Taken once it is back; a draft of someone else's is dropped; another form's stays for it.
    const draft = readDraft();
    if (restored || (draft && draft.sub !== sub)) sessionStorage.removeItem(DRAFT_KEY);
    // The session ending (a renewal refused) replaces this form with the sign-in notice: keep what
    // was typed for when the same person opens the same form again after signing in.
    return () => {
      const state = auth.getState();
      const changed = FIELDS.some((field) => typed.current[field] !== initial[field]);
      if (state.status === 'signed-out' && state.expired && changed) {
        sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ sub, path: here, values: typed.current } satisfies Draft));
      }
    };
  }, [auth, here, initial, restored, sub]);
  const [errors, setErrors] = useState<Errors>({});
  const [formError, setFormError] = useState<string>();
  const [saving, setSaving] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  /** Cancel returns to the week the form was opened for (the date typed may not be valid). */
  const backTo = weekPath(isoWeekOf(initial.date));

  const set = (field: Field) => (event: { target: { value: string } }) => {
    setValues((v) => ({ ...v, [field]: event.target.value }));
    setErrors((e) => ({ ...e, [field]: undefined }));
  };

  const showErrors = (next: Errors, message?: string) => {
    setErrors(next);
    setFormError(message);
    const first = FIELDS.find((field) => next[field]);
    requestAnimationFrame(() => {
      if (first) formRef.current?.querySelector<HTMLElement>(`#entry-${first}`)?.focus();
      else formRef.current?.querySelector<HTMLElement>('.alert')?.focus();
    });
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    const problems = validate(values);
    if (Object.keys(problems).length) return showErrors(problems);
    const input: EntryInput = {
      date: values.date,
      project: values.project,
      hours: Number(values.hours),
      notes: values.notes.trim() || null,
    };
    setSaving(true);
    try {
      const saved = entry ? await api.update(entry.id, input) : await api.create(input);
      localStorage.setItem(LAST_PROJECT_KEY, saved.project);
      setFlash(
        entry
          ? `Saved the ${saved.project} entry of ${formatDay(saved.date)}${entry.status === 'rejected' ? ': it is pending approval again' : ''}.`
          : `Logged ${formatHours(saved.hours)} on ${saved.project} for ${formatDay(saved.date)}.`,
      );
      navigate(weekPath(isoWeekOf(saved.date)));
    } catch (error) {
      setSaving(false);
      const fieldErrors: Errors = {};
      const others: string[] = [];
      for (const { field, message } of error instanceof ApiError ? error.errors : []) {
        if ((FIELDS as readonly string[]).includes(field)) fieldErrors[field as Field] = capitalize(message);
        else others.push(`${field}: ${message}`);
      }
      const hasFieldErrors = Object.keys(fieldErrors).length > 0;
      showErrors(fieldErrors, hasFieldErrors && !others.length ? undefined : [describeError(error as Error), ...others].join(' '));
    }
  }

  const describedBy = (field: Field, hint?: boolean) =>
    [hint ? `entry-${field}-hint` : '', errors[field] ? `entry-${field}-error` : ''].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: Field) =>
    errors[field] && (
      <p id={`entry-${field}-error`} className="field-error">
        {errors[field]}
      </p>
    );

  return (
    <form ref={formRef} className="card narrow form" onSubmit={(event) => void save(event)} noValidate>
      {entry?.status === 'rejected' && (
        <div className="alert alert-warning">
          <strong>This entry was rejected.</strong> {entry.rejection_reason && <>Reason: {entry.rejection_reason}. </>}
          Saving it sends it for approval again.
        </div>
      )}
      {formError && (
        <div className="alert alert-error" role="alert" tabIndex={-1}>
          {formError}
        </div>
      )}
      {restored && (
        <p className="alert alert-success" role="status">
          What you typed before signing in again is back. Check it, then Save.
        </p>
      )}
      <div className="form-row">
        <div className="field">
          <label htmlFor="entry-date">Date</label>
          <input
            id="entry-date"
            type="date"
            required
            value={values.date}
            onChange={set('date')}
            aria-invalid={errors.date ? true : undefined}
            aria-describedby={describedBy('date')}
          />
          {fieldError('date')}
        </div>
        <div className="field">
          <label htmlFor="entry-hours">Hours</label>
          <input
            id="entry-hours"
            type="number"
            inputMode="decimal"
            min={HOURS_STEP}
            max={MAX_HOURS_PER_DAY}
            step={HOURS_STEP}
            required
            autoFocus
            value={values.hours}
            onChange={set('hours')}
            aria-invalid={errors.hours ? true : undefined}
            aria-describedby={describedBy('hours', true)}
          />
          <p id="entry-hours-hint" className="field-hint">
            For example 7.5 for seven and a half hours.
          </p>
          {fieldError('hours')}
        </div>
      </div>
      <div className="field">
        <label htmlFor="entry-project">Project</label>
        <select
          id="entry-project"
          required
          value={values.project}
          onChange={set('project')}
          aria-invalid={errors.project ? true : undefined}
          aria-describedby={describedBy('project')}
        >
          <option value="">Choose a project…</option>
          {projects.map((project) => (
            <option key={project.id} value={project.name}>
              {project.name}
            </option>
          ))}
        </select>
        {fieldError('project')}
      </div>
      <div className="field">
        <label htmlFor="entry-notes">Notes</label>
        <textarea
          id="entry-notes"
          rows={3}
          value={values.notes}
          onChange={set('notes')}
          aria-invalid={errors.notes ? true : undefined}
          aria-describedby={describedBy('notes', true)}
        />
        <p id="entry-notes-hint" className="field-hint">
          Optional: what you worked on.
        </p>
        {fieldError('notes')}
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={saving}>
          Save
        </button>
        <Link to={backTo} className="button">
          Cancel
        </Link>
      </div>
    </form>
  );
}

function capitalize(message: string): string {
  return message.charAt(0).toUpperCase() + message.slice(1);
}
