/**
 * Skill labels: the model chooses a subject and one skill from the closed taxonomy. With a
 * JSON-schema response format the choice is constrained; otherwise the JSON is dug out of the
 * text (fences, prose around it) and, failing that, "subject:"/"skill:" lines are read.
 * A skill outside the list becomes "other" and is counted.
 */
import type { JsonSchemaFormat } from '../backends/types.js';
import { OTHER } from '../core/cells.js';
import { parseSubject, SUBJECTS, type Subject } from '../domain/subjects.js';
import type { Taxonomy } from '../domain/taxonomy.js';

export interface Label {
  subject: Subject | null;
  skill: string;
  /** The model's own words, kept for audit. */
  raw: string;
  /** The model named a skill outside the closed list (or none). */
  unknown: boolean;
}

export function labelResponseFormat(taxonomy: Taxonomy): JsonSchemaFormat {
  const skills = [...new Set([...taxonomy.skills.values()].flat())];
  return {
    type: 'json_schema',
    name: 'skill_label',
    schema: {
      type: 'object',
      properties: {
        subject: { type: 'string', enum: [...SUBJECTS] },
        skill: { type: 'string', enum: skills },
      },
      required: ['subject', 'skill'],
      additionalProperties: false,
    },
  };
}

function readFields(text: string): { subject?: string; skill?: string } {
  const candidates = [text.trim(), ...(text.match(/\{[^{}]*\}/g) ?? [])];
  for (const c of candidates) {
    try {
      const v = JSON.parse(c) as { subject?: unknown; skill?: unknown };
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
): Label {
  const fields = readFields(text);
  const subject = knownSubject ?? parseSubject(fields.subject) ?? fallbackSubject;
  const wanted = fields.skill?.trim().toLowerCase();
  const list = subject ? (taxonomy.skills.get(subject) ?? []) : [];
  const skill = wanted ? list.find((s) => s.toLowerCase() === wanted) : undefined;
  return { subject, skill: skill ?? OTHER, raw: text.slice(0, 500), unknown: skill === undefined };
}
