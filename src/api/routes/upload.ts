// The import job's batch: each item validated on its own, retries safe by external_id.
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { clientIdOf, guarded } from '../guard.ts';
import { fieldErrors, problem, sendProblem } from '../problems.ts';
import { MAX_UPLOAD_BODY_BYTES, MAX_UPLOAD_ENTRIES, UploadBody, UploadItemSchema, UploadResponse, type UploadItemType } from '../schemas.ts';
import type { CheckedItem, TimesheetService } from '../timesheets.ts';
import { compileBodySchema } from '../validation.ts';
import { hoursProblem } from '../../domain/entries.ts';

const validateItem = compileBodySchema<UploadItemType>(UploadItemSchema);

/** The same checks the API applies to one upload item; the import CLI checks its rows with it. */
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

export async function uploadRoutes(app: FastifyInstance, { service }: { service: TimesheetService }) {
  const upload = guarded('batch:upload', 'client');

  app.post<{ Body: Static<typeof UploadBody> }>('/timesheets/upload', {
    config: upload.config,
    bodyLimit: MAX_UPLOAD_BODY_BYTES,
    schema: {
      tags: ['Import'],
      summary: `The import job's batch (at most ${MAX_UPLOAD_ENTRIES} entries); re-sent external_ids are duplicates`,
      security: upload.security,
      body: UploadBody,
      response: { 200: UploadResponse },
    },
    handler: async (request, reply) => {
      const { entries } = request.body;
      if (entries.length > MAX_UPLOAD_ENTRIES) {
        return sendProblem(reply, problem(413, `At most ${MAX_UPLOAD_ENTRIES} entries per request; split the batch.`));
      }
      const results = await service.upload(clientIdOf(request), entries.map(checkUploadItem));
      const count = (status: string) => results.filter((r) => r.status === status).length;
      return { created: count('created'), duplicates: count('duplicate'), errors: count('error'), results };
    },
  });
}
