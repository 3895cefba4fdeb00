/**
 * Comparison of parsed answers: containers (tuples ordered, sets and answer lists unordered,
 * intervals with their brackets, unions, matrices), labelled values and records, equations and
 * inequalities, text, and finally expression leaves through `symbolic.ts`.
 */
import { comparisonKey, isWord } from './normalize.js';
import * as Q from './numbers.js';
import { type AnswerNode, isLabel, labelKey } from './structure.js';
import {
  compareExpressions,
  compareRelations,
  type Decision,
  isInfinity,
  type SymbolicContext,
} from './symbolic.js';

export type CompareContext = SymbolicContext;

const yes = (rule: string): Decision => ({ equivalent: true, rule });
const no = (rule: string): Decision => ({ equivalent: false, rule });

type Relation = Extract<AnswerNode, { kind: 'relation' }>;
type Tuple = Extract<AnswerNode, { kind: 'tuple' }>;
type Leaf = Extract<AnswerNode, { kind: 'expr' }>;

export function compareNodes(g: AnswerNode, p: AnswerNode, ctx: CompareContext): Decision {
  ctx.deadline.check();
  if (g.kind === 'assign' && p.kind === 'assign') return compareNodes(g.value, p.value, ctx);
  if (g.kind === 'assign' && p.kind === 'relation') return assignAgainstRelation(g, p, ctx);
  if (p.kind === 'assign' && g.kind === 'relation') return assignAgainstRelation(p, g, ctx);
  if (g.kind === 'assign') return compareNodes(g.value, p, ctx);
  if (p.kind === 'assign') return compareNodes(g, p.value, ctx);
  if (g.kind === 'record' || p.kind === 'record') return compareRecords(g, p, ctx);
  if (g.kind === 'relation' || p.kind === 'relation') return compareWithRelation(g, p, ctx);
  if (g.kind === 'union' || p.kind === 'union')
    return setCompare(unionParts(g), unionParts(p), ctx, 'interval');
  if (isCollection(g) || isCollection(p)) return compareCollections(g, p, ctx);
  if (g.kind === 'tuple' && p.kind === 'tuple') return compareTuples(g, p, ctx);
  if (g.kind === 'matrix' || p.kind === 'matrix') return compareMatrices(g, p, ctx);
  if (g.kind === 'text' || p.kind === 'text') return compareText(g, p);
  if (g.kind === 'expr' && p.kind === 'expr') return compareLeaves(g, p, ctx);
  return no('structure');
}

function isCollection(n: AnswerNode): boolean {
  return n.kind === 'list' || n.kind === 'set';
}

function itemsOf(n: AnswerNode): AnswerNode[] {
  return n.kind === 'list' || n.kind === 'set' ? n.items : [n];
}

function isRoundTuple(n: AnswerNode): n is Tuple {
  return n.kind === 'tuple' && n.open === '(' && n.close === ')';
}

function compareCollections(g: AnswerNode, p: AnswerNode, ctx: CompareContext): Decision {
  // A point written without parentheses (`3, 2` for `(3, 2)`) keeps its order.
  if (isRoundTuple(g) && p.kind === 'list') return orderedCompare(g.items, p.items, ctx, 'tuple');
  if (isRoundTuple(p) && g.kind === 'list') return orderedCompare(g.items, p.items, ctx, 'tuple');
  if ((g.kind === 'set' && p.kind === 'tuple') || (g.kind === 'tuple' && p.kind === 'set')) return no('set');
  return setCompare(itemsOf(g), itemsOf(p), ctx, 'set');
}

function orderedCompare(a: AnswerNode[], b: AnswerNode[], ctx: CompareContext, rule: string): Decision {
  if (a.length !== b.length) return no(rule);
  for (let k = 0; k < a.length; k++) if (!compareNodes(a[k]!, b[k]!, ctx).equivalent) return no(rule);
  return yes(rule);
}

function dedupe(items: AnswerNode[], ctx: CompareContext): AnswerNode[] {
  const out: AnswerNode[] = [];
  for (const it of items) if (!out.some((o) => compareNodes(o, it, ctx).equivalent)) out.push(it);
  return out;
}

/** Unordered comparison, duplicates ignored: `2, 3` = `3, 2` = `\{3, 2, 3\}`. */
function setCompare(a: AnswerNode[], b: AnswerNode[], ctx: CompareContext, rule: string): Decision {
  const ua = dedupe(a, ctx);
  const ub = dedupe(b, ctx);
  if (ua.length !== ub.length) return no(rule);
  const used = new Array<boolean>(ub.length).fill(false);
  for (const x of ua) {
    let matched = false;
    for (let j = 0; j < ub.length; j++) {
      if (used[j]) continue;
      if (compareNodes(x, ub[j]!, ctx).equivalent) {
        used[j] = true;
        matched = true;
        break;
      }
    }
    if (!matched) return no(rule);
  }
  return yes(rule);
}

