/**
 * Loading configuration: defaults < YAML file < environment (SPARQ_SECTION__KEY) < CLI flags.
 * Validation reports every invalid value at once, each with its key path, what was expected, what
 * was found and where it came from; values from the environment are never echoed back, because a
 * mistyped variable may hold a secret.
 */
import { existsSync } from 'node:fs';
import { isMap, LineCounter, parseDocument, parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { readUserFile, UserError } from '../util/errors.js';
import { ConfigSchema, type SparqConfig } from './schema.js';

export const ENV_PREFIX = 'SPARQ_';

type Path = (string | number)[];
type Origin =
  | { kind: 'file'; file: string; line?: number }
  | { kind: 'env'; name: string }
  | { kind: 'flag'; name: string }
  | { kind: 'stored'; label: string };

export interface Override {
  /** Dotted key path, e.g. `model.max_concurrency`. */
  path: string;
  value: unknown;
  /** How the user wrote it, for error messages: `--concurrency`, `--set solver.k=4`. */
  flag: string;
}

export interface LoadOptions {
  /** A configuration to start from instead of the defaults, e.g. the snapshot of a run being resumed. */
  base?: Record<string, unknown>;
  /** Where `base` came from, named in messages about its values, e.g. "the configuration stored with run runs/a". */
  baseLabel?: string;
  file?: string | null;
  env?: NodeJS.ProcessEnv;
  overrides?: Override[];
}

export class ConfigError extends UserError {
  constructor(readonly problems: string[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      2,
    );
    this.name = 'ConfigError';
  }
}

export function loadConfig(options: LoadOptions = {}): SparqConfig {
  const raw: Record<string, unknown> = structuredClone(options.base ?? {});
  const origins = new Map<string, Origin>();
  const rawStrings = new Map<string, string>();
  if (options.base && options.baseLabel) markStored(options.base, [], options.baseLabel, origins);

  if (options.file) mergeFile(options.file, raw, origins);

  const env = options.env ?? {};
  const apiKeyEnv = (getIn(raw, ['model', 'api_key_env']) as string | undefined) ?? undefined;
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined || name === apiKeyEnv) continue;
    const path = name.slice(ENV_PREFIX.length).toLowerCase().split('__').filter(Boolean);
    if (path.length === 0) continue;
    setIn(raw, path, parseScalar(value));
    origins.set(path.join('.'), { kind: 'env', name });
    rawStrings.set(path.join('.'), value);
  }

  for (const o of options.overrides ?? []) {
    const path = o.path.split('.');
    const value = typeof o.value === 'string' ? parseScalar(o.value) : o.value;
    setIn(raw, path, value);
    origins.set(o.path, { kind: 'flag', name: o.flag });
    if (typeof o.value === 'string') rawStrings.set(o.path, o.value);
  }

  let result = ConfigSchema.safeParse(raw, { reportInput: true });
  // `--model 123` or SPARQ_MODEL__MODEL=1.5 parse as numbers; a string field takes the text as written.
  if (!result.success) {
    let retried = false;
    for (const issue of result.error.issues) {
      const key = issue.path.join('.');
      if (issue.code === 'invalid_type' && issue.expected === 'string' && rawStrings.has(key)) {
        setIn(raw, issue.path as Path, rawStrings.get(key));
        retried = true;
      }
    }
    if (retried) result = ConfigSchema.safeParse(raw, { reportInput: true });
  }
  if (!result.success) throw new ConfigError(result.error.issues.map((i) => describeIssue(i, origins, raw)));
  return result.data;
}

