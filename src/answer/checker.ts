/**
 * The synchronous answer checker: cache, input guards, fast paths, then structure and symbolic
 * comparison, all under a cooperative time limit. It never throws: an internal error becomes a
 * verdict `{ equivalent: false, rule: 'error:...' }`, a spent budget `{ ..., rule: 'timeout' }`.
 */

import { LruCache } from '../util/lru.js';
import { compareNodes } from './compare.js';
import { Deadline, DeadlineExceeded } from './deadline.js';
import type { Json } from './evaluate.js';
import { type Extraction, extractAnswer } from './extract.js';
import { comparisonKey, normalizeAnswer } from './normalize.js';
import { parseNumberLiteral } from './numbers.js';
import { type AnswerNode, parseAnswer } from './structure.js';
import { compareNumberLiterals, type Tolerance } from './symbolic.js';

export interface Verdict {
  equivalent: boolean;
  /** The rule that decided, for audits: `exact-string`, `numeric-rational`, `set`, `timeout`... */
  rule: string;
}

export interface CheckerOptions {
  /** Cooperative time limit per check, in milliseconds (default 2000). */
  timeoutMs?: number;
  /** Verdicts kept in the LRU cache (default 20000; 0 disables caching). */
  cacheSize?: number;
  /**
   * Accept numbers within this absolute difference. Off by default: the default policy is exact
   * rationals plus the decimal rounding rule (see docs/answer-checking.md).
   */
  absTol?: number;
  /** Accept numbers within this relative difference. Off by default. */
  relTol?: number;
}

/**
 * Rules whose "not equivalent" means "could not decide", not "decided different": nothing was
 * extracted, an answer the parser cannot read, prose against mathematics, a spent time budget,
 * an input refused for its size, an internal error. What the model judge is asked about, when
 * one is configured (docs/answer-checking.md); a decided verdict is never put to it.
 */
export function rulesUndecided(v: Verdict): boolean {
  if (v.equivalent) return false;
  return UNDECIDED.has(v.rule) || v.rule.startsWith('refused:') || v.rule.startsWith('error:');
}

const UNDECIDED: ReadonlySet<string> = new Set(['no-answer', 'empty', 'unparsed', 'prose', 'timeout']);

/** Answers longer than this (after extraction) are compared as strings only. */
export const MAX_ANSWER_CHARS = 2000;
/** Inputs longer than this are cut to their tail before extraction. */
export const MAX_INPUT_CHARS = 200_000;

