import { sql } from 'kysely';
import type { Db } from './database.ts';

export interface WindowHit {
  /** False when the window was already full: the event was refused and nothing was counted. */
  readonly counted: boolean;
  readonly windowStartedAt: number;
}

/**
 * Fixed-window counters in the shared database, so every instance sees the same counts
 * (many users share one office address, so keys name accounts and clients, not only addresses).
 *
 * A full window is stored as limit + 1: that marks "refused since it filled" without counting
 * every refusal, so parallel refused events never inflate the count another event is judged by.
 */
export function rateLimitStore(db: Db) {
  return {
    /** Counts one event unless the window already holds `limit`, atomically; a passed window starts afresh. */
    async hit(key: string, limit: number, windowMs: number, now = Date.now()): Promise<WindowHit> {
      const expired = sql<boolean>`rate_limits.window_started_at <= ${now - windowMs}`;
      const row = await db
        .insertInto('rate_limits')
        .values({ key, count: 1, window_started_at: now })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql`CASE WHEN ${expired} THEN 1 WHEN rate_limits.count < ${limit} THEN rate_limits.count + 1 ELSE ${limit + 1} END`,
            window_started_at: sql`CASE WHEN ${expired} THEN ${now} ELSE rate_limits.window_started_at END`,
          }),
        )
        .returning(['count', 'window_started_at'])
        .executeTakeFirstOrThrow();
      return { counted: Number(row.count) <= limit, windowStartedAt: Number(row.window_started_at) };
    },

    /** Gives one counted event back (a sign-in that turned out right, or one refused on another count). */
    async release(key: string, limit: number): Promise<void> {
      await db
        .updateTable('rate_limits')
        .set({ count: sql`CASE WHEN count > ${limit} THEN ${limit - 1} ELSE count - 1 END` })
        .where('key', '=', key)
        .where('count', '>', 0)
        .execute();
    },

    async reset(key: string): Promise<void> {
      await db.deleteFrom('rate_limits').where('key', '=', key).execute();
    },
  };
}

export type RateLimitStore = ReturnType<typeof rateLimitStore>;
