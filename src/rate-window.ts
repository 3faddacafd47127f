// A per-instance fixed-window counter for request rate limits (the API, the token endpoint, CSP reports).
// Each instance counts on its own: with N instances the effective limit is up to N times the
// setting. Bounded: past MAX_KEYS the oldest windows are dropped, so a flood of new keys cannot
// grow memory.

const MAX_KEYS = 100_000;

export class RateWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #counts = new Map<string, { count: number; start: number }>();
  #lastSweep = 0;

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Counts a hit; returns the seconds to wait when over the limit, else 0. */
  hit(key: string, now = Date.now()): number {
    this.#sweep(now);
    let entry = this.#counts.get(key);
    if (!entry || now - entry.start >= this.#windowMs) {
      entry = { count: 0, start: now };
      this.#counts.delete(key);
      if (this.#counts.size >= MAX_KEYS) this.#counts.delete(this.#counts.keys().next().value!);
      this.#counts.set(key, entry);
    }
    entry.count++;
    return entry.count > this.#limit ? Math.max(1, Math.ceil((entry.start + this.#windowMs - now) / 1000)) : 0;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#counts) if (now - entry.start >= this.#windowMs) this.#counts.delete(key);
  }
}
