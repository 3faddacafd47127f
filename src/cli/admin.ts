// Tenant administration from the terminal: users, clients, projects, signing keys.
import type { Config } from '../config.ts';
import { isRole, isUserKind, ROLES, USER_KINDS } from '../domain/access.ts';
import { conflict, invalid, notFound } from '../domain/errors.ts';
import {
  addMachineClient,
  generatePassword,
  hashPassword,
  parseScopes,
  revokeSigningKeys,
  rotateClientSecret,
  rotateSigningKey,
} from '../identity/index.ts';
import type { Database } from '../storage/index.ts';
import { type Output, UsageError, readStdin, type Command } from './command.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MIN_PASSWORD_LENGTH = 10;

function requireOne(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || !value.trim()) throw new UsageError(`--${name} is required`);
  return value.trim();
}

function rolesFrom(values: Record<string, unknown>): string[] {
  const roles = (values.role as string[] | undefined) ?? [];
  if (roles.length === 0) throw new UsageError(`--role is required (one of ${ROLES.join(', ')})`);
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length) throw new UsageError(`unknown role ${unknown.join(', ')} (known: ${ROLES.join(', ')})`);
  return [...new Set(roles)];
}

function emailFrom(values: Record<string, unknown>): string {
  const email = requireOne(values, 'email');
  if (!EMAIL.test(email) || email.length > 320) throw new UsageError(`--email "${email}" is not an email address`);
  return email;
}

interface AdminContext {
  readonly config: Config;
  readonly database: Database;
  readonly out: Output;
}

type AdminCommand = Command<AdminContext>;

const userAdd: AdminCommand = {
  usage: 'user add --email E --name N --role R [--role R2] [--kind employee|contractor] [--password-stdin]',
  summary: 'add a user (prints a generated password unless one comes on standard input)',
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', multiple: true },
    kind: { type: 'string' },
    'password-stdin': { type: 'boolean' },
  },
  async run({ database, out }, values) {
    const email = emailFrom(values);
    const name = requireOne(values, 'name');
    const roles = rolesFrom(values);
    const kind = typeof values.kind === 'string' ? values.kind : 'employee';
    if (!isUserKind(kind)) throw new UsageError(`--kind must be one of ${USER_KINDS.join(', ')}`);
    let password: string;
    let generated = false;
    if (values['password-stdin']) {
      password = (await readStdin()).replace(/\r?\n$/, '');
      if (password.length < MIN_PASSWORD_LENGTH) {
        throw new UsageError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
      }
    } else {
      password = generatePassword();
      generated = true;
    }
    if (await database.stores.users.findByEmail(email)) throw conflict(`a user with email ${email} already exists`);
    const user = await database.stores.users.create({ email, name, kind, roles, passwordHash: await hashPassword(password) });
    const result = { id: user.id, email: user.email, name: user.name, kind: user.kind, roles: user.roles };
    out.result(generated ? { ...result, password } : result, () => {
      const lines = [`Added ${user.email} (${user.id}) with roles ${roles.join(', ')}.`];
      if (generated) lines.push(`Password (shown once): ${password}`);
      return lines.join('\n');
    });
  },
};

const userList: AdminCommand = {
  usage: 'user list',
  summary: 'list users',
  options: {},
  async run({ database, out }) {
    const users = (await database.stores.users.list()).map((u) => ({
      id: u.id,
      email: u.email,
      name: u.name,
      kind: u.kind,
      roles: u.roles,
      disabled: u.disabled,
    }));
    out.table(users, ['email', 'name', 'kind', 'roles', 'disabled', 'id']);
  },
};

const userSetRole: AdminCommand = {
  usage: 'user set-role --email E --role R [--role R2]',
  summary: "replace a user's roles",
  options: { email: { type: 'string' }, role: { type: 'string', multiple: true } },
  async run({ database, out }, values) {
    const email = emailFrom(values);
    const roles = rolesFrom(values);
    if (!(await database.stores.users.setRoles(email, roles))) throw notFound(`no user with email ${email}`);
    out.result({ email, roles }, () => `${email} now has roles ${roles.join(', ')}.`);
  },
};

const userDisable: AdminCommand = {
  usage: 'user disable --email E',
  summary: 'disable a user: no sign-in, no new tokens',
  options: { email: { type: 'string' } },
  async run({ database, out }, values) {
    const email = emailFrom(values);
    if (!(await database.stores.users.setDisabled(email, true))) throw notFound(`no user with email ${email}`);
    out.result({ email, disabled: true }, () => `${email} is disabled.`);
  },
};

