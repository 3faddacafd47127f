// The caller's own entries: list, read, log, edit, delete, week summary, CSV export.
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { toCsv } from '../csv.ts';
import { assertDateRange } from '../date-range.ts';
import { guarded, personOf } from '../guard.ts';
import {
  EntryChangesSchema,
  EntryPage,
  EntryParams,
  ExportQuery,
  ListQuery,
  NewEntrySchema,
  Summary,
  SummaryQuery,
  type EntryChangesBody,
  type ListQueryType,
  type NewEntryBody,
} from '../schemas.ts';
import { MAX_EXPORT_ROWS, type TimesheetService } from '../timesheets.ts';

const tags = ['Timesheets'];
const EXPORT_COLUMNS = ['date', 'project', 'hours', 'status', 'notes', 'rejection_reason', 'id', 'created_at', 'updated_at'] as const;

export async function entryRoutes(app: FastifyInstance, { service }: { service: TimesheetService }) {
  const read = guarded('read:timesheets');

  app.get<{ Querystring: ListQueryType }>('/timesheets', {
    config: read.config,
    schema: {
      tags,
      summary: "The caller's own entries, newest date first",
      security: read.security,
      querystring: ListQuery,
      response: { 200: EntryPage },
    },
    handler: async (request) => {
      const query = request.query;
      assertDateRange(query);
      return service.list(personOf(request), { ...query, limit: query.limit ?? 100 });
    },
  });

  app.get<{ Querystring: { week: string } }>('/timesheets/summary', {
    config: read.config,
    schema: {
      tags,
      summary: "The caller's totals for one ISO week",
      security: read.security,
      querystring: SummaryQuery,
      response: { 200: Summary },
    },
    handler: async (request) => {
      return service.summary(personOf(request), request.query.week);
    },
  });

  app.get<{ Querystring: { from?: string; to?: string } }>('/timesheets/export.csv', {
    config: read.config,
    schema: {
      tags,
      summary: `The caller's entries as CSV (RFC 4180, UTF-8, formula-injection safe); more than ${MAX_EXPORT_ROWS} is a 422`,
      security: read.security,
      querystring: ExportQuery,
      produces: ['text/csv'],
    },
    handler: async (request, reply) => {
      const { from, to } = request.query;
      assertDateRange({ from, to });
      const rows = await service.exportRows(personOf(request), from, to);
      const name = `timesheets${from ? `-${from}` : ''}${to ? `-to-${to}` : ''}.csv`;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store')
        .send(toCsv(EXPORT_COLUMNS, rows));
    },
  });

  app.get<{ Params: { id: string } }>('/timesheets/:id', {
    config: read.config,
    schema: {
      tags,
      summary: 'One of the caller\'s entries (someone else\'s answers 404)',
      security: read.security,
      params: EntryParams,
      response: { 200: Type.Ref('Entry') },
    },
    handler: async (request) => service.get(personOf(request), request.params.id),
  });

  const create = guarded('create:timesheets');
  app.post<{ Body: NewEntryBody }>('/timesheets', {
    config: create.config,
    schema: {
      tags,
      summary: 'Log time: the entry starts pending, owned by the caller',
      security: create.security,
      body: NewEntrySchema,
      response: { 201: Type.Ref('Entry') },
    },
    handler: async (request, reply) => {
      const entry = await service.create(personOf(request), request.body);
      return reply.code(201).header('location', `${request.url.split('?')[0]}/${entry.id}`).send(entry);
    },
  });

  app.patch<{ Params: { id: string }; Body: EntryChangesBody }>('/timesheets/:id', {
    config: create.config,
    schema: {
      tags,
      summary: 'Edit an own entry that is not approved (a rejected one is re-submitted)',
      security: create.security,
      params: EntryParams,
      body: EntryChangesSchema,
      response: { 200: Type.Ref('Entry') },
    },
    handler: async (request) => service.update(personOf(request), request.params.id, request.body),
  });

  const remove = guarded('delete:timesheets');
  app.delete<{ Params: { id: string } }>('/timesheets/:id', {
    config: remove.config,
    schema: {
      tags,
      summary: 'Delete an own entry that is not approved',
      security: remove.security,
      params: EntryParams,
      response: { 204: Type.Null({ description: 'Deleted' }) },
    },
    handler: async (request, reply) => {
      await service.remove(personOf(request), request.params.id);
      return reply.code(204).send();
    },
  });
}
