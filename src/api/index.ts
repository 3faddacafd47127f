// The API part's public face for the server. Its clients' face (the import job's) is client-contract.ts,
// kept apart so that a client loads no server code.
export { bearerCredentials, tokenVerifier } from './auth.ts';
export { apiPlugin, type ApiOptions } from './plugin.ts';
export { localKeySource, remoteKeySource, type KeySource } from './keys.ts';
