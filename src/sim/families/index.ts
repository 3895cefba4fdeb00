import type { Subject } from '../../domain/subjects.js';
import { algebraFamilies } from './algebra.js';
import { countingFamilies } from './counting.js';
import type { Family } from './family.js';
import { geometryFamilies } from './geometry.js';
import { intermediateFamilies } from './intermediate.js';
import { numberTheoryFamilies } from './number-theory.js';
import { prealgebraFamilies } from './prealgebra.js';
import { precalculusFamilies } from './precalculus.js';

export const FAMILIES: readonly Family[] = [
  ...algebraFamilies,
  ...countingFamilies,
  ...geometryFamilies,
  ...intermediateFamilies,
  ...numberTheoryFamilies,
  ...prealgebraFamilies,
  ...precalculusFamilies,
];

export function familiesOf(subject: Subject): Family[] {
  return FAMILIES.filter((f) => f.subject === subject);
}

export function familyById(id: string): Family | undefined {
  return FAMILIES.find((f) => f.id === id);
}
