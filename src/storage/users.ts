import { randomBytes } from 'node:crypto';
import type { Db } from './database.ts';
import { nowIso } from './database.ts';
import type { UsersTable } from './schema.ts';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly kind: string;
  readonly roles: readonly string[];
  readonly disabled: boolean;
  readonly passwordHash: string | null;
  readonly createdAt: string;
}

export interface NewUser {
  email: string;
  name: string;
  kind: string;
  roles: readonly string[];
  passwordHash: string | null;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `sub` is a stable opaque id, never the email (emails change; ids must not). */
export function newUserId(): string {
  return `usr_${randomBytes(12).toString('base64url')}`;
}

function toUser(row: UsersTable): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    kind: row.kind,
    roles: row.roles.split(' ').filter(Boolean),
    disabled: row.disabled === 1,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  };
}

export function userStore(db: Db) {
  return {
    async create(user: NewUser): Promise<User> {
      const now = nowIso();
      const row: UsersTable = {
        id: newUserId(),
        email: user.email.trim(),
        email_normalized: normalizeEmail(user.email),
        name: user.name.trim(),
        kind: user.kind,
        roles: user.roles.join(' '),
        password_hash: user.passwordHash,
        disabled: 0,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('users').values(row).execute();
      return toUser(row);
    },

    async findById(id: string): Promise<User | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUser(row);
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email_normalized', '=', normalizeEmail(email))
        .executeTakeFirst();
      return row && toUser(row);
    },

    /** Active users by normalized email, for the import job's owner lookups. */
    async findActiveByEmails(emails: readonly string[]): Promise<Map<string, User>> {
      const found = new Map<string, User>();
      if (emails.length === 0) return found;
      const rows = await db
        .selectFrom('users')
        .selectAll()
        .where('email_normalized', 'in', [...new Set(emails.map(normalizeEmail))])
        .where('disabled', '=', 0)
        .execute();
      for (const row of rows) found.set(row.email_normalized, toUser(row));
      return found;
    },

    /**
     * Records a person known to an external provider (no password here), so the import job can
     * find them by email. Never takes over an email that belongs to someone else.
     */
    async rememberExternal(person: { id: string; email: string; name: string; kind: string; roles: readonly string[] }): Promise<void> {
      const now = nowIso();
      const email = normalizeEmail(person.email);
      // Any unique conflict (this id, or an email someone else holds) leaves the row as it is.
      const inserted = await db
        .insertInto('users')
        .values({
          id: person.id,
          email: person.email,
          email_normalized: email,
          name: person.name,
          kind: person.kind,
          roles: person.roles.join(' '),
          password_hash: null,
          disabled: 0,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return;
      await db
        .updateTable('users')
        .set({ email: person.email, email_normalized: email, name: person.name, kind: person.kind, roles: person.roles.join(' '), updated_at: now })
        .where('id', '=', person.id)
        .where('password_hash', 'is', null)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('users as other').select('other.id').where('other.email_normalized', '=', email).where('other.id', '!=', person.id))),
        )
        .execute();
    },

    async list(): Promise<User[]> {
      const rows = await db.selectFrom('users').selectAll().orderBy('email_normalized').execute();
      return rows.map(toUser);
    },

    async count(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Returns false when no user has that email. */
    async setRoles(email: string, roles: readonly string[]): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ roles: roles.join(' '), updated_at: nowIso() })
        .where('email_normalized', '=', normalizeEmail(email))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async setDisabled(email: string, disabled: boolean): Promise<boolean> {
      const result = await db
        .updateTable('users')
        .set({ disabled: disabled ? 1 : 0, updated_at: nowIso() })
        .where('email_normalized', '=', normalizeEmail(email))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type UserStore = ReturnType<typeof userStore>;