const clientAdd: AdminCommand = {
  usage: 'client add --name N --m2m --scopes "s1 s2"',
  summary: 'add a machine-to-machine client (prints its id and secret once)',
  options: { name: { type: 'string' }, m2m: { type: 'boolean' }, scopes: { type: 'string' } },
  async run({ database, out }, values) {
    const name = requireOne(values, 'name');
    if (!values.m2m) throw new UsageError('only machine-to-machine clients can be added: pass --m2m');
    const scopes = parseScopes(requireOne(values, 'scopes'));
    const { clientId, clientSecret } = await addMachineClient(database.stores, name, scopes);
    out.result(
      { client_id: clientId, client_secret: clientSecret, scopes },
      () => `Added ${name}.\nClient id: ${clientId}\nClient secret (shown once): ${clientSecret}`,
    );
  },
};

const clientList: AdminCommand = {
  usage: 'client list',
  summary: 'list clients',
  options: {},
  async run({ database, out }) {
    const clients = (await database.stores.clients.list()).map((c) => ({
      client_id: c.clientId,
      name: c.name,
      type: c.metadata.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
      grant_types: (c.metadata.grant_types as string[] | undefined) ?? [],
      scopes: typeof c.metadata.scope === 'string' ? c.metadata.scope : '',
      redirect_uris: (c.metadata.redirect_uris as string[] | undefined) ?? [],
    }));
    out.table(clients, ['client_id', 'name', 'type', 'grant_types', 'scopes', 'redirect_uris']);
  },
};

const clientRotateSecret: AdminCommand = {
  usage: 'client rotate-secret --client-id ID',
  summary: "replace a confidential client's secret (prints the new one once)",
  options: { 'client-id': { type: 'string' } },
  async run({ database, out }, values) {
    const clientId = requireOne(values, 'client-id');
    const secret = await rotateClientSecret(database.stores, clientId);
    out.result(
      { client_id: clientId, client_secret: secret },
      () => `New secret for ${clientId} (shown once): ${secret}\nThe old secret no longer works.`,
    );
  },
};

const projectAdd: AdminCommand = {
  usage: 'project add NAME',
  summary: 'add a project',
  options: {},
  positionals: 1,
  async run({ database, out }, _values, positionals) {
    const name = positionals[0]?.trim();
    if (!name) throw new UsageError('the project needs a name');
    if (name.length > 100) throw invalid('project names have at most 100 characters', [{ field: 'name', message: 'too long' }]);
    if (await database.stores.projects.findByName(name)) throw conflict(`project ${name} already exists`);
    const project = await database.stores.projects.add(name);
    out.result(project, () => `Added project ${project.name}.`);
  },
};

const projectList: AdminCommand = {
  usage: 'project list',
  summary: 'list projects',
  options: {},
  async run({ database, out }) {
    out.table((await database.stores.projects.list()).map((p) => ({ ...p })), ['name', 'id']);
  },
};

const keysRotate: AdminCommand = {
  usage: 'keys rotate [--revoke-previous]',
  summary:
    'publish a new signing key now; it signs after KEY_ROTATION_DELAY seconds. --revoke-previous (a key may have leaked): it signs at once and the previous keys are withdrawn, so their tokens are refused',
  options: { 'revoke-previous': { type: 'boolean' } },
  async run({ config, database, out }, values) {
    if (values['revoke-previous']) {
      const key = await revokeSigningKeys(database.stores);
      out.result(
        { kid: key.kid, published_at: new Date(key.createdAt).toISOString(), signs_from: new Date(key.activatesAt).toISOString(), previous_keys: 'revoked' },
        () =>
          `Published key ${key.kid}; it signs now. The previous keys are withdrawn: the tokens they signed are refused once each API refreshes its keys (within about 5 seconds where the provider runs, JWKS_REFRESH_SECONDS on an API-only instance). Apps renew their tokens; nobody has to sign in again.`,
      );
      return;
    }
    const key = await rotateSigningKey(database.stores, config.keyRotationDelaySeconds * 1000);
    const activates = new Date(key.activatesAt).toISOString();
    out.result(
      { kid: key.kid, published_at: new Date(key.createdAt).toISOString(), signs_from: activates },
      () => `Published key ${key.kid}; it signs from ${activates}. Previous keys stay published for a day after that.`,
    );
  },
};

export const ADMIN_COMMANDS: Readonly<Record<string, AdminCommand>> = {
  'user add': userAdd,
  'user list': userList,
  'user set-role': userSetRole,
  'user disable': userDisable,
  'client add': clientAdd,
  'client list': clientList,
  'client rotate-secret': clientRotateSecret,
  'project add': projectAdd,
  'project list': projectList,
  'keys rotate': keysRotate,
};
