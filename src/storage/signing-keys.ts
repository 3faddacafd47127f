import type { Db } from './database.ts';
import type { SigningKeysTable } from './schema.ts';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateJwk: Record<string, unknown>;
  readonly createdAt: number;
  readonly activatesAt: number;
  readonly retiresAt: number | null;
}

const toKey = (row: SigningKeysTable): SigningKey => ({
  kid: row.kid,
  alg: row.alg,
  privateJwk: JSON.parse(row.private_jwk) as Record<string, unknown>,
  createdAt: row.created_at,
  activatesAt: row.activates_at,
  retiresAt: row.retires_at,
});

export function signingKeyStore(db: Db) {
  return {
    /** Keys still published at `now`, newest activation first. */
    async published(now: number): Promise<SigningKey[]> {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where((eb) => eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]))
        .orderBy('activates_at', 'desc')
        .orderBy('kid')
        .execute();
      return rows.map(toKey);
    },

    async insert(key: SigningKey): Promise<void> {
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          alg: key.alg,
          private_jwk: JSON.stringify(key.privateJwk),
          created_at: key.createdAt,
          activates_at: key.activatesAt,
          retires_at: key.retiresAt,
        })
        .execute();
    },

    /** Schedules the end of publication for every key that has no end yet, except `keep`. */
    async retireAllBut(keep: string, retiresAt: number): Promise<void> {
      await db
        .updateTable('signing_keys')
        .set({ retires_at: retiresAt })
        .where('kid', '!=', keep)
        .where('retires_at', 'is', null)
        .execute();
    },
  };
}

export type SigningKeyStore = ReturnType<typeof signingKeyStore>;
