// What the API's own clients share with it: the import job checks each row exactly as the upload
// route will, and splits batches at the route's limit. This face loads no server code (no Fastify,
// no token checks, no storage), so the import command starts in a fraction of the time.
import { hoursProblem } from '../domain/entries.ts';
import { MAX_UPLOAD_ENTRIES, UploadItemSchema, type UploadItemType } from './schemas.ts';
import type { CheckedItem } from './timesheets.ts';
import { compileBodySchema, fieldErrors } from './validation.ts';

export { MAX_UPLOAD_ENTRIES };

const validateItem = compileBodySchema<UploadItemType>(UploadItemSchema);

/** The checks the upload route applies to one item. */
export function checkUploadItem(value: unknown): CheckedItem {
  const externalId =
    typeof (value as { external_id?: unknown })?.external_id === 'string' ? (value as { external_id: string }).external_id : null;
  if (!validateItem(value)) {
    return { ok: false, external_id: externalId, errors: fieldErrors(validateItem.errors ?? [], 'item') };
  }
  const hours = hoursProblem(value.hours);
  if (hours) return { ok: false, external_id: externalId, errors: [{ field: 'hours', message: hours }] };
  return { ok: true, item: value };
}
