// Who may do what: the guide's Authorization Extension (roles → permissions), done right.
// A token's scope is the intersection of what the client asked for and what the roles allow.

export const API_SCOPES = [
  'read:timesheets',
  'create:timesheets',
  'delete:timesheets',
  'approve:timesheets',
  'batch:upload',
] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Scopes a person can ever hold; `batch:upload` belongs to machine clients only. */
export const USER_API_SCOPES: readonly ApiScope[] = [
  'read:timesheets',
  'create:timesheets',
  'delete:timesheets',
  'approve:timesheets',
];

export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** What each scope lets its holder do, in words people read (API docs, the Profile screen). */
export const SCOPE_DESCRIPTIONS: Readonly<Record<ApiScope | 'openid' | 'profile' | 'email', string>> = {
  openid: 'Sign in',
  profile: 'Your name',
  email: 'Your email address',
  'read:timesheets': 'Read your own entries, summaries and projects',
  'create:timesheets': 'Log and edit your own entries',
  'delete:timesheets': 'Delete your own entries that are not approved',
  'approve:timesheets': "Approve or reject other people's pending entries",
  'batch:upload': 'Push entries for others (the import job)',
};

export const ROLES = ['employee', 'manager', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const USER_KINDS = ['employee', 'contractor'] as const;
export type UserKind = (typeof USER_KINDS)[number];

const ROLE_SCOPES: Readonly<Record<Role, readonly ApiScope[]>> = {
  employee: ['read:timesheets', 'create:timesheets', 'delete:timesheets'],
  manager: ['read:timesheets', 'create:timesheets', 'delete:timesheets', 'approve:timesheets'],
  // Tenant administration happens through the CLI on the database, not through API scopes.
  admin: [],
};

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function isUserKind(value: string): value is UserKind {
  return (USER_KINDS as readonly string[]).includes(value);
}

export function isApiScope(value: string): value is ApiScope {
  return (API_SCOPES as readonly string[]).includes(value);
}

/** Every API scope the given roles allow (never `batch:upload`). */
export function scopesForRoles(roles: readonly string[]): Set<ApiScope> {
  const allowed = new Set<ApiScope>();
  for (const role of roles) {
    if (isRole(role)) for (const scope of ROLE_SCOPES[role]) allowed.add(scope);
  }
  return allowed;
}

/** Splits requested scopes into those the roles allow and those refused. */
export function partitionRequestedScopes(
  requested: Iterable<string>,
  roles: readonly string[],
): { granted: string[]; refused: string[] } {
  const allowed = scopesForRoles(roles);
  const granted: string[] = [];
  const refused: string[] = [];
  for (const scope of requested) {
    if ((allowed as Set<string>).has(scope)) granted.push(scope);
    else refused.push(scope);
  }
  return { granted, refused };
}

export function parseScope(value: string | undefined | null): string[] {
  return value ? value.split(' ').filter(Boolean) : [];
}

