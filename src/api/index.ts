// The API part's public face.
export { bearerCredentials, tokenVerifier } from './auth.ts';
export { apiPlugin, type ApiOptions } from './plugin.ts';
export { localKeySource, remoteKeySource, type KeySource } from './keys.ts';
export { checkUploadItem } from './routes/upload.ts';
export { MAX_UPLOAD_ENTRIES } from './schemas.ts';
