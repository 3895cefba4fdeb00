/** The seven MATH subjects: the first descriptor of every archive cell. */
export const SUBJECTS = [
  'Algebra',
  'Counting & Probability',
  'Geometry',
  'Intermediate Algebra',
  'Number Theory',
  'Prealgebra',
  'Precalculus',
] as const;

export type Subject = (typeof SUBJECTS)[number];

const byKey = new Map<string, Subject>(SUBJECTS.map((s) => [subjectKey(s), s]));
byKey.set('countingprobability', 'Counting & Probability');

function subjectKey(text: string): string {
  return text
    .toLowerCase()
    .replace(/\band\b/g, '')
    .replace(/[^a-z]/g, '');
}

/** Accepts the spellings found in the wild (`number_theory`, `Counting and Probability`, ...). */
export function parseSubject(text: string | null | undefined): Subject | null {
  if (!text) return null;
  return byKey.get(subjectKey(text)) ?? null;
}
