// Two Ajv instances, one rule set: bodies are taken as sent (no type coercion, unknown fields
// refused), query strings and path parameters are coerced from text. The import CLI uses the same.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FieldError } from '../domain/errors.ts';

function create(coerceTypes: boolean): Ajv {
  const ajv = new Ajv({
    coerceTypes,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
  });
  addFormats.default(ajv, ['date', 'email', 'date-time', 'uri']);
  return ajv;
}

const strict = create(false);
const coercing = create(true);

export function compileBodySchema<T>(schema: object): ValidateFunction<T> {
  return strict.compile<T>(schema);
}

/** Fastify's validator compiler: strict for bodies, coercing for query strings and parameters. */
export function validatorCompiler({ schema, httpPart }: { schema: object; httpPart?: string }) {
  return (httpPart === 'body' ? strict : coercing).compile(schema);
}

export function addSharedSchema(schema: object): void {
  const { $id } = schema as { $id?: string };
  for (const ajv of [strict, coercing]) if ($id && !ajv.getSchema($id)) ajv.addSchema(schema);
}

/** Ajv's complaints as {field, message}: the field named the way the client wrote it. */
export function fieldErrors(
  validation: readonly { instancePath: string; message?: string; keyword: string; params: Record<string, unknown> }[],
  part: string,
): FieldError[] {
  return validation.map((issue) => {
    const path = issue.instancePath.split('/').filter(Boolean);
    if (issue.keyword === 'required') path.push(String(issue.params.missingProperty));
    if (issue.keyword === 'additionalProperties') {
      path.push(String(issue.params.additionalProperty));
      return { field: path.join('.'), message: 'is not an accepted field' };
    }
    const field = path.join('.') || part;
    return { field, message: issue.keyword === 'required' ? 'is required' : (issue.message ?? 'is invalid') };
  });
}