const ANSWER_MARKERS = /\\boxed|\\fbox|(?<!\\)\$|\\\(|\\\[|answer|####/i;

/**
 * The answer inside a string that may still carry its presentation (`$9$`, `\boxed{9}`,
 * `The final answer is 9`). Plain answers are returned unchanged.
 */
function answerText(s: string): string {
  if (!ANSWER_MARKERS.test(s)) return s;
  const e = extractAnswer(s);
  return e.found ? e.answer : s;
}

/** A reference written as a decimal with digits after the point. */
const DECIMAL = /^-?\d+\.\d+$/;

/**
 * A predicted `3,5` read as the decimal 3.5, only against a reference written as a decimal
 * (`3.5`): MATH writes lists without spaces (`1,2`), so a reference is never read so, nor is a
 * prediction against an integer (`2,0` for 2 is a list of two roots). A comma before exactly
 * three digits groups thousands (`1,250`), and is not read so unless the whole part is 0.
 */
function decimalComma(s: string): ReturnType<typeof parseNumberLiteral> {
  const m = /^(-?\d+),(\d+)$/.exec(s);
  if (!m || (m[2]!.length === 3 && !/^-?0$/.test(m[1]!))) return null;
  return parseNumberLiteral(`${m[1]}.${m[2]}`);
}

const EXACT: Verdict = Object.freeze({ equivalent: true, rule: 'exact-string' });

export class AnswerChecker {
  readonly timeoutMs: number;
  private readonly cache: LruCache<string, Verdict>;
  private readonly normalized = new LruCache<string, string>(8192);
  private readonly parsed = new LruCache<string, AnswerNode>(8192);
  /** MathJSON of LaTeX leaves: gold answers recur across attempts, so parsing them once pays. */
  private readonly raw = new LruCache<string, Json | null>(8192);
  private readonly tol: Tolerance;

  constructor(opts: CheckerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2000;
    this.cache = new LruCache(opts.cacheSize ?? 20_000);
    this.tol = { absTol: opts.absTol, relTol: opts.relTol };
  }

  /** Is `predicted` the same answer as `gold`? Both are answer strings (use `checkOutput` for model text). */
  check(gold: string, predicted: string): Verdict {
    if (typeof gold !== 'string' || typeof predicted !== 'string') {
      return { equivalent: false, rule: 'error:invalid-input' };
    }
    // The commonest case of all (an attempt that wrote the reference verbatim) skips the cache.
    if (gold === predicted && gold.trim() !== '') return EXACT;
    const key = `${gold}\u0000${predicted}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    let verdict: Verdict;
    try {
      verdict = this.decide(gold, predicted, new Deadline(this.timeoutMs));
    } catch (err) {
      if (err instanceof DeadlineExceeded) return { equivalent: false, rule: 'timeout' };
      verdict = { equivalent: false, rule: `error:${err instanceof Error ? err.name : 'unknown'}` };
    }
    this.cache.set(key, verdict);
    return verdict;
  }

  /** Extract the answer from a full model output, then check it. No answer found: not equivalent. */
  checkOutput(gold: string, modelOutput: string): Verdict & { extracted: Extraction } {
    let extracted: Extraction;
    try {
      extracted = extractAnswer(
        typeof modelOutput === 'string' && modelOutput.length > MAX_INPUT_CHARS
          ? modelOutput.slice(-MAX_INPUT_CHARS)
          : modelOutput,
      );
    } catch {
      extracted = { found: false };
    }
    if (!extracted.found) return { equivalent: false, rule: 'no-answer', extracted };
    return { ...this.check(gold, extracted.answer), extracted };
  }

  clearCache(): void {
    this.cache.clear();
    this.normalized.clear();
    this.parsed.clear();
    this.raw.clear();
  }

  private normalize(s: string): string {
    let n = this.normalized.get(s);
    if (n === undefined) {
      n = normalizeAnswer(s);
      this.normalized.set(s, n);
    }
    return n;
  }

  private parse(normalized: string): AnswerNode {
    let node = this.parsed.get(normalized);
    if (node === undefined) {
      node = parseAnswer(normalized);
      this.parsed.set(normalized, node);
    }
    return node;
  }

  private decide(gold: string, predicted: string, deadline: Deadline): Verdict {
    if (gold.trim() === '' || predicted.trim() === '') return { equivalent: false, rule: 'empty' };
    if (gold === predicted) return { equivalent: true, rule: 'exact-string' };
    const g = answerText(gold.length > MAX_INPUT_CHARS ? gold.slice(-MAX_INPUT_CHARS) : gold);
    const p = answerText(predicted.length > MAX_INPUT_CHARS ? predicted.slice(-MAX_INPUT_CHARS) : predicted);
    if (g === p) return { equivalent: true, rule: 'exact-string' };
    const ng = this.normalize(g);
    const np = this.normalize(p);
    if (ng === '' || np === '') return { equivalent: false, rule: 'empty' };
    if (comparisonKey(ng) === comparisonKey(np)) return { equivalent: true, rule: 'normalized-string' };
    if (ng.length > MAX_ANSWER_CHARS || np.length > MAX_ANSWER_CHARS)
      return { equivalent: false, rule: 'refused:too-long' };
    const lg = parseNumberLiteral(ng);
    if (lg) {
      const lp = parseNumberLiteral(np);
      if (lp) return compareNumberLiterals(lg, lp, this.tol);
      const comma = DECIMAL.test(ng) ? decimalComma(np) : null;
      if (comma && compareNumberLiterals(lg, comma, this.tol).equivalent)
        return { equivalent: true, rule: 'decimal-comma' };
    }
    deadline.check();
    return compareNodes(this.parse(ng), this.parse(np), { deadline, tol: this.tol, raw: this.raw });
  }
}
