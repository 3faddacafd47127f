import type { Db } from './database.ts';
import { nowIso } from './database.ts';
import { preparedQuery } from './prepared.ts';

/** The provider's client metadata as registered (snake_case, as OpenID Connect Registration names it). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export interface StoredClient {
  readonly clientId: string;
  readonly name: string;
  readonly metadata: ClientMetadata;
  readonly createdAt: string;
}

export function clientStore(db: Db) {
  const toClient = (row: { client_id: string; name: string; metadata: string; created_at: string }): StoredClient => ({
    clientId: row.client_id,
    name: row.name,
    metadata: JSON.parse(row.metadata) as ClientMetadata,
    createdAt: row.created_at,
  });
  // Every token request looks its client up twice (the token endpoint's rate limit, then the provider).
  const findClient = preparedQuery(db, ['clientId'], (db, values: { clientId: string }) =>
    db.selectFrom('clients').selectAll().where('client_id', '=', values.clientId),
  );

  return {
    async find(clientId: string): Promise<StoredClient | undefined> {
      const [row] = await findClient(db, { clientId });
      return row && toClient(row);
    },

    async list(): Promise<StoredClient[]> {
      const rows = await db.selectFrom('clients').selectAll().orderBy('client_id').execute();
      return rows.map(toClient);
    },

    /** Adds the client unless one with its id exists (instances may bootstrap together); true when added. */
    async insert(name: string, metadata: ClientMetadata): Promise<boolean> {
      const now = nowIso();
      const result = await db
        .insertInto('clients')
        .values({ client_id: metadata.client_id, name, metadata: JSON.stringify(metadata), created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('client_id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    },

    /** Returns false when the client does not exist. */
    async update(clientId: string, metadata: ClientMetadata): Promise<boolean> {
      const result = await db
        .updateTable('clients')
        .set({ metadata: JSON.stringify(metadata), updated_at: nowIso() })
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type ClientStore = ReturnType<typeof clientStore>;
