// RFC 4180 CSV that spreadsheets cannot be tricked into executing: a cell that starts like a
// formula (= + - @, tab, carriage return) is prefixed with an apostrophe (OWASP's advice).
const FORMULA_START = /^[=+\-@\t\r]/;

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function toCsv<T>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  // A byte-order mark so spreadsheet programs read UTF-8 names correctly.
  return `\uFEFF${csvRow(columns)}${rows.map((row) => csvRow(columns.map((c) => row[c]))).join('')}`;
}
