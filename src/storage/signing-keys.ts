import type { ExpressionBuilder } from 'kysely';
import type { Db } from './database.ts';
import type { Database, SigningKeysTable } from './schema.ts';

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

const toRow = (key: SigningKey): SigningKeysTable => ({
  kid: key.kid,
  alg: key.alg,
  private_jwk: JSON.stringify(key.privateJwk),
  created_at: key.createdAt,
  activates_at: key.activatesAt,
  retires_at: key.retiresAt,
});

/** A key is published from its creation until its retires_at, if it has one. */
const publishedAt = (now: number) => (eb: ExpressionBuilder<Database, 'signing_keys'>) =>
  eb.or([eb('retires_at', 'is', null), eb('retires_at', '>', now)]);

export function signingKeyStore(db: Db) {
  return {
    /** Keys still published at `now`, newest activation first. */
    async published(now: number): Promise<SigningKey[]> {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where(publishedAt(now))
        .orderBy('activates_at', 'desc')
        .orderBy('kid')
        .execute();
      return rows.map(toKey);
    },

    async insert(key: SigningKey): Promise<void> {
      await db.insertInto('signing_keys').values(toRow(key)).execute();
    },

    /** Inserts `key` and ends the publication of every other key at `now`, in one transaction. */
    async insertRevokingOthers(key: SigningKey, now: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('signing_keys').values(toRow(key)).execute();
        await tx
          .updateTable('signing_keys')
          .set({ retires_at: now })
          .where('kid', '!=', key.kid)
          .where(publishedAt(now))
          .execute();
      });
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
