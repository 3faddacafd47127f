// The storage part's public face: open the database, get the stores.
import { openStorage, type Storage, type OpenOptions } from './database.ts';
import { clientStore } from './clients.ts';
import { entryStore } from './entries.ts';
import { oidcPayloadStore } from './oidc-payloads.ts';
import { projectStore } from './projects.ts';
import { rateLimitStore } from './rate-limits.ts';
import { settingStore } from './settings.ts';
import { signingKeyStore } from './signing-keys.ts';
import { userStore } from './users.ts';

export type { Storage, Db, Dialect } from './database.ts';
export type { User } from './users.ts';
export type { ClientMetadata } from './clients.ts';
export type { Project } from './projects.ts';
export type { SigningKey } from './signing-keys.ts';
export type { OidcPayload } from './oidc-payloads.ts';
export type { Tx } from './entries.ts';
export type { EntriesTable } from './schema.ts';
export { newEntryId, toEntry } from './entries.ts';
export { normalizeEmail } from './users.ts';
export { normalizeProjectName } from './projects.ts';
export { isDatabaseUnavailable } from './unavailable.ts';

export function storesFor(storage: Storage) {
  const { db, dialect } = storage;
  return {
    entries: entryStore(db, dialect),
    users: userStore(db),
    clients: clientStore(db),
    projects: projectStore(db),
    oidc: oidcPayloadStore(db),
    keys: signingKeyStore(db),
    settings: settingStore(db),
    rateLimits: rateLimitStore(db),
  };
}

export type Stores = ReturnType<typeof storesFor>;

export interface Database extends Storage {
  readonly stores: Stores;
}

export async function openDatabase(url: string, options?: OpenOptions): Promise<Database> {
  const storage = await openStorage(url, options);
  return { ...storage, stores: storesFor(storage) };
}
