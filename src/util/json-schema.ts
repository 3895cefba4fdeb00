/**
 * Validation against the subset of JSON Schema that structured-output servers support and sparq
 * sends (type, enum, const, properties, required, additionalProperties, anyOf, items): enough to
 * tell whether a server enforced a schema, without a validator dependency.
 */

export type JsonSchema = Record<string, unknown>;

/** Null when `value` validates; else where and why it does not. */
export function schemaViolation(value: unknown, schema: JsonSchema, path = '$'): string | null {
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf as JsonSchema[];
    if (!branches.some((b) => schemaViolation(value, b, path) === null))
      return `${path}: matches none of the ${branches.length} alternatives`;
  }
  if ('const' in schema && !sameJson(value, schema.const))
    return `${path}: expected ${JSON.stringify(schema.const)}`;
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => sameJson(value, e)))
    return `${path}: not one of the ${schema.enum.length} allowed values`;
  const type = schema.type;
  if (typeof type === 'string' && !hasType(value, type)) return `${path}: expected ${type}`;
  if (type === 'object' && isObject(value)) {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    for (const key of (schema.required ?? []) as string[])
      if (!(key in value)) return `${path}: missing "${key}"`;
    for (const [key, v] of Object.entries(value)) {
      const sub = properties[key];
      if (sub) {
        const inner = schemaViolation(v, sub, `${path}.${key}`);
        if (inner) return inner;
      } else if (schema.additionalProperties === false) return `${path}: unexpected "${key}"`;
    }
  }
  if (type === 'array' && Array.isArray(value) && isObject(schema.items)) {
    for (let i = 0; i < value.length; i++) {
      const inner = schemaViolation(value[i], schema.items as JsonSchema, `${path}[${i}]`);
      if (inner) return inner;
    }
  }
  return null;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    default:
      return true;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
