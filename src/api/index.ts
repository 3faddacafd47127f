// The API part's public face.
export { apiPlugin, type ApiOptions } from './plugin.ts';
export { localKeySource, remoteKeySource, REMOTE_KEY_DEFAULTS, type KeySource } from './keys.ts';
export { checkUploadItem } from './routes/upload.ts';
export { MAX_UPLOAD_ENTRIES, UploadItemSchema, type UploadItemType } from './schemas.ts';
