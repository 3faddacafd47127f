// The import job's batch: each item validated on its own, retries safe by external_id.
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { clientIdOf, guarded } from '../guard.ts';
import { checkUploadItem } from '../client-contract.ts';
import { problem, sendProblem } from '../problems.ts';
import { MAX_UPLOAD_BODY_BYTES, MAX_UPLOAD_ENTRIES, UploadBody, UploadResponse } from '../schemas.ts';
import type { TimesheetService } from '../timesheets.ts';

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
