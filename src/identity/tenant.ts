// What a fresh database needs before the provider can serve: keys, cookie keys, the built-in
// clients, and (in demo mode, on an empty directory) the demo tenant.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Stores } from '../storage/index.ts';
import { IMPORT_CLIENT_ID } from './client-contract.ts';
import { clientSecretMatches, DEMO_IMPORT_SECRET, ensureBuiltInClients } from './clients.ts';
import { ensureSigningKey } from './keys.ts';
import { hashPassword } from './passwords.ts';

export const DEMO_PASSWORD = 'demo-password';
const DEMO_USERS = [
  { email: 'ellen@abc-inc.example', name: 'Ellen Employee', kind: 'employee', roles: ['employee'] },
  { email: 'carl@abc-inc.example', name: 'Carl Contractor', kind: 'contractor', roles: ['employee'] },
  { email: 'maria@abc-inc.example', name: 'Maria Manager', kind: 'employee', roles: ['manager'] },
  { email: 'adam@abc-inc.example', name: 'Adam Admin', kind: 'employee', roles: ['admin'] },
] as const;
export const DEMO_PROJECTS = ['StoreZero', 'Website Relaunch', 'Internal'] as const;

const DEMO_MARKER = 'demo_tenant';

export interface TenantState {
  readonly cookieKeys: readonly string[];
  /** Demo users or the published demo import secret are in this tenant (refused in production). */
  readonly demoCredentialsActive: boolean;
}

export class ProductionGuardError extends Error {}

export async function bootstrapTenant(config: Config, stores: Stores): Promise<TenantState> {
  if (config.production) await assertNoDemoCredentials(stores);
  await ensureSigningKey(stores);
  const cookieKeys = JSON.parse(
    await stores.settings.getOrCreate('cookie_keys', () => JSON.stringify([randomBytes(32).toString('base64url')])),
  ) as string[];
  await ensureBuiltInClients(config, stores);

  // Only the instance whose marker insert wins seeds: instances may start together on one database.
  if (config.demo && (await stores.users.count()) === 0 && (await stores.settings.claim(DEMO_MARKER, new Date().toISOString()))) {
    await seedDemoTenant(stores);
  }
  return { cookieKeys, demoCredentialsActive: await demoCredentialsActive(stores) };
}

/** Demo users or the published demo import secret: credentials anyone can read in the README. */
async function demoCredentialsActive(stores: Stores): Promise<boolean> {
  if (await stores.settings.get(DEMO_MARKER)) return true;
  const importClient = await stores.clients.find(IMPORT_CLIENT_ID);
  const secretHash = importClient?.metadata.client_secret;
  return typeof secretHash === 'string' && clientSecretMatches(secretHash, DEMO_IMPORT_SECRET);
}

async function assertNoDemoCredentials(stores: Stores): Promise<void> {
  if (await demoCredentialsActive(stores)) {
    throw new ProductionGuardError(
      'this database holds demo credentials (demo users or the published import-job secret): refusing to start with ' +
        'NODE_ENV=production. Rotate the import secret (timesheets client rotate-secret) and use a database without the demo tenant.',
    );
  }
}

async function seedDemoTenant(stores: Stores): Promise<void> {
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  for (const user of DEMO_USERS) {
    await stores.users.create({ ...user, roles: [...user.roles], passwordHash });
  }
  await seedDemoProjects(stores);
}

/** The demo projects, when there are no projects at all (also with an external provider). */
export async function seedDemoProjects(stores: Stores): Promise<void> {
  if ((await stores.projects.list()).length > 0) return;
  for (const name of DEMO_PROJECTS) {
    if (!(await stores.projects.findByName(name))) await stores.projects.add(name);
  }
}
