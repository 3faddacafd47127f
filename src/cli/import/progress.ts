// How a running import shows itself on standard error: a bar redrawn in place on a terminal, a
// plain line every few seconds in a log (cron), nothing when asked to be quiet.

export interface ProgressStats {
  /** Records read so far. */
  readonly rows: number;
  /** Records finished with: answered by the API, refused locally, or in a batch that failed for good. */
  readonly settled: number;
  /** Records the API has answered for. */
  readonly sent: number;
  readonly created: number;
  readonly duplicates: number;
  readonly errors: number;
  readonly bytesRead: number;
  /** The file's size, when it has one (not standard input). */
  readonly totalBytes?: number;
  readonly elapsedMs: number;
}

export interface Progress {
  update(stats: ProgressStats): void;
  /** A message worth seeing (a retry, a renewed token). */
  note(message: string): void;
  done(stats: ProgressStats): void;
}

export type ProgressMode = 'bar' | 'lines' | 'off';

/** Rows per second and, when the size is known, seconds left (by bytes read, the only honest measure of a stream). */
export function estimate(stats: ProgressStats): { rate: number; fraction?: number; secondsLeft?: number } {
  const seconds = stats.elapsedMs / 1000;
  const rate = seconds > 0 ? stats.settled / seconds : 0;
  if (!stats.totalBytes) return { rate };
  // Rows read but still in flight are not done: scale the share of bytes read by the share settled.
  const read = Math.min(1, stats.bytesRead / stats.totalBytes);
  const fraction = stats.rows > 0 ? read * Math.min(1, stats.settled / stats.rows) : 0;
  if (fraction <= 0 || seconds <= 0) return { rate, fraction };
  return { rate, fraction, secondsLeft: Math.max(0, (seconds * (1 - fraction)) / fraction) };
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

const number = (n: number) => n.toLocaleString('en-US');

/** One frame of the terminal bar, `width` characters of bar. */
export function renderBar(stats: ProgressStats, width = 24): string {
  const { rate, fraction, secondsLeft } = estimate(stats);
  const parts = [`${number(stats.sent)} rows sent`, `${number(Math.round(rate))} rows/s`];
  if (stats.errors) parts.push(`${number(stats.errors)} errors`);
  if (fraction === undefined) return `import ${parts.join(' · ')}`;
  const filled = Math.floor(fraction * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%`;
  if (secondsLeft !== undefined) parts.push(`${formatDuration(secondsLeft)} left`);
  return `${bar} ${parts.join(' · ')}`;
}

/** One plain log line; the final one says "done" instead of how much is left. */
export function renderLine(stats: ProgressStats, final = false): string {
  const { rate, fraction, secondsLeft } = estimate(stats);
  const parts = [
    `${stats.rows} rows read`,
    `${stats.sent} sent (${stats.created} created, ${stats.duplicates} duplicates)`,
    `${stats.errors} errors`,
    `${Math.round(rate)} rows/s`,
  ];
  if (final) return `import: done: ${parts.join(', ')} in ${formatDuration(stats.elapsedMs / 1000)}`;
  if (fraction !== undefined) parts.push(`${Math.floor(fraction * 100)}%`);
  if (secondsLeft !== undefined) parts.push(`about ${formatDuration(secondsLeft)} left`);
  return `import: ${parts.join(', ')}`;
}

interface Sink {
  write(text: string): unknown;
  readonly columns?: number;
}

export function createProgress(mode: ProgressMode, sink: Sink = process.stderr, options: { lineEveryMs?: number; now?: () => number } = {}): Progress {
  const now = options.now ?? Date.now;
  if (mode === 'off') return { update() {}, note() {}, done() {} };

  if (mode === 'lines') {
    const every = options.lineEveryMs ?? 5000;
    let last = now();
    return {
      update(stats) {
        if (now() - last < every) return;
        last = now();
        sink.write(`${renderLine(stats)}\n`);
      },
      note(message) {
        sink.write(`import: ${message}\n`);
      },
      done(stats) {
        sink.write(`${renderLine(stats, true)}\n`);
      },
    };
  }

  let last = 0;
  let shown = '';
  const draw = (text: string) => {
    const width = Math.max(20, (sink.columns || 80) - 1);
    shown = text.length > width ? text.slice(0, width) : text;
    sink.write(`\r\x1b[2K${shown}`);
  };
  return {
    update(stats) {
      if (now() - last < 100) return; // ten frames a second is plenty
      last = now();
      draw(renderBar(stats));
    },
    note(message) {
      sink.write(`\r\x1b[2K${message}\n`);
      if (shown) sink.write(shown);
    },
    done() {
      sink.write('\r\x1b[2K');
      shown = '';
    },
  };
}
