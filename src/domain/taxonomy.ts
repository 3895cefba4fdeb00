/**
 * The skill taxonomy: a closed list of skills per subject, versioned. The model chooses a skill
 * from it for every problem; anything it answers outside the list is counted and becomes "other".
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../util/errors.js';
import { sha256Hex } from '../util/hash.js';
import { parseSubject, SUBJECTS, type Subject } from './subjects.js';

export const OTHER_SKILL = 'other';

export interface Taxonomy {
  version: number;
  hash: string;
  file: string;
  skills: ReadonlyMap<Subject, readonly string[]>;
}

export const BUNDLED_TAXONOMIES: Record<string, string> = {
  v1: fileURLToPath(new URL('../../taxonomy/skills.v1.yaml', import.meta.url)),
};

export function loadTaxonomy(spec: string): Taxonomy {
  let file = spec;
  if (spec.startsWith('bundled:')) {
    const name = spec.slice('bundled:'.length);
    const bundled = BUNDLED_TAXONOMIES[name];
    if (!bundled)
      throw new UserError(
        `unknown bundled taxonomy "${name}"; available: ${Object.keys(BUNDLED_TAXONOMIES)
          .map((n) => `bundled:${n}`)
          .join(', ')}`,
      );
    file = bundled;
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`taxonomy file not found: ${file}`);
  }
  let doc: { version?: unknown; subjects?: unknown };
  try {
    doc = (parseYaml(text) ?? {}) as typeof doc;
  } catch (err) {
    throw new UserError(`${file}: not valid YAML (${(err as Error).message})`);
  }
  const problems: string[] = [];
  if (typeof doc.version !== 'number' || !Number.isInteger(doc.version))
    problems.push('version: expected an integer');
  const skills = new Map<Subject, string[]>();
  if (doc.subjects === null || typeof doc.subjects !== 'object' || Array.isArray(doc.subjects)) {
    problems.push('subjects: expected a mapping of subject -> list of skills');
  } else {
    for (const [name, list] of Object.entries(doc.subjects as Record<string, unknown>)) {
      const subject = parseSubject(name);
      if (!subject) {
        problems.push(`subjects.${name}: unknown subject; expected one of ${SUBJECTS.join(', ')}`);
        continue;
      }
      if (
        !Array.isArray(list) ||
        list.length === 0 ||
        list.some((s) => typeof s !== 'string' || s.trim() === '')
      ) {
        problems.push(`subjects.${name}: expected a non-empty list of skill names`);
        continue;
      }
      const names = list.map((s: string) => s.trim());
      const dup = names.find((s, i) => names.indexOf(s) !== i);
      if (dup) problems.push(`subjects.${name}: skill "${dup}" is listed twice`);
      if (names.includes(OTHER_SKILL))
        problems.push(`subjects.${name}: "${OTHER_SKILL}" is reserved for labels outside the list`);
      skills.set(subject, names);
    }
    for (const subject of SUBJECTS)
      if (!skills.has(subject)) problems.push(`subjects: missing subject "${subject}"`);
  }
  if (problems.length > 0)
    throw new UserError(`invalid taxonomy ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { version: doc.version as number, hash: sha256Hex(text).slice(0, 16), file, skills };
}

/** The closed list as the labelling prompt shows it. */
export function formatTaxonomy(taxonomy: Taxonomy): string {
  return SUBJECTS.map((s) => `${s}:\n${(taxonomy.skills.get(s) ?? []).map((k) => `- ${k}`).join('\n')}`).join(
    '\n\n',
  );
}
