/**
 * Answer checking: extraction of the final answer from model text, and equivalence of two
 * answers with the rule that decided it. See docs/answer-checking.md for the rules and policies.
 */
export { AnswerChecker, type CheckerOptions, type Verdict } from './checker.js';
export { type Extraction, type ExtractionSource, extractAnswer } from './extract.js';
export { normalizeAnswer } from './normalize.js';