function mergeFile(file: string, raw: Record<string, unknown>, origins: Map<string, Origin>): void {
  if (!existsSync(file))
    throw new UserError(`config file not found: ${file} (create one with \`sparq init\`)`);
  const text = readUserFile(file, 'config file');
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error: ${e.message.split('\n')[0]}`;
    });
    throw new ConfigError(problems);
  }
  if (doc.contents === null) return; // an empty file means "all defaults"
  if (!isMap(doc.contents))
    throw new ConfigError([`${file}: expected a mapping of keys (section: ...) at the top level`]);
  let parsed: Record<string, unknown>;
  try {
    parsed = doc.toJS() as Record<string, unknown>;
  } catch (err) {
    // E.g. aliases that expand without bound ("billion laughs"): refused, not an internal error.
    throw new ConfigError([`${file}: cannot be read as YAML: ${(err as Error).message}`]);
  }
  deepMerge(raw, parsed);
  // Remember the line of every key so that errors can point into the file.
  const visit = (node: unknown, path: string[]): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      const keyPath = [...path, key];
      const range = (pair.key as { range?: [number, number, number] })?.range;
      const line = range ? lineCounter.linePos(range[0]).line : undefined;
      origins.set(keyPath.join('.'), { kind: 'file', file, line });
      visit(pair.value, keyPath);
    }
  };
  visit(doc.contents, []);
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      existing &&
      typeof existing === 'object' &&
      !Array.isArray(existing)
    ) {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else target[key] = value;
  }
}

function parseScalar(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

function getIn(obj: Record<string, unknown>, path: Path): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

function setIn(obj: Record<string, unknown>, path: Path, value: unknown): void {
  let cur: Record<string | number, unknown> = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string | number, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/** Every value of a stored configuration is marked as coming from there, until something overrides it. */
function markStored(value: unknown, path: string[], label: string, origins: Map<string, Origin>): void {
  if (value && typeof value === 'object' && !Array.isArray(value))
    for (const [k, v] of Object.entries(value)) markStored(v, [...path, k], label, origins);
  else if (path.length > 0) origins.set(path.join('.'), { kind: 'stored', label });
}

function describeOrigin(path: Path, origins: Map<string, Origin>): string {
  for (let n = path.length; n > 0; n--) {
    const origin = origins.get(path.slice(0, n).join('.'));
    if (!origin) continue;
    if (origin.kind === 'file') return ` (${origin.file}${origin.line ? `:${origin.line}` : ''})`;
    if (origin.kind === 'env') return ` (from environment variable ${origin.name})`;
    if (origin.kind === 'stored') return ` (from ${origin.label})`;
    return ` (from ${origin.name})`;
  }
  return '';
}

function fromEnv(path: Path, origins: Map<string, Origin>): boolean {
  for (let n = path.length; n > 0; n--) {
    const origin = origins.get(path.slice(0, n).join('.'));
    if (origin) return origin.kind === 'env';
  }
  return false;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list ${truncate(JSON.stringify(value))}`;
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text ${truncate(JSON.stringify(withoutUserInfo(value)))}`;
  return `${typeof value === 'number' ? 'the number' : typeof value} ${String(value)}`;
}

/** A URL's `user:password@` and query values may be secrets: echoed values never show them. */
function withoutUserInfo(s: string): string {
  return s.replace(/\/\/[^/@\s]*@/g, '//[redacted]@').replace(/([?&][^=&#\s]+=)[^&#\s]*/g, '$1[redacted]');
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function describeIssue(
  issue: z.core.$ZodIssue,
  origins: Map<string, Origin>,
  raw: Record<string, unknown>,
): string {
  const key = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
  // A rule over several keys reports the whole configuration as its input: show the key's value.
  const input =
    issue.code === 'custom' && issue.path.length > 0 ? getIn(raw, issue.path as Path) : issue.input;
  const where = describeOrigin(issue.path as Path, origins);
  // Secrets can hide in headers, in a key pasted where a variable's name belongs, or in a
  // mistyped environment variable: never echo those values.
  const secret =
    issue.path.includes('headers') ||
    issue.path.includes('header_env') ||
    issue.path.includes('api_key_env') ||
    fromEnv(issue.path as Path, origins);
  const found = secret ? '' : `, found ${describeValue(input)}`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const names = issue.keys.map((k) => (issue.path.length ? `${issue.path.join('.')}.${k}` : k));
      const origin = describeOrigin([...(issue.path as Path), issue.keys[0]!], origins);
      return `${names.join(', ')}: unknown key${issue.keys.length > 1 ? 's' : ''}${origin}; see \`sparq init\` for the valid keys`;
    }
    case 'invalid_type':
      return `${key}: expected ${article(issue.expected)}${found}${where}`;
    case 'invalid_value':
      return `${key}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${found}${where}`;
    case 'too_small':
      return `${key}: expected ${boundText(issue.origin, issue.inclusive ? '>=' : '>', Number(issue.minimum))}${found}${where}`;
    case 'too_big':
      return `${key}: expected ${boundText(issue.origin, issue.inclusive ? '<=' : '<', Number(issue.maximum))}${found}${where}`;
    case 'invalid_format':
      if (issue.format === 'url')
        return `${key}: expected an http(s) URL such as http://127.0.0.1:8000/v1${found}${where}`;
      // Patterns carry their own human description.
      return `${key}: ${issue.format === 'regex' ? issue.message : `expected a ${issue.format}`}${found}${where}`;
    case 'invalid_union': {
      // `auto` or a value: name what each alternative takes.
      const wanted = issue.errors.flatMap((branch) =>
        branch.map((i) =>
          i.code === 'invalid_value'
            ? i.values.map((v) => JSON.stringify(v)).join(', ')
            : i.code === 'invalid_type'
              ? i.expected === 'boolean'
                ? 'true, false'
                : article(i.expected)
              : i.message,
        ),
      );
      return `${key}: expected ${wanted.join(' or ')}${found}${where}`;
    }
    default:
      return `${key}: ${issue.message}${found}${where}`;
  }
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function boundText(origin: string, op: string, bound: number): string {
  if (origin === 'array') return `a list with ${op} ${bound} item${bound === 1 ? '' : 's'}`;
  if (origin === 'string') return `a text of ${op} ${bound} characters`;
  return `a number ${op} ${bound}`;
}
