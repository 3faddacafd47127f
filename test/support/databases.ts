// Each test file gets its own fresh database on each engine: a temporary SQLite file, and a new
// PostgreSQL database on the CI machine's server (127.0.0.1:5432). PostgreSQL being down fails
// the run: it is never skipped.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import type { OpenOptions } from '../../src/storage/database.ts';
import { openDatabase, type Database } from '../../src/storage/index.ts';

export type Engine = 'sqlite' | 'postgres';
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(engine: Engine): Promise<TestDatabase> {
  if (engine === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'timesheets-test-'));
    return { url: `sqlite:${path.join(dir, 'test.db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `timesheets_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

export interface SuiteDatabase {
  readonly database: Database;
  readonly url: string;
}

/** A fresh database opened for the calling suite (beforeAll), closed and dropped after it. */
export function suiteDatabase(engine: Engine, options?: OpenOptions): SuiteDatabase {
  let opened: SuiteDatabase | undefined;
  let testDatabase: TestDatabase | undefined;
  beforeAll(async () => {
    testDatabase = await createTestDatabase(engine);
    opened = { database: await openDatabase(testDatabase.url, options), url: testDatabase.url };
  });
  afterAll(async () => {
    await opened?.database.close();
    await testDatabase?.drop();
  });
  const current = () => {
    if (!opened) throw new Error('the suite database opens in beforeAll');
    return opened;
  };
  return {
    get database() {
      return current().database;
    },
    get url() {
      return current().url;
    },
  };
}
