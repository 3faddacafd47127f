// Two Ajv instances, one rule set: bodies are taken as sent (no type coercion, unknown fields
// refused), query strings and path parameters are coerced from text. The import CLI uses the same.
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

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
