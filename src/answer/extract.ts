/**
 * Extraction of the final answer from a model's full output. Sources, in tiers:
 *   1. explicit final answers: `\boxed{}` / `\fbox{}` (brace-matched, last wins, adjacent boxes
 *      joined into a list), "Final answer: ..."; then GSM8K's `#### N`, which a box outranks;
 *   2. answer statements: "The answer is ...", "Answer: ...", a GSM8K-style `A: N` line;
 *   3. the last math span `$...$`, `$$...$$`, `\(...\)`, `\[...\]` (only when tiers 1-2 are absent);
 *   4. a number concluding the prose ("Therefore, the probability ... is 2/3."), else the whole
 *      output when it is a bare short answer (`42`, `x = 3`).
 * Within a tier the last occurrence wins. Nothing found is reported as `{ found: false }`:
 * extraction never guesses a number out of prose.
 */
import { matchBrace, repairEscapes } from './latex.js';

export type ExtractionSource =
  | 'boxed'
  | 'fbox'
  | 'final-answer'
  | 'hashes'
  | 'answer-is'
  | 'answer-colon'
  | 'gsm8k-a'
  | 'display-dollar'
  | 'inline-dollar'
  | 'inline-paren'
  | 'display-bracket'
  | 'conclusion'
  | 'bare';

export type Extraction = { found: true; answer: string; source: ExtractionSource } | { found: false };

/**
 * Whether an answer was stated as the final one (a box, "the answer is", a bare short output)
 * rather than read off the last mathematics of a text that never said which answer it meant.
 * Where a prompt demands a final answer (the run's solve prompt asks for \boxed{}), an output
 * without one is malformed, not an answer.
 */
export function isStatedAnswer(source: ExtractionSource): boolean {
  return !MATH_SPAN_SOURCES.has(source);
}

const MATH_SPAN_SOURCES: ReadonlySet<ExtractionSource> = new Set([
  'display-dollar',
  'inline-dollar',
  'inline-paren',
  'display-bracket',
]);

interface Candidate {
  tier: number;
  pos: number;
  answer: string;
  source: ExtractionSource;
}

/** Only the tail of very long outputs is scanned: answers come last, and this bounds the work. */
const MAX_SCAN = 50_000;

export function extractAnswer(text: string): Extraction {
  if (typeof text !== 'string' || text.trim() === '') return { found: false };
  let s = text.length > MAX_SCAN ? text.slice(-MAX_SCAN) : text;
  // GSM8K calculator annotations `<<3*4=12>>` are never answers and contain `=`.
  s = repairEscapes(s).replace(/<<[^<>\n]{0,300}>>/g, '');
  const found: Candidate[] = [];
  boxed(s, found);
  // Anchors before a usable box lose to it (same tier, earlier) or are of a lower tier: scanning
  // only the text after the box is the same answer, and most outputs end with their box.
  const box = found[0];
  const usable = box !== undefined && !isEmptyBoxAnswer(box.answer);
  anchored(s, found, usable ? box.pos : 0, usable ? 1 : 2);
  if (found.length === 0) mathSpanCandidate(s, found);
  if (found.length === 0) conclusion(s, found);
  if (found.length === 0) bare(s, found);
  let best: Candidate | undefined;
  for (const cand of found) {
    if (isEmptyBoxAnswer(cand.answer)) continue;
    if (!best || cand.tier < best.tier || (cand.tier === best.tier && cand.pos >= best.pos)) best = cand;
  }
  if (!best) return { found: false };
  return { found: true, answer: best.answer.trim(), source: best.source };
}

/** An empty box quoted in a statement ("the answer is $\boxed{}$") is no answer. */
function isEmptyBoxAnswer(answer: string): boolean {
  return answer.replace(/\\(?:boxed|fbox)\s*\{\s*\}/g, '').trim() === '';
}

// ---------------------------------------------------------------- boxes

interface Piece {
  start: number;
  end: number;
  content: string;
}

