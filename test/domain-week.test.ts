// ISO week arithmetic shared by the API and the web app.
import { describe, expect, it } from 'vitest';
import { addDays, addWeeks, isCalendarDate, isoWeekOf, parseIsoWeek, weekRange } from '../src/domain/week.ts';

describe('ISO weeks', () => {
  it('names the week of a date, the year being that of its Thursday', () => {
    expect(isoWeekOf('2026-11-20')).toBe('2026-W47');
    expect(isoWeekOf('2026-11-16')).toBe('2026-W47'); // Monday
    expect(isoWeekOf('2026-11-22')).toBe('2026-W47'); // Sunday
    expect(isoWeekOf('2026-11-23')).toBe('2026-W48');
    expect(isoWeekOf('2026-11-10')).toBe('2026-W46');
    // Year boundaries: early January may belong to the previous year, late December to the next.
    expect(isoWeekOf('2021-01-03')).toBe('2020-W53');
    expect(isoWeekOf('2021-01-04')).toBe('2021-W01');
    expect(isoWeekOf('2024-12-30')).toBe('2025-W01');
    expect(isoWeekOf('2026-12-31')).toBe('2026-W53');
    expect(isoWeekOf('2027-01-03')).toBe('2026-W53');
    expect(isoWeekOf('2028-01-01')).toBe('2027-W52');
  });

  it('lists a week Monday to Sunday', () => {
    expect(weekRange('2026-W47')).toEqual({
      from: '2026-11-16',
      to: '2026-11-22',
      days: ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'],
    });
    expect(weekRange('2025-W01')).toMatchObject({ from: '2024-12-30', to: '2025-01-05' });
    expect(weekRange('2020-W53')).toMatchObject({ from: '2020-12-28', to: '2021-01-03' });
    // Leap day inside a week.
    expect(weekRange('2028-W09').days).toContain('2028-02-29');
  });

  it('round-trips every day of several years', () => {
    for (let date = '2019-12-20'; date < '2029-01-10'; date = addDays(date, 1)) {
      const week = isoWeekOf(date);
      expect(weekRange(week).days).toContain(date);
    }
  });

  it('moves by weeks across year boundaries', () => {
    expect(addWeeks('2026-W47', 1)).toBe('2026-W48');
    expect(addWeeks('2026-W47', -1)).toBe('2026-W46');
    expect(addWeeks('2026-W53', 1)).toBe('2027-W01');
    expect(addWeeks('2027-W01', -1)).toBe('2026-W53');
    expect(addWeeks('2025-W52', 1)).toBe('2026-W01');
    expect(addWeeks('2026-W10', 0)).toBe('2026-W10');
    expect(addWeeks('2026-W10', 53)).toBe('2027-W10'); // 2026 has 53 weeks
    expect(addWeeks('2025-W10', 52)).toBe('2026-W10');
  });

  it('parses week labels and refuses malformed ones or weeks a year does not have', () => {
    expect(parseIsoWeek('2026-W47')).toEqual({ year: 2026, week: 47 });
    expect(parseIsoWeek('2026-W53')).toEqual({ year: 2026, week: 53 });
    expect(parseIsoWeek('2025-W53')).toBeNull(); // 2025 has 52 weeks
    for (const bad of ['2026-W00', '2026-W54', '2026-W7', '2026W47', '2026-w47', ' 2026-W47', '26-W47', '']) {
      expect(parseIsoWeek(bad), bad).toBeNull();
    }
    expect(() => weekRange('2025-W53')).toThrow(RangeError);
  });

  it('accepts only real calendar dates', () => {
    expect(isCalendarDate('2028-02-29')).toBe(true);
    for (const bad of ['2026-02-29', '2026-13-01', '2026-04-31', '2026-1-5', '20260105', '2026-01-05T00:00:00Z']) {
      expect(isCalendarDate(bad), bad).toBe(false);
    }
    expect(() => isoWeekOf('2026-02-30')).toThrow(RangeError);
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
  });
});
