// Managers decide on other people's pending entries, one at a time or a person's week at once.
import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { assertDateRange } from '../date-range.ts';
import { guarded, personOf } from '../guard.ts';
import { ApprovalsQuery, BatchDecisionSchema, DecisionSchema, EntryList, EntryParams, PendingList } from '../schemas.ts';
import type { TimesheetService } from '../timesheets.ts';

const tags = ['Approvals'];
/** The approvals list's longest answer; `truncated` says when more are waiting. */
export const MAX_PENDING = 5000;

export async function approvalRoutes(app: FastifyInstance, { service }: { service: TimesheetService }) {
  const approve = guarded('approve:timesheets');

  app.get<{ Querystring: Static<typeof ApprovalsQuery> }>('/approvals', {
    config: approve.config,
    schema: {
      tags,
      summary: `Pending entries of everyone but the caller, with owner name and email (the first ${MAX_PENDING}; truncated says there are more)`,
      security: approve.security,
      querystring: ApprovalsQuery,
      response: { 200: PendingList },
    },
    handler: async (request) => {
      assertDateRange(request.query);
      return service.pending(personOf(request), { ...request.query, limit: MAX_PENDING });
    },
  });

  app.put<{ Params: { id: string }; Body: Static<typeof DecisionSchema> }>('/approvals/:id', {
    config: approve.config,
    schema: {
      tags,
      summary: 'Approve (body {} or {"decision":"approve"}) or reject (with a reason) one entry',
      security: approve.security,
      params: EntryParams,
      body: DecisionSchema,
      response: { 200: Type.Ref('Entry') },
    },
    handler: async (request) => {
      const { decision = 'approve', reason } = request.body ?? {};
      return service.decide(personOf(request), request.params.id, decision, reason);
    },
  });

  app.put<{ Body: Static<typeof BatchDecisionSchema> }>('/approvals', {
    config: approve.config,
    schema: {
      tags,
      summary: 'Decide several entries atomically: all or none (409 names the entries that cannot be decided)',
      security: approve.security,
      body: BatchDecisionSchema,
      response: { 200: EntryList },
    },
    handler: async (request) => {
      const { ids, decision, reason } = request.body;
      return { items: await service.decideMany(personOf(request), ids, decision, reason) };
    },
  });
}
