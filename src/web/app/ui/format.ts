// Dates and hours in the user's locale. Entry dates are calendar days ('YYYY-MM-DD'), formatted in
// UTC so no time zone moves them; "today" is the user's local calendar day.
import { isoWeekOf, parseIsoWeek, weekRange } from '../../../domain/week.ts';

const dayFormats = {
  long: new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', timeZone: 'UTC' }),
  short: new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }),
  weekday: new Intl.DateTimeFormat(undefined, { weekday: 'short', timeZone: 'UTC' }),
  full: new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }),
};
const hoursFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });

const utc = (date: string) => new Date(`${date}T00:00:00Z`);

export function formatDay(date: string, style: keyof typeof dayFormats = 'long'): string {
  return dayFormats[style].format(utc(date));
}

/** "16 – 22 Nov 2026" in the locale's own way of writing a range. */
export function formatWeekDates(week: string): string {
  const { from, to } = weekRange(week);
  return dayFormats.full.formatRange(utc(from), utc(to));
}

/** "Week 47" */
export function formatWeekNumber(week: string): string {
  return `Week ${parseIsoWeek(week)?.week ?? '?'}`;
}

export function formatHours(hours: number): string {
  return `${hoursFormat.format(hours)} h`;
}

export function todayLocal(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function currentWeek(): string {
  return isoWeekOf(todayLocal());
}

/** Sums hours in hundredths, so 0.1 + 0.2 shows as 0.3. */
export function sumHours(values: Iterable<number>): number {
  let hundredths = 0;
  for (const value of values) hundredths += Math.round(value * 100);
  return hundredths / 100;
}
