import { sql } from 'kysely';
import type { Db } from './database.ts';

export interface WindowCount {
  readonly count: number;
  readonly windowStartedAt: number;
}

/**
 * Fixed-window counters in the shared database, so every instance sees the same counts
 * (many users share one office address, so keys name accounts and clients, not only addresses).
 */
export function rateLimitStore(db: Db) {
  return {
    /** Counts one event atomically, starting a new window when the old one has passed. */
    async hit(key: string, windowMs: number, now = Date.now()): Promise<WindowCount> {
      const expired = sql<boolean>`rate_limits.window_started_at <= ${now - windowMs}`;
      const row = await db
        .insertInto('rate_limits')
        .values({ key, count: 1, window_started_at: now })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            count: sql`CASE WHEN ${expired} THEN 1 ELSE rate_limits.count + 1 END`,
            window_started_at: sql`CASE WHEN ${expired} THEN ${now} ELSE rate_limits.window_started_at END`,
          }),
        )
        .returning(['count', 'window_started_at'])
        .executeTakeFirstOrThrow();
      return { count: Number(row.count), windowStartedAt: Number(row.window_started_at) };
    },

    /** Gives one counted event back (a sign-in that turned out right). */
    async release(key: string): Promise<void> {
      await db.updateTable('rate_limits').set({ count: sql`count - 1` }).where('key', '=', key).where('count', '>', 0).execute();
    },

    async reset(key: string): Promise<void> {
      await db.deleteFrom('rate_limits').where('key', '=', key).execute();
    },
  };
}

export type RateLimitStore = ReturnType<typeof rateLimitStore>;
