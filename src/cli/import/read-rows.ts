// The import file, read as a stream: CSV (RFC 4180) or JSON Lines, one record at a time with the
// physical line where it starts. Nothing here holds more than one row; the caller pulls at its pace.
import { StringDecoder } from 'node:string_decoder';
import type { FieldError } from '../../domain/errors.ts';
import { UsageError } from '../command.ts';

export type Format = 'csv' | 'jsonl';

/** One record of the file: the line it starts on, the fields as an upload item, or why it cannot be one. */
export interface SourceRow {
  readonly line: number;
  readonly record: Record<string, unknown>;
  /** Problems found while reading (wrong field count, broken quoting, invalid JSON): the row is not sent. */
  readonly problems?: readonly FieldError[];
}

export const COLUMNS = ['external_id', 'email', 'date', 'project', 'hours', 'notes'] as const;
const REQUIRED_COLUMNS = COLUMNS.filter((c) => c !== 'notes');

/** A row longer than this is not a timesheet entry: most likely a quote left open that swallows the file. */
export const MAX_ROW_CHARS = 1024 * 1024;

/** The file cannot be read on (header, encoding, a runaway row): the whole import stops with exit code 2. */
export class InputError extends UsageError {}

export interface CsvRow {
  readonly line: number;
  readonly fields: string[];
  readonly problem?: string;
}

const COMMA = 44;
const QUOTE = 34;
const CR = 13;
const LF = 10;

const State = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;
type State = (typeof State)[keyof typeof State];

/**
 * An incremental RFC 4180 parser: `push` text as it arrives (chunks may split anywhere, even a CRLF),
 * get the complete rows back. Quoted fields may hold commas, doubled quotes and line breaks; line
 * breaks are CRLF, LF or a lone CR. Blank lines are skipped. Each row carries the physical line it
 * starts on (the first line is 1), so a multi-line field does not shift the numbers that follow.
 */
export class CsvParser {
  #state: State = State.FieldStart;
  #field = '';
  #fields: string[] = [];
  #line = 1;
  #rowLine = 1;
  #rowChars = 0;
  #rowHasContent = false;
  #afterCR = false;
  #quotedCR = false;
  #problem: string | undefined;
  #first = true;

  push(text: string): CsvRow[] {
    const rows: CsvRow[] = [];
    let i = 0;
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.#afterCR) {
        this.#afterCR = false;
        if (c === LF) {
          i++;
          continue; // the CR already ended the line
        }
      }
      switch (this.#state) {
        case State.FieldStart:
          if (c === QUOTE) {
            this.#state = State.Quoted;
            this.#quotedCR = false;
            this.#rowHasContent = true;
            i++;
          } else if (c === COMMA) {
            this.#rowHasContent = true;
            this.#endField();
            i++;
          } else if (c === CR || c === LF) {
            this.#endRow(rows);
            this.#newLine(c);
            i++;
          } else {
            this.#state = State.Unquoted;
            this.#rowHasContent = true;
          }
          break;
        case State.Unquoted: {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === COMMA || d === CR || d === LF) break;
            j++;
          }
          this.#append(text, i, j);
          i = j;
          if (j < n) this.#state = State.FieldStart; // the delimiter is handled there
          break;
        }
        case State.Quoted: {
          // Line breaks inside the field count as physical lines (CRLF once).
          let j = i;
          let cr = this.#quotedCR;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === QUOTE) break;
            if (d === CR) this.#line++;
            else if (d === LF && !cr) this.#line++;
            cr = d === CR;
            j++;
          }
          this.#quotedCR = cr;
          this.#append(text, i, j);
          if (j < n) {
            this.#state = State.QuoteInQuoted;
            j++;
          }
          i = j;
          break;
        }
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            this.#append('"', 0, 1);
            this.#state = State.Quoted;
            this.#quotedCR = false;
            i++;
          } else if (c === COMMA || c === CR || c === LF) {
            this.#state = State.FieldStart;
          } else {
            this.#problem ??= 'a quoted field must end at a comma or the end of the line';
            this.#state = State.Unquoted;
          }
          break;
      }
    }
    return rows;
  }

  /** The end of the input: the last row, even without a final line break. */
  end(): CsvRow[] {
    const rows: CsvRow[] = [];
    if (this.#state === State.Quoted) this.#problem ??= 'a quoted field is not closed before the end of the file';
    if (this.#rowHasContent) this.#endRow(rows);
    return rows;
  }

  #append(text: string, from: number, to: number): void {
    if (to <= from) return;
    this.#rowChars += to - from;
    if (this.#rowChars > MAX_ROW_CHARS) {
      throw new InputError(
        `line ${this.#rowLine}: the row is longer than ${MAX_ROW_CHARS} characters (is a quote left open?)`,
      );
    }
    this.#field += from === 0 && to === text.length ? text : text.slice(from, to);
  }

  #endField(): void {
    this.#fields.push(this.#field);
    this.#field = '';
    this.#state = State.FieldStart;
  }

  #endRow(rows: CsvRow[]): void {
    if (this.#rowHasContent) {
      this.#endField();
      rows.push({ line: this.#rowLine, fields: this.#fields, ...(this.#problem ? { problem: this.#problem } : {}) });
    }
    this.#fields = [];
    this.#field = '';
    this.#state = State.FieldStart;
    this.#rowChars = 0;
    this.#rowHasContent = false;
    this.#problem = undefined;
  }

  #newLine(c: number): void {
    this.#line++;
    this.#rowLine = this.#line;
    if (c === CR) this.#afterCR = true;
  }
}

