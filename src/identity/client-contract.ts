// What the tenant's own clients share with it: the import job's client id, its default. This face
// loads no provider code, so the import command does not start oidc-provider to learn a name.
export const IMPORT_CLIENT_ID = 'timesheets-import-job';