function compareTuples(g: Tuple, p: Tuple, ctx: CompareContext): Decision {
  const interval =
    g.open === '[' ||
    g.close === ']' ||
    p.open === '[' ||
    p.close === ']' ||
    [...g.items, ...p.items].some((n) => n.kind === 'expr' && isInfinity(n.latex));
  const rule = interval ? 'interval' : 'tuple';
  if (g.open !== p.open || g.close !== p.close) return no(rule);
  return orderedCompare(g.items, p.items, ctx, rule);
}

function compareMatrices(g: AnswerNode, p: AnswerNode, ctx: CompareContext): Decision {
  if (g.kind === 'matrix' && p.kind === 'matrix') {
    if (g.rows.length !== p.rows.length) return no('matrix');
    for (let r = 0; r < g.rows.length; r++) {
      const gr = g.rows[r]!;
      const pr = p.rows[r]!;
      if (gr.length !== pr.length) return no('matrix');
      for (let k = 0; k < gr.length; k++)
        if (!compareNodes(gr[k]!, pr[k]!, ctx).equivalent) return no('matrix');
    }
    return yes('matrix');
  }
  const [m, other] = g.kind === 'matrix' ? [g, p] : [p as Extract<AnswerNode, { kind: 'matrix' }>, g];
  if (isRoundTuple(other)) {
    // A column or row vector against a point: same entries in the same order.
    const entries =
      m.rows.length === 1
        ? m.rows[0]!
        : m.rows.every((r) => r.length === 1)
          ? m.rows.map((r) => r[0]!)
          : null;
    return entries ? orderedCompare(entries, other.items, ctx, 'matrix') : no('matrix');
  }
  if (other.kind === 'expr' && /\\begin\s*\{/.test(other.latex)) {
    // `A + B` or `AB` of matrices: only the CAS can evaluate it.
    const a = g.kind === 'matrix' ? g.latex : (g as Leaf).latex;
    const b = p.kind === 'matrix' ? p.latex : (p as Leaf).latex;
    return compareExpressions(a, b, ctx) ?? no('matrix');
  }
  return no('matrix');
}

function assignAgainstRelation(
  a: Extract<AnswerNode, { kind: 'assign' }>,
  r: Relation,
  ctx: CompareContext,
): Decision {
  if (r.op !== '=' || a.value.kind !== 'expr') return no('equation');
  // `y = -x/2 + 3/4` read as the equation it is, against `2x + 4y - 3 = 0`.
  return compareRelations({ op: '=', lhs: a.label, rhs: a.value.latex }, r, ctx);
}

/** `x < 3` as the interval `(-\infty, 3)`, when one side is the unknown. */
function relationAsInterval(r: Relation): Tuple | null {
  if (r.op !== '<' && r.op !== '\\le') return null;
  const closed = r.op === '\\le';
  if (isLabel(r.lhs) && !isLabel(r.rhs)) {
    return {
      kind: 'tuple',
      open: '(',
      close: closed ? ']' : ')',
      items: [
        { kind: 'expr', latex: '-\\infty', percent: false },
        { kind: 'expr', latex: r.rhs, percent: false },
      ],
    };
  }
  if (isLabel(r.rhs) && !isLabel(r.lhs)) {
    return {
      kind: 'tuple',
      open: closed ? '[' : '(',
      close: ')',
      items: [
        { kind: 'expr', latex: r.lhs, percent: false },
        { kind: 'expr', latex: '\\infty', percent: false },
      ],
    };
  }
  return null;
}

function compareWithRelation(g: AnswerNode, p: AnswerNode, ctx: CompareContext): Decision {
  if (g.kind === 'relation' && p.kind === 'relation') return compareRelations(g, p, ctx);
  const [r, other] = g.kind === 'relation' ? [g, p] : [p as Relation, g];
  const rule = r.op === '=' ? 'equation' : 'inequality';
  if (other.kind === 'tuple') {
    const interval = relationAsInterval(r);
    if (!interval) return no(rule);
    return g.kind === 'relation' ? compareTuples(interval, other, ctx) : compareTuples(other, interval, ctx);
  }
  if (other.kind === 'union') return setCompare(unionParts(g), unionParts(p), ctx, 'interval');
  return no(rule);
}

/**
 * The intervals a node is a union of: a union's parts, or the intervals of inequalities in one
 * unknown joined by "or" (`x < -1 or x > 4`; "and" or a comma is not a union), or the node alone.
 */
function unionParts(n: AnswerNode): AnswerNode[] {
  if (n.kind === 'union') return n.parts;
  const items = n.kind === 'list' && n.disjunction ? n.items : n.kind === 'relation' ? [n] : null;
  if (items?.every((i) => i.kind === 'relation')) {
    const relations = items as Relation[];
    const unknowns = new Set(relations.map((r) => labelKey(isLabel(r.lhs) ? r.lhs : r.rhs)));
    const intervals = relations.map(relationAsInterval);
    if (unknowns.size === 1 && intervals.every((t) => t !== null)) return intervals as Tuple[];
  }
  return [n];
}

function compareRecords(g: AnswerNode, p: AnswerNode, ctx: CompareContext): Decision {
  if (g.kind === 'record' && p.kind === 'record') {
    const byLabel = new Map(g.entries.map((e) => [labelKey(e.label), e.value] as const));
    const sameLabels =
      g.entries.length === p.entries.length && p.entries.every((e) => byLabel.has(labelKey(e.label)));
    if (sameLabels) {
      for (const e of p.entries)
        if (!compareNodes(byLabel.get(labelKey(e.label))!, e.value, ctx).equivalent) return no('record');
      return yes('record');
    }
    return orderedCompare(
      g.entries.map((e) => e.value),
      p.entries.map((e) => e.value),
      ctx,
      'record',
    );
  }
  const [rec, other] = g.kind === 'record' ? [g, p] : [p as Extract<AnswerNode, { kind: 'record' }>, g];
  const values = rec.entries.map((e) => e.value);
  const items = other.kind === 'tuple' ? other.items : itemsOf(other);
  if (items.length !== values.length) return no('record');
  // x_1 = ..., x_2 = ... are the solutions of one equation: their order is arbitrary.
  if (indexedSameBase(rec.entries.map((e) => e.label))) {
    return g === rec ? setCompare(values, items, ctx, 'record') : setCompare(items, values, ctx, 'record');
  }
  return g === rec
    ? orderedCompare(values, items, ctx, 'record')
    : orderedCompare(items, values, ctx, 'record');
}

function indexedSameBase(labels: string[]): boolean {
  const bases = labels.map((l) => /^([A-Za-z]|\\[a-zA-Z]+)_\{?\s*\d+\s*\}?$/.exec(labelKey(l))?.[1]);
  return bases.every((b) => b !== undefined && b === bases[0]);
}

function textKey(s: string): string {
  return s.toLowerCase().replace(/\s+/g, '');
}

function compareText(g: AnswerNode, p: AnswerNode): Decision {
  const a = g.kind === 'text' ? g.text : g.kind === 'expr' ? g.latex : null;
  const b = p.kind === 'text' ? p.text : p.kind === 'expr' ? p.latex : null;
  if (a === null || b === null) return no('text');
  if (a.length > 0 && textKey(a) === textKey(b)) return yes('text');
  // Prose against mathematics (`two thirds` for \frac23): no rule reads it, so no rule decides.
  // Prose against a constant (`two thirds` for \frac23) is undecided; against an expression with
  // unknowns, or a choice letter against another, the text rule decided.
  const [text, math] = g.kind === 'text' ? [a, b] : [b, a];
  return no(g.kind !== p.kind && /[A-Za-z]{3}/.test(text) && isConstant(math) ? 'prose' : 'text');
}

const HUNDREDTH = Q.rat(1n, 100n);
const BASE_NUMERAL = /^\d[0-9A-F]*_\s*\{?\s*\d+\s*\}?$/;

function wordAgainstConstant(word: string, other: string): boolean {
  return isNumberWord(word) && isConstant(other);
}

/** No letters once commands (`\frac`, `\pi`) are taken out: a number, not an expression in unknowns. */
function isConstant(latex: string): boolean {
  return !/[A-Za-z]/.test(latex.replace(/\\[A-Za-z]+/g, ''));
}

const NUMBER_WORD =
  /^(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|half|halves|thirds?|quarters?|fourths?|fifths?|sixths?|sevenths?|eighths?|ninths?|tenths?|negative|minus)$/i;

/** `five`, `twenty-one`, `one-half`: a number in words, each hyphenated part a number word. */
function isNumberWord(s: string): boolean {
  return isWord(s) && s.split('-').every((part) => NUMBER_WORD.test(part));
}

function compareLeaves(g: Leaf, p: Leaf, ctx: CompareContext): Decision {
  if (g.latex === '' || p.latex === '') return no('empty');
  if (g.percent === p.percent && comparisonKey(g.latex) === comparisonKey(p.latex))
    return yes('normalized-string');
  // Word answers (`Even`, `odd`) compare without case; single letters keep it (`a` is not `A`).
  if (isWord(g.latex) && isWord(p.latex) && Math.min(g.latex.length, p.latex.length) >= 2) {
    if (g.latex.toLowerCase() === p.latex.toLowerCase()) return yes('text');
  }
  // A number word against a constant (`five` for 5): evaluated, the word would be a product of
  // four symbols and wrong everywhere; no rule reads numbers in words.
  if (wordAgainstConstant(g.latex, p.latex) || wordAgainstConstant(p.latex, g.latex)) return no('prose');
  // `204_5` is a numeral in base 5: the question asked for that base, so its value in base 10
  // (54) is a different answer. Same-base numerals already matched on their normalized key.
  if (BASE_NUMERAL.test(g.latex) || BASE_NUMERAL.test(p.latex)) return no('base-numeral');
  const direct = compareExpressions(g.latex, p.latex, ctx);
  if (g.percent === p.percent) return direct ?? no('unparsed');
  if (direct?.equivalent) return yes('percent');
  // 50\% also reads as 0.5 (see docs: percent policy).
  const [pct, other] = g.percent ? [g, p] : [p, g];
  const scaled = compareExpressions(pct.latex, other.latex, ctx, HUNDREDTH);
  if (scaled?.equivalent) return yes('percent');
  return no(direct?.rule ?? scaled?.rule ?? 'unparsed');
}
