import type { Db } from './database.ts';
import { nowIso } from './database.ts';
import { preparedQuery } from './prepared.ts';

export interface Project {
  readonly id: number;
  readonly name: string;
}

export function normalizeProjectName(name: string): string {
  return name.trim().toLowerCase();
}

export function projectStore(db: Db) {
  // Every logged entry looks its project up by name.
  const byName = preparedQuery(db, ['name'], (db, values: { name: string }) =>
    db.selectFrom('projects').select(['id', 'name']).where('name_normalized', '=', values.name),
  );

  return {
    async list(): Promise<Project[]> {
      return db.selectFrom('projects').select(['id', 'name']).orderBy('name_normalized').execute();
    },

    /**
     * Inside a transaction, pass it as `within`. On SQLite a read outside it would wait for the
     * transaction's own connection (refused at once inside a group commit, the entries' transactions);
     * on PostgreSQL it would not see the transaction's changes.
     */
    async findByName(name: string, within: Db = db): Promise<Project | undefined> {
      const [project] = await byName(within, { name: normalizeProjectName(name) });
      return project;
    },

    async add(name: string): Promise<Project> {
      return db
        .insertInto('projects')
        .values({ name: name.trim(), name_normalized: normalizeProjectName(name), created_at: nowIso() })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
    },
  };
}

export type ProjectStore = ReturnType<typeof projectStore>;
