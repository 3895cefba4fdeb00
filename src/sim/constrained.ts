/**
 * Constrained decoding, as servers that enforce response_format json_schema do it: whatever the
 * model meant to write, the reply is an instance of the schema. The parts of the intended output
 * that fit are kept; the rest become the first value the schema allows. Covers the JSON-schema
 * subset that structured outputs accept: type, const, enum, anyOf/oneOf, properties, required,
 * additionalProperties, items, minItems, minLength.
 */

type Schema = Record<string, unknown>;

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
  if ('const' in schema && !same(schema.const, value)) return false;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => same(e, value))) return false;
  const branches = alternatives(schema);
  if (branches && !branches.some((b) => matches(b, value))) return false;
  const types = schema.type === undefined ? null : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => hasType(t, value))) return false;
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required) && schema.required.some((k) => !(k in value))) return false;
    for (const [key, v] of Object.entries(value)) {
      const sub = properties[key] ?? schema.additionalProperties;
      if (sub === false) return false;
      if (isObject(sub) && !matches(sub, v)) return false;
    }
  }
  if (Array.isArray(value)) {
    if (value.length < Number(schema.minItems ?? 0)) return false;
    if (isObject(schema.items) && !value.every((v) => matches(schema.items as Schema, v))) return false;
  }
  if (typeof value === 'string' && value.length < Number(schema.minLength ?? 0)) return false;
  return true;
}

function hasType(type: unknown, value: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

function typeOf(schema: Schema): unknown {
  if (Array.isArray(schema.type)) return schema.type[0];
  if (schema.type !== undefined) return schema.type;
  if (isObject(schema.properties)) return 'object';
  if (isObject(schema.items)) return 'array';
  return null;
}

function alternatives(schema: Schema): Schema[] | null {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) && list.length > 0 ? list.map(asSchema) : null;
}

function asSchema(value: unknown): Schema {
  return isObject(value) ? value : {};
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && JSON.stringify(a) === JSON.stringify(b));
}
