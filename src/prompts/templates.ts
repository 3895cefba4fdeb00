/**
 * Versioned prompt templates, one file each (prompts/<id>.md): YAML front matter with id and
 * version, then role sections ([system], [user], [assistant]) with {{placeholders}}. A run records
 * `id@version` and the content hash of every template it used, so each generated problem can be
 * traced to the exact prompt that produced it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { ChatMessage } from '../backends/types.js';
import { UserError } from '../util/errors.js';
import { sha256Hex } from '../util/hash.js';

export const BUNDLED_PROMPTS_DIR = fileURLToPath(new URL('../../prompts/', import.meta.url));

export type TemplateId = 'vary' | 'harder' | 'combine' | 'solve' | 'label' | 'judge';

export interface PromptTemplate {
  id: string;
  version: number;
  description: string;
  /** `vary@1`: what provenance records. */
  ref: string;
  /** First 16 hex digits of the SHA-256 of the file, so an edited template is told apart. */
  hash: string;
  file: string;
  messages: ChatMessage[];
  placeholders: string[];
}

const PLACEHOLDER = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;

export function parseTemplate(text: string, file: string): PromptTemplate {
  const fm = /^---\n([\s\S]*?)\n---\n/.exec(text);
  if (!fm)
    throw new UserError(
      `${file}: a prompt template must start with front matter (---, id: ..., version: N, ---)`,
    );
  let meta: { id?: unknown; version?: unknown; description?: unknown };
  try {
    meta = (parseYaml(fm[1]!) ?? {}) as typeof meta;
  } catch (err) {
    throw new UserError(`${file}: front matter is not valid YAML (${(err as Error).message})`);
  }
  if (typeof meta.id !== 'string' || meta.id === '')
    throw new UserError(`${file}: front matter needs "id: <name>"`);
  if (typeof meta.version !== 'number' || !Number.isInteger(meta.version) || meta.version < 1) {
    throw new UserError(`${file}: front matter needs "version: <positive integer>"`);
  }
  const body = text.slice(fm[0].length);
  const messages: ChatMessage[] = [];
  const sections = body.split(/^\[(system|user|assistant|[^\]\n]*)\][ \t]*\n/m);
  if (sections[0]!.trim() !== '')
    throw new UserError(`${file}: text before the first [system] or [user] section`);
  for (let i = 1; i < sections.length; i += 2) {
    const role = sections[i]!;
    if (role !== 'system' && role !== 'user' && role !== 'assistant') {
      throw new UserError(`${file}: unknown section [${role}]; expected [system], [user] or [assistant]`);
    }
    messages.push({ role, content: sections[i + 1]!.replace(/\n+$/, '') });
  }
  if (!messages.some((m) => m.role === 'user')) throw new UserError(`${file}: needs a [user] section`);
  const placeholders = [
    ...new Set(messages.flatMap((m) => [...m.content.matchAll(PLACEHOLDER)].map((x) => x[1]!))),
  ];
  return {
    id: meta.id,
    version: meta.version,
    description: typeof meta.description === 'string' ? meta.description : '',
    ref: `${meta.id}@${meta.version}`,
    hash: sha256Hex(text).slice(0, 16),
    file,
    messages,
    placeholders,
  };
}

/** Loads `id` from the override folder when it has the file, else from the bundled prompts. */
export function loadTemplate(id: string, overrideDir?: string | null): PromptTemplate {
  // A folder that is not there is a typo, not "use the bundled prompts".
  if (overrideDir && !(existsSync(overrideDir) && statSync(overrideDir).isDirectory()))
    throw new UserError(
      `prompts_dir ${overrideDir} is not a folder: give the folder holding your <id>.md templates (files missing there fall back to the bundled ones), or null for the bundled prompts`,
    );
  const custom = overrideDir ? join(overrideDir, `${id}.md`) : null;
  const file = custom && existsSync(custom) ? custom : join(BUNDLED_PROMPTS_DIR, `${id}.md`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`prompt template not found: ${file}`);
  }
  const template = parseTemplate(text, file);
  if (template.id !== id)
    throw new UserError(`${file}: front matter id "${template.id}" does not match the file name "${id}"`);
  return template;
}

/**
 * Fills the placeholders in one pass, so text substituted in (which came from a model and may
 * contain `{{...}}`) is never expanded again.
 */
export function renderTemplate(template: PromptTemplate, vars: Record<string, string>): ChatMessage[] {
  for (const name of template.placeholders) {
    if (vars[name] === undefined) throw new Error(`${template.file}: no value for placeholder {{${name}}}`);
  }
  return template.messages.map((m) => ({
    role: m.role,
    content: m.content.replace(PLACEHOLDER, (_, name: string) => vars[name]!),
  }));
}
