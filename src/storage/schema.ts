// Table shapes, shared by SQLite and PostgreSQL. Times are ISO-8601 text or epoch milliseconds
// (integers), booleans are 0/1 integers: the one representation both engines store the same way.
import type { Generated } from 'kysely';
import type { EntryStatus } from '../domain/entries.ts';

export interface UsersTable {
  id: string;
  email: string;
  email_normalized: string;
  name: string;
  kind: string;
  /** Space-separated role names. */
  roles: string;
  password_hash: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

export interface ClientsTable {
  client_id: string;
  name: string;
  /** The provider's client metadata (JSON); a secret is stored only as its hash. */
  metadata: string;
  created_at: string;
  updated_at: string;
}

export interface ProjectsTable {
  id: Generated<number>;
  name: string;
  name_normalized: string;
  created_at: string;
}

export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  /** Epoch milliseconds; null never expires. */
  expires_at: number | null;
  consumed_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: string;
  created_at: number;
  /** Epoch ms from which the key signs; it is published from creation. */
  activates_at: number;
  /** Epoch ms after which the key is no longer published; null while in use. */
  retires_at: number | null;
}

export interface SettingsTable {
  name: string;
  value: string;
}

export interface RateLimitsTable {
  key: string;
  count: number;
  window_started_at: number;
  // Migration 001 also created an unused `blocked_until` column; migrations are never edited.
}

export interface EntriesTable {
  id: string;
  user_id: string;
  user_email: string;
  user_name: string;
  date: string;
  project: string;
  centihours: number;
  notes: string | null;
  status: EntryStatus;
  rejection_reason: string | null;
  external_id: string | null;
  source_client_id: string | null;
  created_at: string;
  updated_at: string;
  decided_by: string | null;
  decided_at: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  subject: string | null;
  before: string | null;
  after: string | null;
}

export interface ImportTombstonesTable {
  source_client_id: string;
  external_id: string;
  entry_id: string;
  deleted_at: string;
}

export interface Database {
  users: UsersTable;
  clients: ClientsTable;
  projects: ProjectsTable;
  oidc_payloads: OidcPayloadsTable;
  signing_keys: SigningKeysTable;
  settings: SettingsTable;
  rate_limits: RateLimitsTable;
  entries: EntriesTable;
  audit_events: AuditEventsTable;
  import_tombstones: ImportTombstonesTable;
}