function findBoxes(s: string): Array<Piece & { name: 'boxed' | 'fbox' }> {
  const out: Array<Piece & { name: 'boxed' | 'fbox' }> = [];
  const re = /\\(boxed|fbox)(?![a-zA-Z])/g;
  let coveredUntil = -1;
  for (const m of s.matchAll(re)) {
    const at = m.index;
    if (at < coveredUntil) continue; // a box inside a box: the outer one is the answer
    let i = at + m[0].length;
    while (s[i] === ' ') i++;
    if (s[i] === '{') {
      const close = matchBrace(s, i);
      if (close < 0) continue;
      out.push({ start: at, end: close + 1, content: s.slice(i + 1, close), name: m[1] as 'boxed' | 'fbox' });
      coveredUntil = close + 1;
    } else {
      // `\boxed 5`: TeX takes the next token.
      const t = /^\s*([^\s${}\\]+)/.exec(s.slice(at + m[0].length, at + m[0].length + 64));
      if (!t) continue;
      const end = at + m[0].length + t[0].length;
      out.push({ start: at, end, content: t[1]!, name: m[1] as 'boxed' | 'fbox' });
      coveredUntil = end;
    }
  }
  return out.filter((b) => b.content.trim() !== '' && !/^\\phantom\s*\{[^{}]*\}$/.test(b.content.trim()));
}

/**
 * True when the text between two answers only connects them: spaces, commas, "and"/"or", math
 * delimiters, `\quad`, labels (`y_2 =`), and at most one word right after the first answer when
 * a connector follows it (a unit: `\boxed{3} hours and \boxed{20}`). "First \boxed{1}, then
 * x = \boxed{2}" is not a list: "then" comes after the connector.
 */
