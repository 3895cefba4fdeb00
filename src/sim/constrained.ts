/**
 * Constrained decoding, as servers that enforce response_format json_schema do it: whatever the
 * model meant to write, the reply is an instance of the schema. The parts of the intended output
 * that fit are kept; the rest become the first value the schema allows. Covers the JSON-schema
 * subset that structured outputs accept: type, const, enum, anyOf/oneOf, properties, required,
 * additionalProperties, items, minItems, minLength.
 */

import { alternatives, isObject, type JsonSchema, schemaViolation } from '../util/json-schema.js';

type Schema = JsonSchema;

export function constrainToSchema(schema: Schema, intended: string): string {
  let value: unknown;
  try {
    value = JSON.parse(intended);
  } catch {
    value = undefined;
  }
  return JSON.stringify(conform(schema, value));
}

/** `value` if it is an instance of `schema`, else the closest instance. */
function conform(schema: Schema, value: unknown): unknown {
  if (value !== undefined && matches(schema, value)) return value;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const branches = alternatives(schema);
  if (branches) return conform(closestBranch(branches, value), value);
  switch (typeOf(schema)) {
    case 'object':
      return conformObject(schema, value);
    case 'array': {
      const items = asSchema(schema.items);
      const list = Array.isArray(value) ? value.map((v) => conform(items, v)) : [];
      while (list.length < Number(schema.minItems ?? 0)) list.push(conform(items, undefined));
      return list;
    }
    case 'string':
      return 'x'.repeat(Number(schema.minLength ?? 0));
    case 'integer':
    case 'number':
      return 0;
    case 'boolean':
      return false;
    default:
      return null;
  }
}

function conformObject(schema: Schema, value: unknown): Record<string, unknown> {
  const given = isObject(value) ? value : {};
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const out: Record<string, unknown> = {};
  for (const [key, sub] of Object.entries(properties)) {
    if (key in given || required.has(key)) out[key] = conform(asSchema(sub), given[key]);
  }
  for (const key of required) if (!(key in out)) out[key] = given[key] ?? null;
  if (schema.additionalProperties !== false) {
    const extra = isObject(schema.additionalProperties) ? schema.additionalProperties : null;
    for (const [key, v] of Object.entries(given)) if (!(key in out)) out[key] = extra ? conform(extra, v) : v;
  }
  return out;
}

/** The branch whose properties the value already satisfies most (a label's subject picks its branch). */
function closestBranch(branches: Schema[], value: unknown): Schema {
  let best = branches[0]!;
  let bestScore = -1;
  for (const branch of branches) {
    if (matches(branch, value)) return branch;
    let score = 0;
    if (isObject(value) && isObject(branch.properties)) {
      for (const [key, sub] of Object.entries(branch.properties))
        if (key in value && matches(asSchema(sub), value[key])) score++;
    }
    if (score > bestScore) {
      best = branch;
      bestScore = score;
    }
  }
  return best;
}

function matches(schema: Schema, value: unknown): boolean {
  return schemaViolation(value, schema) === null;
}

function typeOf(schema: Schema): unknown {
  if (Array.isArray(schema.type)) return schema.type[0];
  if (schema.type !== undefined) return schema.type;
  if (isObject(schema.properties)) return 'object';
  if (isObject(schema.items)) return 'array';
  return null;
}

function asSchema(value: unknown): Schema {
  return isObject(value) ? value : {};
}