/** The text of a stream, decoded as UTF-8 across chunk boundaries, counting the bytes read. */
async function* decode(input: AsyncIterable<Buffer | string>, onBytes: (bytes: number) => void): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    onBytes(buffer.length);
    const text = decoder.write(buffer);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * A CSV text cell as the upload item's value: hours become a number when they read as one (otherwise
 * the text is kept so the schema names the field), and an empty cell is left out.
 */
export function csvValue(column: string, text: string): unknown {
  if (text === '') return undefined;
  if (column === 'hours') {
    const trimmed = text.trim();
    return NUMBER.test(trimmed) ? Number(trimmed) : text;
  }
  return text;
}

/** Checks the header row and returns the column of each field. */
export function csvColumns(header: readonly string[]): string[] {
  const columns = header.map((name, i) => (i === 0 ? name.replace(/^\uFEFF/, '') : name).trim().toLowerCase());
  const unknown = columns.filter((c) => !(COLUMNS as readonly string[]).includes(c));
  const repeated = columns.filter((c, i) => columns.indexOf(c) !== i);
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  const problems = [
    ...(missing.length ? [`missing ${missing.join(', ')}`] : []),
    ...(unknown.length ? [`unknown ${unknown.map((c) => `"${c}"`).join(', ')}`] : []),
    ...(repeated.length ? [`repeated ${[...new Set(repeated)].join(', ')}`] : []),
  ];
  if (problems.length) {
    throw new InputError(
      `line 1: the header must name the columns ${COLUMNS.join(',')} (notes optional, any order): ${problems.join('; ')}`,
    );
  }
  return columns;
}

export async function* csvRows(input: AsyncIterable<Buffer | string>, onBytes: (bytes: number) => void = () => {}): AsyncGenerator<SourceRow> {
  const parser = new CsvParser();
  let columns: string[] | undefined;
  function* convert(rows: CsvRow[]): Generator<SourceRow> {
    for (const row of rows) {
      if (!columns) {
        columns = csvColumns(row.fields);
        continue;
      }
      const record: Record<string, unknown> = {};
      const count = Math.min(columns.length, row.fields.length);
      for (let i = 0; i < count; i++) {
        const value = csvValue(columns[i]!, row.fields[i]!);
        if (value !== undefined) record[columns[i]!] = value;
      }
      const problems: FieldError[] = [];
      if (row.problem) problems.push({ field: 'row', message: row.problem });
      // A missing trailing notes cell is tolerated (some exports drop empty trailing cells); nothing else is.
      const optionalTail = row.fields.length < columns.length && columns.slice(row.fields.length).every((c) => c === 'notes');
      if (row.fields.length !== columns.length && !optionalTail) {
        problems.push({ field: 'row', message: `has ${row.fields.length} fields; the header has ${columns.length}` });
      }
      yield { line: row.line, record, ...(problems.length ? { problems } : {}) };
    }
  }
  for await (const text of decode(input, onBytes)) yield* convert(parser.push(text));
  yield* convert(parser.end());
  if (!columns) throw new InputError(`the file is empty: it needs a header row (${COLUMNS.join(',')})`);
}

/** JSON Lines: one JSON object per line; blank lines are skipped. */
export async function* jsonlRows(input: AsyncIterable<Buffer | string>, onBytes: (bytes: number) => void = () => {}): AsyncGenerator<SourceRow> {
  let pending = '';
  let line = 0;
  let first = true;
  function* lines(text: string, final: boolean): Generator<SourceRow> {
    let start = 0;
    for (;;) {
      const end = text.indexOf('\n', start);
      if (end === -1) break;
      yield* one(text.slice(start, end));
      start = end + 1;
    }
    pending = text.slice(start);
    if (pending.length > MAX_ROW_CHARS) {
      throw new InputError(`line ${line + 1}: the line is longer than ${MAX_ROW_CHARS} characters`);
    }
    if (final && pending) {
      yield* one(pending);
      pending = '';
    }
  }
  function* one(raw: string): Generator<SourceRow> {
    line++;
    let text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (first) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      yield { line, record: {}, problems: [{ field: 'line', message: `is not valid JSON (${reason})` }] };
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      yield { line, record: {}, problems: [{ field: 'line', message: 'must be a JSON object' }] };
      return;
    }
    yield { line, record: value as Record<string, unknown> };
  }
  for await (const text of decode(input, onBytes)) yield* lines(pending + text, false);
  yield* lines(pending, true);
}

export function readRows(format: Format, input: AsyncIterable<Buffer | string>, onBytes?: (bytes: number) => void): AsyncGenerator<SourceRow> {
  return format === 'jsonl' ? jsonlRows(input, onBytes) : csvRows(input, onBytes);
}
