// ISO 8601 weeks (Monday to Sunday; week 1 holds the year's first Thursday) on plain 'YYYY-MM-DD'
// calendar dates. Shared by the API and the web app, so it uses neither the DOM nor Node: dates
// are calendar days computed in UTC, never instants, so no time zone can shift a day.

const DAY_MS = 24 * 60 * 60 * 1000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

/** Milliseconds of a valid 'YYYY-MM-DD' date at UTC midnight, or null (rejects 2026-02-30). */
function dayMs(date: string): number | null {
  const match = DATE_PATTERN.exec(date);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const parsed = new Date(ms);
  // Date.UTC maps years 0..99 to 1900..1999; setUTCFullYear keeps them as written.
  parsed.setUTCFullYear(year);
  const exact = parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
  return exact ? parsed.getTime() : null;
}

function requireDay(date: string): number {
  const ms = dayMs(date);
  if (ms === null) throw new RangeError(`not a calendar date (YYYY-MM-DD): "${date}"`);
  return ms;
}

function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** 1 for Monday … 7 for Sunday. */
function isoWeekday(ms: number): number {
  return new Date(ms).getUTCDay() || 7;
}

/** The Monday of week 1: the week holding 4 January. */
function firstMonday(year: number): number {
  const jan4 = new Date(Date.UTC(2000, 0, 4));
  jan4.setUTCFullYear(year);
  return jan4.getTime() - (isoWeekday(jan4.getTime()) - 1) * DAY_MS;
}

function weekLabel(year: number, week: number): string {
  return `${String(year).padStart(4, '0')}-W${String(week).padStart(2, '0')}`;
}

/** True for a real calendar date written 'YYYY-MM-DD'. */
export function isCalendarDate(date: string): boolean {
  return dayMs(date) !== null;
}

/** The date `n` days after `date` (before, when negative). */
export function addDays(date: string, n: number): string {
  return formatDay(requireDay(date) + n * DAY_MS);
}

/** The ISO week of a date, e.g. '2026-11-20' → '2026-W47'; '2027-01-01' → '2026-W53'. */
export function isoWeekOf(date: string): string {
  const ms = requireDay(date);
  // The week belongs to the year of its Thursday.
  const thursday = ms + (4 - isoWeekday(ms)) * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  return weekLabel(year, Math.floor((thursday - firstMonday(year)) / (7 * DAY_MS)) + 1);
}

/** 'YYYY-Www' → its year and week number, or null when malformed or beyond the year's last week. */
export function parseIsoWeek(week: string): { year: number; week: number } | null {
  const match = WEEK_PATTERN.exec(week);
  if (!match) return null;
  const year = Number(match[1]);
  const number = Number(match[2]);
  // 28 December always lies in the last week of its year (52 or 53).
  const weeks = Number(isoWeekOf(`${match[1]}-12-28`).slice(6));
  return number >= 1 && number <= weeks ? { year, week: number } : null;
}

function requireWeek(week: string): { year: number; week: number } {
  const parsed = parseIsoWeek(week);
  if (!parsed) throw new RangeError(`not an ISO week (YYYY-Www): "${week}"`);
  return parsed;
}

/** The dates of a week, Monday to Sunday: `from` is the Monday, `to` the Sunday. */
export function weekRange(week: string): { from: string; to: string; days: string[] } {
  const { year, week: number } = requireWeek(week);
  const monday = firstMonday(year) + (number - 1) * 7 * DAY_MS;
  const days = Array.from({ length: 7 }, (_, i) => formatDay(monday + i * DAY_MS));
  return { from: days[0]!, to: days[6]!, days };
}

/** The week `n` weeks after `week` (before, when negative), across year boundaries. */
export function addWeeks(week: string, n: number): string {
  return isoWeekOf(addDays(weekRange(week).from, n * 7));
}
