import type { ExpressionBuilder } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

/** What the provider stores for one model instance (session, grant, code, token, interaction…). */
export type OidcPayload = Record<string, unknown> & {
  grantId?: string;
  uid?: string;
  userCode?: string;
  consumed?: number;
};

export type ConsumeResult = 'consumed' | 'already-consumed' | 'missing';

/** The provider's state, one row per model instance, so a restart or another instance sees it all. */
export function oidcPayloadStore(db: Db) {
  const live = (now: number) => (eb: ExpressionBuilder<Database, 'oidc_payloads'>) =>
    eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]);

  const decode = (row: { payload: string; consumed_at: number | null }): OidcPayload => {
    const payload = JSON.parse(row.payload) as OidcPayload;
    if (row.consumed_at !== null) payload.consumed = Math.floor(row.consumed_at / 1000);
    return payload;
  };

  return {
    async upsert(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined) {
      const row = {
        model,
        id,
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
        expires_at: expiresInSeconds ? Date.now() + expiresInSeconds * 1000 : null,
        consumed_at: null,
      };
      await db
        .insertInto('oidc_payloads')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['model', 'id']).doUpdateSet({
            payload: row.payload,
            grant_id: row.grant_id,
            uid: row.uid,
            user_code: row.user_code,
            expires_at: row.expires_at,
          }),
        )
        .execute();
    },

    async find(model: string, id: string): Promise<OidcPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where('id', '=', id)
        .where(live(Date.now()))
        .executeTakeFirst();
      return row && decode(row);
    },

    async findBy(model: string, column: 'uid' | 'user_code', value: string): Promise<OidcPayload | undefined> {
      const row = await db
        .selectFrom('oidc_payloads')
        .select(['payload', 'consumed_at'])
        .where('model', '=', model)
        .where(column, '=', value)
        .where(live(Date.now()))
        .executeTakeFirst();
      return row && decode(row);
    },

    /**
     * Marks the instance consumed with one conditional update, so that of two concurrent
     * redemptions exactly one wins (the database decides, not the process).
     */
    async consume(model: string, id: string): Promise<{ result: ConsumeResult; grantId: string | null }> {
      const updated = await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: Date.now() })
        .where('model', '=', model)
        .where('id', '=', id)
        .where('consumed_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) > 0) return { result: 'consumed', grantId: null };
      const row = await db
        .selectFrom('oidc_payloads')
        .select('grant_id')
        .where('model', '=', model)
        .where('id', '=', id)
        .executeTakeFirst();
      return { result: row ? 'already-consumed' : 'missing', grantId: row?.grant_id ?? null };
    },

    async destroy(model: string, id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('model', '=', model).where('id', '=', id).execute();
    },

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('grant_id', '=', grantId).execute();
    },

    /** Deletes what expired more than `graceMs` ago; returns how many rows went. */
    async sweep(graceMs: number): Promise<number> {
      const result = await db
        .deleteFrom('oidc_payloads')
        .where('expires_at', '<', Date.now() - graceMs)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type OidcPayloadStore = ReturnType<typeof oidcPayloadStore>;
