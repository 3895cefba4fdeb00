/**
 * Answer checking: extraction of the final answer from model text, and equivalence of two
 * answers with the rule that decided it. See docs/answer-checking.md for the rules and policies.
 *
 * @example
 * const checker = new AnswerChecker();
 * checker.check('\\frac{1}{2}', '0.5'); // { equivalent: true, rule: 'numeric-rational' }
 * checker.checkOutput('18', 'She makes 9 * 2 = 18 dollars.\nA: 18'); // extracted via 'gsm8k-a'
 */
export { AnswerChecker, type CheckerOptions, rulesUndecided, type Verdict } from './checker.js';
export { type Extraction, type ExtractionSource, extractAnswer, isStatedAnswer } from './extract.js';
export { type AnswerGroup, answersEquivalent, groupAnswers } from './group.js';
export { normalizeAnswer } from './normalize.js';
export { CheckerPool, type PoolOptions, type PoolPair, type PoolVerdict } from './pool.js';
export { type MajorityVote, majorityVote } from './vote.js';
