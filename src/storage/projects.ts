import type { Db } from './database.ts';
import { nowIso } from './database.ts';

export interface Project {
  readonly id: number;
  readonly name: string;
}

export function normalizeProjectName(name: string): string {
  return name.trim().toLowerCase();
}

export function projectStore(db: Db) {
  return {
    async list(): Promise<Project[]> {
      return db.selectFrom('projects').select(['id', 'name']).orderBy('name_normalized').execute();
    },

    async findByName(name: string): Promise<Project | undefined> {
      return db
        .selectFrom('projects')
        .select(['id', 'name'])
        .where('name_normalized', '=', normalizeProjectName(name))
        .executeTakeFirst();
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
