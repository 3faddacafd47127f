// The API's request and response shapes: one source for validation, TypeScript types and OpenAPI.
import { Type, type Static } from 'typebox';
import { ENTRY_STATUSES, MAX_HOURS_PER_DAY, MAX_NOTES_LENGTH, MAX_REASON_LENGTH } from '../domain/entries.ts';

export const MAX_UPLOAD_ENTRIES = 1000;
const MAX_PROJECT_LENGTH = 100;
const MAX_EXTERNAL_ID_LENGTH = 200;
const MAX_EMAIL_LENGTH = 320;

/**
 * The upload route's body limit: a full batch at every maximum length still fits, even with each
 * character escaped in JSON (\uXXXX, 6 bytes), plus 200 bytes an item for names, date and hours
 * (about 10 MB). Other routes keep the server's 1 MiB.
 */
export const MAX_UPLOAD_BODY_BYTES =
  MAX_UPLOAD_ENTRIES * (6 * (MAX_EXTERNAL_ID_LENGTH + MAX_EMAIL_LENGTH + MAX_PROJECT_LENGTH + MAX_NOTES_LENGTH) + 200);

const DateString = Type.String({ format: 'date', description: 'A calendar date, YYYY-MM-DD', examples: ['2026-11-16'] });
const Hours = Type.Number({
  exclusiveMinimum: 0,
  maximum: MAX_HOURS_PER_DAY,
  description: 'Hours worked, more than 0, at most 24, at most two decimals',
  examples: [7.5],
});
const Project = Type.String({ minLength: 1, maxLength: MAX_PROJECT_LENGTH, description: 'A name from GET /api/projects' });
const Notes = Type.Union([Type.String({ maxLength: MAX_NOTES_LENGTH }), Type.Null()], {
  description: `Optional, at most ${MAX_NOTES_LENGTH} characters`,
});
const EntryId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
const Status = Type.Union(ENTRY_STATUSES.map((s) => Type.Literal(s)));

export const EntrySchema = Type.Object(
  {
    id: Type.String(),
    user_id: Type.String(),
    user_email: Type.String(),
    user_name: Type.String(),
    date: Type.String(),
    project: Type.String(),
    hours: Type.Number(),
    notes: Type.Union([Type.String(), Type.Null()]),
    status: Status,
    rejection_reason: Type.Union([Type.String(), Type.Null()]),
    external_id: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    updated_at: Type.String(),
    decided_by: Type.Union([Type.String(), Type.Null()]),
    decided_at: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'Entry', additionalProperties: false },
);

export const NewEntrySchema = Type.Object(
  { date: DateString, project: Project, hours: Hours, notes: Type.Optional(Notes) },
  { additionalProperties: false },
);
export type NewEntryBody = Static<typeof NewEntrySchema>;

export const EntryChangesSchema = Type.Object(
  { date: Type.Optional(DateString), project: Type.Optional(Project), hours: Type.Optional(Hours), notes: Type.Optional(Notes) },
  { additionalProperties: false, minProperties: 1 },
);
export type EntryChangesBody = Static<typeof EntryChangesSchema>;

export const EntryParams = Type.Object({ id: EntryId }, { additionalProperties: false });

export const ListQuery = Type.Object(
  {
    from: Type.Optional(DateString),
    to: Type.Optional(DateString),
    status: Type.Optional(Status),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
export type ListQueryType = Static<typeof ListQuery>;

export const EntryPage = Type.Object({
  items: Type.Array(Type.Ref('Entry')),
  next_cursor: Type.Union([Type.String(), Type.Null()]),
});

export const SummaryQuery = Type.Object(
  { week: Type.String({ pattern: '^\\d{4}-W\\d{2}$', description: 'An ISO week, YYYY-Www', examples: ['2026-W47'] }) },
  { additionalProperties: false },
);

export const Summary = Type.Object({
  week: Type.String(),
  from: Type.String(),
  to: Type.String(),
  total_hours: Type.Number(),
  days: Type.Array(Type.Object({ date: Type.String(), hours: Type.Number() })),
  projects: Type.Array(Type.Object({ project: Type.String(), hours: Type.Number() })),
});

export const ExportQuery = Type.Object(
  { from: Type.Optional(DateString), to: Type.Optional(DateString) },
  { additionalProperties: false },
);

export const ApprovalsQuery = Type.Object(
  {
    from: Type.Optional(DateString),
    to: Type.Optional(DateString),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_EMAIL_LENGTH, description: "An owner's user id or email" })),
  },
  { additionalProperties: false },
);

const DecisionField = Type.Union([Type.Literal('approve'), Type.Literal('reject')]);
const Reason = Type.String({ maxLength: MAX_REASON_LENGTH, description: 'Required to reject' });

export const DecisionSchema = Type.Object(
  { decision: Type.Optional(DecisionField), reason: Type.Optional(Reason) },
  { additionalProperties: false },
);
export const BatchDecisionSchema = Type.Object(
  {
    ids: Type.Array(EntryId, { minItems: 1, maxItems: 500, uniqueItems: true }),
    decision: DecisionField,
    reason: Type.Optional(Reason),
  },
  { additionalProperties: false },
);

export const EntryList = Type.Object({ items: Type.Array(Type.Ref('Entry')) });
export const PendingList = Type.Object({
  items: Type.Array(Type.Ref('Entry')),
  truncated: Type.Boolean({ description: 'More entries are waiting than this answer holds: decide on these, or filter' }),
});

/** One row of the import job's batch; the CLI validates its file rows with this same schema. */
export const UploadItemSchema = Type.Object(
  {
    external_id: Type.String({ minLength: 1, maxLength: MAX_EXTERNAL_ID_LENGTH }),
    email: Type.String({ format: 'email', maxLength: MAX_EMAIL_LENGTH }),
    date: DateString,
    project: Project,
    hours: Hours,
    notes: Type.Optional(Notes),
  },
  { additionalProperties: false },
);
export type UploadItemType = Static<typeof UploadItemSchema>;

export const UploadBody = Type.Object(
  { entries: Type.Array(Type.Unknown(), { description: `At most ${MAX_UPLOAD_ENTRIES} items (more: 413)` }) },
  { additionalProperties: false },
);

export const UploadResponse = Type.Object({
  created: Type.Integer(),
  duplicates: Type.Integer(),
  errors: Type.Integer(),
  results: Type.Array(
    Type.Object({
      index: Type.Integer(),
      external_id: Type.Union([Type.String(), Type.Null()]),
      status: Type.Union([Type.Literal('created'), Type.Literal('duplicate'), Type.Literal('error')]),
      id: Type.Optional(Type.String()),
      errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    }),
  ),
});

export const ProjectList = Type.Object({
  items: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String() })),
});

export const Me = Type.Object({
  sub: Type.String(),
  email: Type.String(),
  name: Type.String(),
  kind: Type.String(),
  roles: Type.Array(Type.String()),
  scopes: Type.Array(Type.String()),
  client_id: Type.Union([Type.String(), Type.Null()]),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    entries: Type.Optional(Type.Array(Type.Object({ id: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem' },
);
