import { invalid } from '../domain/errors.ts';

/** `from` after `to` selects nothing and is almost certainly a mistake: say so (400). */
export function assertDateRange(range: { from?: string; to?: string }): void {
  if (range.from && range.to && range.from > range.to) {
    throw invalid('from must not be after to', [{ field: 'from', message: 'is after to' }]);
  }
}
