// What a timesheet entry is and who may do what with it. Pure rules: no HTTP, no SQL.
import { conflict, forbidden, invalid, ruleViolation, type DomainError, type FieldError, type Subject } from './errors.ts';

export const ENTRY_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

export const MAX_HOURS_PER_DAY = 24;
/** Hours are stored and checked as whole hundredths. */
const CENTIHOURS_PER_HOUR = 100;
/** The least that can be logged, and the step between two values. */
export const HOURS_STEP = 1 / CENTIHOURS_PER_HOUR;
export const MAX_NOTES_LENGTH = 1000;
export const MAX_REASON_LENGTH = 1000;

export interface Entry {
  readonly id: string;
  readonly user_id: string;
  readonly user_email: string;
  readonly user_name: string;
  readonly date: string;
  readonly project: string;
  readonly hours: number;
  readonly notes: string | null;
  readonly status: EntryStatus;
  readonly rejection_reason: string | null;
  readonly external_id: string | null;
  readonly created_at: string;
  readonly updated_at: string;
  readonly decided_by: string | null;
  readonly decided_at: string | null;
}

/** Who acts: a person (from the token's claims). */
export interface Person {
  readonly sub: string;
  readonly email: string;
  readonly name: string;
}

export type Decision = 'approve' | 'reject';

/** Hours are stored as whole hundredths; anything finer is refused rather than rounded. */
export function toCentihours(hours: number): number {
  return Math.round(hours * CENTIHOURS_PER_HOUR);
}

export function fromCentihours(centihours: number): number {
  return centihours / CENTIHOURS_PER_HOUR;
}

/** Problems with an hours value, beyond its JSON type (which the schema checks). */
export function hoursProblem(hours: number): string | undefined {
  if (!Number.isFinite(hours)) return 'must be a finite number';
  if (hours <= 0) return 'must be greater than 0';
  if (hours > MAX_HOURS_PER_DAY) return `must be at most ${MAX_HOURS_PER_DAY}`;
  const centihours = toCentihours(hours);
  if (Math.abs(hours * CENTIHOURS_PER_HOUR - centihours) > 1e-6) return 'must have at most two decimals';
  // A positive value within the tolerance of zero hundredths (1e-9) would be stored as 0 hours.
  if (centihours === 0) return `must be at least ${1 / CENTIHOURS_PER_HOUR}`;
  return undefined;
}

export function assertValidHours(hours: number, field = 'hours'): void {
  const problem = hoursProblem(hours);
  if (problem) throw invalid(`hours ${problem}`, [{ field, message: problem }]);
}

/** A person's hours on one date may not exceed 24 in total (422: it depends on what is stored). */
export function dailyLimitProblem(otherCentihoursThatDay: number, newCentihours: number): FieldError | undefined {
  if (otherCentihoursThatDay + newCentihours <= toCentihours(MAX_HOURS_PER_DAY)) return undefined;
  return { field: 'hours', message: `the day's total may not exceed ${MAX_HOURS_PER_DAY} hours` };
}

export function assertDailyLimit(otherCentihoursThatDay: number, newCentihours: number): void {
  const problem = dailyLimitProblem(otherCentihoursThatDay, newCentihours);
  if (problem) {
    const total = fromCentihours(otherCentihoursThatDay + newCentihours);
    throw ruleViolation(`this would make ${total} hours on one day; at most ${MAX_HOURS_PER_DAY} are allowed`, [problem]);
  }
}

/** The statuses an owner may still edit or delete (approved entries are immutable). */
export const CHANGEABLE_STATUSES: readonly EntryStatus[] = ['pending', 'rejected'];

const IMMUTABLE = 'approved entries are immutable';

/** Approved entries are immutable: neither edited nor deleted. */
export function assertChangeable(entry: Pick<Entry, 'id' | 'status'>, action: 'edit' | 'delete'): void {
  if (!CHANGEABLE_STATUSES.includes(entry.status)) {
    const message = `entry ${entry.id} is approved and can no longer be ${action === 'edit' ? 'edited' : 'deleted'}`;
    throw conflict(message, [{ id: entry.id, message: IMMUTABLE }]);
  }
}

/** Editing a rejected entry re-submits it: back to pending, the old decision cleared. */
export function statusAfterEdit(entry: Pick<Entry, 'status'>): { status: EntryStatus; clearsDecision: boolean } {
  return entry.status === 'rejected' ? { status: 'pending', clearsDecision: true } : { status: entry.status, clearsDecision: false };
}

/** Only entries awaiting a decision can be approved or rejected. */
export const DECIDABLE_STATUS: EntryStatus = 'pending';

/** Why `decider` may not decide on `entry`, or undefined when they may. */
function decisionObstacle(
  entry: Pick<Entry, 'id' | 'user_id' | 'status'>,
  decider: Pick<Person, 'sub'>,
): { kind: 'own' | 'not_pending'; message: string } | undefined {
  if (entry.user_id === decider.sub) return { kind: 'own', message: 'a manager never decides on their own entries' };
  if (entry.status !== DECIDABLE_STATUS) {
    return { kind: 'not_pending', message: `entry is ${entry.status}, only ${DECIDABLE_STATUS} entries can be decided` };
  }
  return undefined;
}

export function assertCanDecide(entry: Pick<Entry, 'id' | 'user_id' | 'status'>, decider: Pick<Person, 'sub'>): void {
  const obstacle = decisionObstacle(entry, decider);
  if (obstacle?.kind === 'own') throw forbidden(obstacle.message);
  if (obstacle) throw conflict(`entry ${entry.id}: ${obstacle.message}`, [{ id: entry.id, message: obstacle.message }]);
}

/**
 * A batch decision is all or nothing: refused (403) naming the decider's own entries among the
 * asked ids, else (409) naming those missing or not pending. `found` is undefined for a missing id.
 */
export function assertCanDecideAll(
  asked: readonly { id: string; found: Pick<Entry, 'id' | 'user_id' | 'status'> | undefined }[],
  decider: Pick<Person, 'sub'>,
): void {
  const own: Subject[] = [];
  const blocked: Subject[] = [];
  for (const { id, found } of asked) {
    const obstacle = found ? decisionObstacle(found, decider) : { kind: 'missing', message: 'no such entry' };
    if (obstacle) (obstacle.kind === 'own' ? own : blocked).push({ id, message: obstacle.message });
  }
  if (own.length) throw forbidden(`${own.length} of ${asked.length} entries are your own; none was decided`, own);
  if (blocked.length) throw conflict(`${blocked.length} of ${asked.length} entries cannot be decided; none was`, blocked);
}

/**
 * A change checked against the entry as read, then refused by the database's conditional write:
 * another request approved or decided it in between. A batch is refused as a whole.
 */
export function changedMeanwhile(id: string, change: 'approved' | 'decided', { inBatch = false } = {}): DomainError {
  const message = change === 'approved' ? IMMUTABLE : `only ${DECIDABLE_STATUS} entries can be decided`;
  return conflict(inBatch ? `an entry was ${change} meanwhile; none was` : `entry ${id} was ${change} meanwhile`, [{ id, message }]);
}

export function assertDecisionReason(decision: Decision, reason: string | undefined): string | null {
  if (decision === 'approve') return null;
  const trimmed = reason?.trim();
  if (!trimmed) throw invalid('a rejection needs a reason', [{ field: 'reason', message: 'is required to reject' }]);
  return trimmed;
}

export function statusAfterDecision(decision: Decision): EntryStatus {
  return decision === 'approve' ? 'approved' : 'rejected';
}
