/**
 * Skill labels: the model chooses a subject and one skill from the closed taxonomy. With a
 * JSON-schema response format the choice is constrained; otherwise the JSON is dug out of the
 * text (fences, prose around it) and, failing that, "subject:"/"skill:" lines are read.
 * One rule either way: a skill counts only under its own subject. The schema has one branch per
 * subject listing that subject's skills (one flat list let constrained decoding pair Geometry
 * with an Algebra skill), and the parser maps a skill outside the subject's list to "other",
 * which is counted. A reply that breaks the requested format (not the schema's JSON when one was
 * asked for; no subject or skill at all otherwise) is malformed content: the pipeline asks again,
 * and flags a label that stays malformed.
 */
import type { JsonSchemaFormat } from '../backends/types.js';
import { OTHER } from '../core/cells.js';
import { parseSubject, type Subject } from '../domain/subjects.js';
import type { Taxonomy } from '../domain/taxonomy.js';
import { schemaViolation } from '../util/json-schema.js';

export interface Label {
  subject: Subject | null;
  skill: string;
  /** The model's own words, kept for audit. */
  raw: string;
  /** The model named a skill outside the closed list (or none). */
  unknown: boolean;
  /**
   * The reply broke the requested format: not JSON of the schema when one was asked for, or no
   * subject or skill at all. Malformed content, counted apart from a label that is merely unknown.
   */
  malformed: boolean;
}

/**
 * The label schema. The root is an object with the choice under `label` because OpenAI's strict
 * structured outputs refuse an `anyOf` at the root.
 */
export function labelResponseFormat(taxonomy: Taxonomy): JsonSchemaFormat {
  const branches = [...taxonomy.skills.entries()].map(([subject, skills]) => ({
    type: 'object',
    properties: {
      subject: { type: 'string', enum: [subject] },
      skill: { type: 'string', enum: skills },
    },
    required: ['subject', 'skill'],
    additionalProperties: false,
  }));
  return {
    type: 'json_schema',
    name: 'skill_label',
    schema: {
      type: 'object',
      properties: { label: { anyOf: branches } },
      required: ['label'],
      additionalProperties: false,
    },
  };
}

function readFields(text: string): { subject?: string; skill?: string } {
  const candidates = [text.trim(), ...(text.match(/\{[^{}]*\}/g) ?? [])];
  for (const c of candidates) {
    try {
      const parsed = JSON.parse(c) as { label?: unknown };
      // The schema's shape, {"label": {...}}, or the prompt's, {...}.
      const v = (
        parsed && typeof parsed.label === 'object' && parsed.label !== null ? parsed.label : parsed
      ) as { subject?: unknown; skill?: unknown };
      if (v && typeof v === 'object') {
        return {
          subject: typeof v.subject === 'string' ? v.subject : undefined,
          skill: typeof v.skill === 'string' ? v.skill : undefined,
        };
      }
    } catch {
      // not this one
    }
  }
  const line = (key: string) =>
    new RegExp(`["*]*${key}["*]*\\s*[:=]\\s*["*]*([^"*\\n]+)`, 'i').exec(text)?.[1]?.trim();
  return { subject: line('subject'), skill: line('skill') };
}

/**
 * Interprets a labelling reply. `knownSubject` (from the seed file) wins over the model's subject;
 * `fallbackSubject` (the parent's) is used when the model gives none.
 */
export function parseLabel(
  text: string,
  taxonomy: Taxonomy,
  knownSubject: Subject | null,
  fallbackSubject: Subject | null,
  format?: JsonSchemaFormat,
): Label {
  const fields = readFields(text);
  const malformed = format
    ? !followsSchema(text, format)
    : fields.subject === undefined && fields.skill === undefined;
  const subject = knownSubject ?? parseSubject(fields.subject) ?? fallbackSubject;
  const wanted = fields.skill?.trim().toLowerCase();
  const list = subject ? (taxonomy.skills.get(subject) ?? []) : [];
  const skill = wanted ? list.find((s) => s.toLowerCase() === wanted) : undefined;
  return { subject, skill: skill ?? OTHER, raw: text.slice(0, 500), unknown: skill === undefined, malformed };
}

/** The whole reply is JSON that the schema accepts, as a server that honours it must return. */
function followsSchema(text: string, format: JsonSchemaFormat): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  return schemaViolation(value, format.schema) === null;
}
