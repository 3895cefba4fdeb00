/**
 * Validation against the subset of JSON Schema that structured-output servers support (type,
 * const, enum, anyOf/oneOf, properties, required, additionalProperties, items, minItems,
 * minLength): enough to tell whether a server enforced a schema (`sparq doctor`) and for the
 * simulated model to enforce one, without a validator dependency.
 */

export type JsonSchema = Record<string, unknown>;

/** Null when `value` validates; else where and why it does not. */
export function schemaViolation(value: unknown, schema: JsonSchema, path = '$'): string | null {
  if ('const' in schema && !sameJson(value, schema.const))
    return `${path}: expected ${JSON.stringify(schema.const)}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => sameJson(value, e)))
    return `${path}: not one of the ${schema.enum.length} allowed values`;
  const branches = alternatives(schema);
  if (branches && !branches.some((b) => schemaViolation(value, b, path) === null))
    return `${path}: matches none of the ${branches.length} alternatives`;
  const types = schema.type === undefined ? null : ([] as unknown[]).concat(schema.type);
  if (types && !types.some((t) => hasType(value, t))) return `${path}: expected ${types.join(' or ')}`;
  if (isObject(value)) {
    const properties = isObject(schema.properties) ? schema.properties : {};
    for (const key of Array.isArray(schema.required) ? (schema.required as string[]) : [])
      if (!(key in value)) return `${path}: missing "${key}"`;
    for (const [key, v] of Object.entries(value)) {
      const sub = properties[key] ?? schema.additionalProperties;
      if (sub === false) return `${path}: unexpected "${key}"`;
      if (isObject(sub)) {
        const inner = schemaViolation(v, sub, `${path}.${key}`);
        if (inner) return inner;
      }
    }
  }
  if (Array.isArray(value)) {
    if (value.length < Number(schema.minItems ?? 0)) return `${path}: fewer than ${schema.minItems} items`;
    if (isObject(schema.items))
      for (let i = 0; i < value.length; i++) {
        const inner = schemaViolation(value[i], schema.items, `${path}[${i}]`);
        if (inner) return inner;
      }
  }
  if (typeof value === 'string' && value.length < Number(schema.minLength ?? 0))
    return `${path}: shorter than ${schema.minLength} characters`;
  return null;
}

/** The alternatives of an anyOf/oneOf, or null. */
export function alternatives(schema: JsonSchema): JsonSchema[] | null {
  const list = schema.anyOf ?? schema.oneOf;
  return Array.isArray(list) && list.length > 0 ? list.map((s) => (isObject(s) ? s : {})) : null;
}

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
