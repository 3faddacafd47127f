// The identity part's public face.
export { identityPlugin, type IdentityHandle } from './plugin.ts';
export { bootstrapTenant, seedDemoProjects, ProductionGuardError, DEMO_PASSWORD } from './tenant.ts';
export { revokeSigningKeys, rotateSigningKey } from './keys.ts';
export { hashPassword, generatePassword } from './passwords.ts';
export {
  addMachineClient,
  rotateClientSecret,
  parseScopes,
  DEMO_IMPORT_SECRET,
} from './clients.ts';
export { IMPORT_CLIENT_ID } from './client-contract.ts';
export { publicJwks } from './userinfo.ts';