export function isConnectorGap(gap: string): boolean {
  if (gap.length > 80) return false;
  const rest = gap
    .replace(/\\text\s*\{\s*(and|or|,)?\s*\}/gi, ' $1 ')
    .replace(/\\q?quad/g, ' , ')
    .replace(/\\[,;: !]|\\\(|\\\)|\\\[|\\\]|\\\\|\$|&/g, ' ')
    .replace(/(?:[A-Za-z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*=/g, ' ')
    .replace(/[,;]/g, ' , ')
    .trim();
  if (rest === '') return true;
  const tokens = rest.split(/\s+/);
  const isConnector = (t: string) => t === ',' || /^(?:and|or)$/i.test(t);
  const words = tokens.filter((t) => !isConnector(t));
  if (words.length === 0) return true;
  return words.length === 1 && tokens[0] === words[0] && tokens.length > 1 && /^[A-Za-z]+$/.test(words[0]!);
}

/** Consecutive pieces joined by connector gaps form one answer list; returns the last group. */
function lastGroup<T extends Piece>(s: string, pieces: T[]): T[] {
  if (pieces.length === 0) return [];
  let k = pieces.length - 1;
  while (k > 0 && isConnectorGap(s.slice(pieces[k - 1]!.end, pieces[k]!.start))) k--;
  return pieces.slice(k);
}

const PERCENT_AFTER = /^\s*\$?\s*(?:\\%|%|percent(?:age)?\b|pct\b)/i;

function boxed(s: string, out: Candidate[]): void {
  const group = lastGroup(s, findBoxes(s));
  if (group.length === 0) return;
  let answer = group.map((b) => b.content.trim()).join(', ');
  if (PERCENT_AFTER.test(s.slice(group[group.length - 1]!.end, group[group.length - 1]!.end + 20)))
    answer += '\\%';
  out.push({ tier: 1, pos: group[0]!.start, answer, source: group[0]!.name });
}

// ---------------------------------------------------------------- anchored statements

function lastMatch(s: string, re: RegExp, from = 0): RegExpExecArray | null {
  let last: RegExpExecArray | null = null;
  re.lastIndex = from;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    last = m;
    if (m[0].length === 0) re.lastIndex++;
  }
  return last;
}

/** The text after an anchor, up to the end of its line (or of a display block it opens). */
function segmentAfter(s: string, from: number): string {
  let rest = s.slice(from).replace(/^[\s*:]*/, '');
  const display = /^(\\\[|\$\$)/.exec(rest);
  if (display) {
    const close = rest.indexOf(display[1] === '\\[' ? '\\]' : '$$', 2);
    if (close > 0) return rest.slice(0, close + 2);
  }
  let nl = rest.indexOf('\n');
  if (nl >= 0) {
    // A line break inside `$...$` does not end the statement.
    const open = findMathSpans(rest.slice(0, 2000)).find((sp) => sp.start < nl && sp.end > nl);
    if (open) nl = open.end;
    rest = rest.slice(0, nl);
  }
  const hope = rest.search(/\bI hope\b/i);
  if (hope >= 0) rest = rest.slice(0, hope);
  return rest;
}

/** Anchored statements at or after `from`, of tiers up to `maxTier`. */
function anchored(s: string, out: Candidate[], from: number, maxTier: number): void {
  const push = (tier: number, m: RegExpExecArray | null, source: ExtractionSource) => {
    if (!m) return;
    const answer = reduceSegment(segmentAfter(s, m.index + m[0].length));
    // "the final answer is a positive number": an anchor followed by prose states no answer.
    if (answer === '' || (proseWords(answer) >= 2 && !/[\d\\=]/.test(answer))) return;
    out.push({ tier, pos: m.index, answer, source });
  };
  push(1, lastMatch(s, /final\s+answer(?:\s+is\b)?/gi, from), 'final-answer');
  if (maxTier < 2) return;
  // GSM8K's `#### N` is weaker than a box (degenerate text after a boxed answer can hold one)
  // and stronger than the answer statements (a run-on output goes on to "Q: ... A: 5").
  push(1.5, lastMatch(s, /####/g, from), 'hashes');
  push(2, lastMatch(s, /\banswer\s+(?:is|would\s+be|will\s+be)\b/gi, from), 'answer-is');
  push(2, lastMatch(s, /\banswer\s*(?:\*\*)?\s*:/gi, from), 'answer-colon');
  push(2, lastMatch(s, /(?:^|\n)[ \t]*A:(?=[ \t])/g, from), 'gsm8k-a');
}

/** Words of three or more letters outside LaTeX commands: how much a snippet reads as prose. */
function proseWords(t: string): number {
  const stripped = t.replace(/\\[a-zA-Z]+(?:\s*\{[^{}]*\})?/g, ' ');
  return (stripped.match(/[A-Za-z]{3,}/g) ?? []).length;
}

/**
 * Reduce an anchored statement to its answer: cut at the end of the sentence, keep what follows
 * the last " is " ("the volume of $V$ is 120"), prefer the math it contains, and when it is a
 * prose sentence with exactly one number ("Jane started 3 hours ago"), that number.
 */
export function reduceSegment(segment: string): string {
  let t = segment.replace(/\*\*/g, '').replace(/\\"/g, '"').trim();
  t = t.replace(/^(?:the\s+)?final\s+answer\s+is\b\s*:?/i, '').trim();
  t = cutSentence(t);
  const spans = findMathSpans(t);
  const isAt = lastIsOutside(t, spans);
  if (isAt >= 0) return reduceSegment(t.slice(isAt));
  if (spans.length > 0) {
    const group = lastGroup(t, spans);
    const tail = t.slice(group[group.length - 1]!.end);
    let joined = group.map((g) => g.content.trim()).join(', ');
    if (PERCENT_AFTER.test(tail)) joined += '\\%';
    if (joined.trim() !== '') return joined;
  }
  t = t.replace(/^["'“”]+|["'“”]+$/g, '').trim();
  if (proseWords(t) >= 2) {
    const numbers = t.match(/-?\$?\d[\d,]*(?:\.\d+)?\s*(?:\\?%)?/g) ?? [];
    if (numbers.length === 1) return numbers[0]!.trim();
  }
  return t;
}

function insideAny(spans: Piece[], at: number): boolean {
  return spans.some((sp) => at >= sp.start && at < sp.end);
}

function cutSentence(t: string): string {
  const spans = findMathSpans(t);
  for (let k = 0; k < t.length; k++) {
    const ch = t[k];
    if (
      (ch === '.' || ch === '!' || ch === '?') &&
      (k + 1 === t.length || /\s/.test(t[k + 1]!)) &&
      !insideAny(spans, k)
    ) {
      return t.slice(0, k);
    }
  }
  return t;
}

function lastIsOutside(t: string, spans: Piece[]): number {
  let found = -1;
  for (const m of t.matchAll(/\s(?:is|are|equals|be)\s/gi)) {
    if (!insideAny(spans, m.index)) found = m.index + m[0].length;
  }
  return found;
}

// ---------------------------------------------------------------- math spans

interface Span extends Piece {
  kind: 'display-dollar' | 'inline-dollar' | 'inline-paren' | 'display-bracket';
}

export function findMathSpans(s: string): Span[] {
  const out: Span[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i];
    if (ch === '\\') {
      const next = s[i + 1];
      if (next === '(' || next === '[') {
        const closeTok = next === '(' ? '\\)' : '\\]';
        const j = s.indexOf(closeTok, i + 2);
        if (j < 0) {
          i += 2;
          continue;
        }
        out.push({
          start: i,
          end: j + 2,
          content: s.slice(i + 2, j),
          kind: next === '(' ? 'inline-paren' : 'display-bracket',
        });
        i = j + 2;
        continue;
      }
      i += 2;
      continue;
    }
    if (ch === '$') {
      if (s[i + 1] === '$') {
        const j = s.indexOf('$$', i + 2);
        if (j < 0) {
          i += 2;
          continue;
        }
        out.push({ start: i, end: j + 2, content: s.slice(i + 2, j), kind: 'display-dollar' });
        i = j + 2;
        continue;
      }
      let j = i + 1;
      while (j < s.length && !(s[j] === '$' && s[j - 1] !== '\\')) {
        if (s[j] === '\n' && /^\n\s*\n/.test(s.slice(j, j + 4))) break;
        j++;
      }
      if (j >= s.length || s[j] !== '$') {
        i++;
        continue;
      }
      out.push({ start: i, end: j + 1, content: s.slice(i + 1, j), kind: 'inline-dollar' });
      i = j + 1;
      continue;
    }
    i++;
  }
  return out;
}

function looksLikeMath(content: string): boolean {
  const t = content.trim();
  return t !== '' && proseWords(t) <= 3;
}

function mathSpanCandidate(s: string, out: Candidate[]): void {
  const spans = findMathSpans(s).filter((sp) => looksLikeMath(sp.content));
  const group = lastGroup(s, spans);
  if (group.length === 0) return;
  let answer = group.map((g) => g.content.trim()).join(', ');
  if (PERCENT_AFTER.test(s.slice(group[group.length - 1]!.end, group[group.length - 1]!.end + 20)))
    answer += '\\%';
  // An output that is nothing but its mathematics (`$\frac{3}{4}$`) states it: a bare answer.
  const around = `${s.slice(0, group[0]!.start)}${s.slice(group[group.length - 1]!.end)}`;
  const whole = /^[\s.,;:!]*$/.test(around) && group.length === 1;
  out.push({ tier: 3, pos: group[0]!.start, answer, source: whole ? 'bare' : group[0]!.kind });
}

/**
 * Words that open a sentence of working, never an answer on their own: an output that is just
 * "Let" or "We" was cut off (or garbled) before it said anything. Single letters are absent on
 * purpose: `i`, `a` and `A` are answers.
 */
const SENTENCE_OPENERS = new Set(
  (
    'let we to so the an first since if given consider suppose note now then thus hence here this ' +
    'in for step solution it there when because and or but from using by as assume recall define ' +
    'denote observe notice begin start okay ok well hmm alright sure answer final therefore'
  ).split(' '),
);

/**
 * A number stated in the last sentence of prose, "Therefore, the probability that both are red
 * is 2/3.": only a concluding sentence (therefore, thus, hence, so), only a value right after
 * "is", "equals" or "=" that ends the sentence, and only a number (an integer, a decimal, a/b, a
 * percentage). Anything less certain stays "no answer".
 */
function conclusion(s: string, out: Candidate[]): void {
  const last = s
    .trimEnd()
    .split(/(?<=[.!?])\s+|\n+/)
    .filter((x) => x.trim() !== '')
    .at(-1);
  if (!last) return;
  const m =
    /^(?:Therefore|Thus|Hence|So)\b,?\s+[^=]*?\s(?:is|equals|=)\s+(-?\d+(?:\.\d+)?(?:\s*\/\s*\d+)?\s*%?)\s*[.!]?$/i.exec(
      last.trim(),
    );
  if (!m) return;
  out.push({ tier: 4, pos: s.lastIndexOf(last), answer: m[1]!.replace(/\s+/g, ''), source: 'conclusion' });
}

function bare(s: string, out: Candidate[]): void {
  const t = s.trim();
  if (t.length > 100 || t.includes('\n') || proseWords(t) > 1) return;
  if (SENTENCE_OPENERS.has(t.replace(/[.,:;!?]+$/, '').toLowerCase())) return;
  // "Let $x" or "To find": the start of a sentence that never went on.
  if (/^[A-Za-z]+\s/.test(t) && SENTENCE_OPENERS.has(t.split(/\s/)[0]!.toLowerCase())) return;
  // "it is two" is a sentence, not an answer: several words need some mathematics among them.
  if (/\s/.test(t) && !/[\d\\=<>^_()[\]{}+*/-]/.test(t)) return;
  // A box that did not close is a cut-off output, not a bare answer.
  if (/\\(?:boxed|fbox)(?![a-zA-Z])/.test(t)) return;
  out.push({ tier: 4, pos: 0, answer: t, source: 'bare' });
}
