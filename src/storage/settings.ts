import type { Db } from './database.ts';

/** Small named values of the tenant (cookie keys, the demo marker), shared by every instance. */
export function settingStore(db: Db) {
  return {
    async get(name: string): Promise<string | undefined> {
      const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirst();
      return row?.value;
    },

    /** Stores the value unless one exists; returns whichever value won (safe when instances race). */
    async getOrCreate(name: string, create: () => string): Promise<string> {
      await db
        .insertInto('settings')
        .values({ name, value: create() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db.selectFrom('settings').select('value').where('name', '=', name).executeTakeFirstOrThrow();
      return row.value;
    },

    /** Stores the value only if the name is free; true when this call stored it (one winner among racers). */
    async claim(name: string, value: string): Promise<boolean> {
      const inserted = await db
        .insertInto('settings')
        .values({ name, value })
        .onConflict((oc) => oc.column('name').doNothing())
        .executeTakeFirst();
      return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    async set(name: string, value: string): Promise<void> {
      await db
        .insertInto('settings')
        .values({ name, value })
        .onConflict((oc) => oc.column('name').doUpdateSet({ value }))
        .execute();
    },
  };
}

export type SettingStore = ReturnType<typeof settingStore>;
