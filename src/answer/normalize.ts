/**
 * String normalization of an answer: everything that changes how an answer is written but not
 * what it says. Each rule is listed in docs/answer-checking.md and has a unit test. The result is
 * still LaTeX; `comparisonKey` squeezes it further for the normalized-string fast path.
 */

import { repairEscapes, replaceCommandArg, scanTopLevel } from './latex.js';
import { solutionSetAsIntervals } from './solution-sets.js';

const UNICODE: Array<[RegExp, string]> = [
  [/[\u2212\u2013\u2014]/g, '-'],
  [/\u00d7/g, '\\times '],
  [/[\u00b7\u22c5]/g, '\\cdot '],
  [/\u00f7/g, '\\div '],
  [/\u03c0/g, '\\pi '],
  [/\u221a/g, '\\sqrt'],
  [/\u00b2/g, '^2'],
  [/\u00b3/g, '^3'],
  [/\u2264/g, '\\le '],
  [/\u2265/g, '\\ge '],
  [/\u2260/g, '\\neq '],
  [/\u2248/g, '\\approx '],
  [/\u221e/g, '\\infty '],
  [/\u00b1/g, '\\pm '],
  [/\u2213/g, '\\mp '],
  [/\u222a/g, '\\cup '],
  [/\u2229/g, '\\cap '],
  [/\u2208/g, '\\in '],
  [/\u03b8/g, '\\theta '],
  [/\u03b1/g, '\\alpha '],
  [/\u03b2/g, '\\beta '],
  [/\u00b0/g, '^\\circ '],
  [/[\u00a0\u2009\u202f]/g, ' '],
  [/[\u2018\u2019]/g, "'"],
  [/[\u201c\u201d]/g, '"'],
];

/** Font and text wrappers whose content is kept (or dropped as a unit, see `unwrapText`). */
const TEXT_WRAPPERS = [
  'text',
  'textbf',
  'textit',
  'textnormal',
  'textrm',
  'textsf',
  'texttt',
  'mbox',
  'hbox',
  'emph',
];
const MATH_FONTS = ['mathrm', 'mathbf', 'mathit', 'mathsf', 'mathnormal', 'boldsymbol', 'bm'];

/**
 * Units and currency words dropped after a number. Single letters are deliberately absent (`N`
 * can be a variable, `0.64N` is not `0.64`), except metres with an exponent (`m^2`).
 */
const UNIT_WORDS = [
  'cm',
  'mm',
  'km',
  'kg',
  'mg',
  'lbs?',
  'oz',
  'ft',
  'feet',
  'foot',
  'inch(?:es)?',
  'yards?',
  'yd',
  'miles?',
  'mi',
  'mph',
  'kph',
  'km/h',
  'm/s',
  'meters?',
  'metres?',
  'centimeters?',
  'centimetres?',
  'millimeters?',
  'kilometers?',
  'kilometres?',
  'seconds?',
  'secs?',
  'minutes?',
  'mins?',
  'hours?',
  'hrs?',
  'days?',
  'weeks?',
  'months?',
  'years?',
  'yrs?',
  'dollars?',
  'cents?',
  'usd',
  'euros?',
  'pounds?',
  'grams?',
  'kilograms?',
  'liters?',
  'litres?',
  'ml',
  'gallons?',
  'units?',
  'degrees?',
  'deg',
  'radians?',
  'c?m\\s*\\^\\s*\\{?\\s*[23]\\s*\\}?',
];
const UNIT_RE = new RegExp(
  String.raw`([\d}).])\s*(?:(?:square|sq\.?|cubic|cu\.?)\s+)?(?:${UNIT_WORDS.join('|')})(?:\s*\^\s*\{?\s*[23]\s*\}?)?\.?(?=\s*(?:$|[,;)\]]|\\%|\band\b|\bor\b))`,
  'gi',
);

/**
 * Inside brackets a semicolon separates coordinates as a comma does: `(1; 2)` is `(1, 2)`. At
 * depth 0 it stays, a separator of records above the commas (`p=5,q=2;p=7,q=2`).
 */
function bracketedSemicolons(s: string): string {
  if (!s.includes(';')) return s;
  const out = [...s];
  // Per open bracket: its semicolons, and whether it holds a comma of its own (then the
  // semicolons separate rows, `[1,2;3,4]`, and stay).
  const open: { semicolons: number[]; comma: boolean }[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '(' || ch === '[') open.push({ semicolons: [], comma: false });
    else if ((ch === ')' || ch === ']') && open.length > 0) {
      const b = open.pop()!;
      if (!b.comma) for (const at of b.semicolons) out[at] = ',';
    } else if (open.length > 0 && ch === ';' && s[i - 1] !== '\\') open.at(-1)!.semicolons.push(i);
    else if (open.length > 0 && ch === ',') open.at(-1)!.comma = true;
  }
  return out.join('');
}

/** "No solution" in words is the empty set. */
const NO_SOLUTION =
  /^(?:there (?:are|is) )?no (?:real |such |possible |integer )?(?:solutions?|roots?|values?(?: of \w+)?|numbers?)$/i;

/** Text inside `\text{}` that reads like a unit: words, possibly with `/`, `.`, `-` or a square. */
const UNIT_TEXT = /^[A-Za-z][A-Za-z ./-]*(?:\^\s*\{?[23]\}?)?$/;

/** Marks a dropped unit so that a `^2` right after `\text{ cm}^2` goes with it. */
const DROPPED = '\u0001';

function unwrapText(s: string): string {
  let out = replaceCommandArg(s, TEXT_WRAPPERS, (arg, _name, before) => {
    const c = arg.trim();
    if (c === '') return ' ';
    if (/^(?:and|or)$/i.test(c)) return ` ${c.toLowerCase()} `;
    if (c === ',') return ',';
    if (/^(?:percent|percentage|pct|\\?%)$/i.test(c)) return '\\%';
    const prev = before.trimEnd();
    // After a value, a word in \text{} is a unit or an annotation (`10\text{ units}`); alone, or
    // before the value, it is the answer itself (`\text{Evelyn}`) or a label (`\text{Area} = 5`).
    if (prev.length > 0 && /[\d}).\]A-Za-z]$/.test(prev) && UNIT_TEXT.test(c) && c.length <= 40)
      return DROPPED;
    return ` ${c} `;
  });
  out = replaceCommandArg(out, MATH_FONTS, (arg, _name, before) => {
    const c = arg.trim();
    const prev = before.trimEnd();
    if (c.length >= 2 && prev.length > 0 && /[\d})]$/.test(prev) && /^[A-Za-z]+$/.test(c)) return DROPPED;
    return c;
  });
  if (out.includes(DROPPED)) out = out.replace(/\u0001\s*(?:\^\s*\{?\s*[23]\s*\}?)?/g, ' ');
  return out;
}

/**
 * Remove thousands separators from numbers at bracket depth 0: `7,425,000`, `1,000.99`,
 * `14{,}916`. Inside brackets a comma separates coordinates, so `(1,234)` stays a pair. A first
 * group starting with 0 (`0,111`) is never a thousands group: it is left as a list.
 */
function joinThousands(s: string): string {
  if (!/\d,\d{3}/.test(s)) return s;
  const topLevel = new Uint8Array(s.length);
  scanTopLevel(s, (i) => {
    topLevel[i] = 1;
    return 0;
  });
  return s.replace(
    /(?<![\d.,])([1-9]\d{0,2})((?:,\d{3})+)(?![\d]|,\d)/g,
    (m, head: string, rest: string, at: number) => (topLevel[at] ? head + rest.replace(/,/g, '') : m),
  );
}

/** Remove `\left`, `\right` and the `\big` family; `\left.` (an empty delimiter) goes entirely. */
function dropSizing(s: string): string {
  return s.replace(/\\(?:left|right|[bB]igg?[lr]?)(?![a-zA-Z])\s*(\.(?!\d))?/g, '');
}

function applyShorthands(s: string): string {
  // `\frac12`, `\frac1{72}`, `\frac{3}4` and `\frac\pi2` take single tokens as arguments.
  const token = String.raw`(\\[a-zA-Z]+|[a-zA-Z0-9])`;
  return s
    .replace(new RegExp(String.raw`\\frac\s*${token}\s*${token}`, 'g'), '\\frac{$1}{$2}')
    .replace(new RegExp(String.raw`\\frac\s*${token}\s*\{`, 'g'), '\\frac{$1}{')
    .replace(/\\frac\s*\{([^{}]*)\}\s*(\\[a-zA-Z]+|[a-zA-Z0-9])/g, '\\frac{$1}{$2}')
    .replace(/\\sqrt\s*(\d)/g, '\\sqrt{$1}');
}

/**
 * Normalize one answer string (not a whole model output; see `extractAnswer`). Rules, in order:
 * over-escaping repair, Unicode math symbols, markdown emphasis, math delimiters and `\boxed`,
 * sizing and spacing commands, synonyms (`\dfrac`, `\leq`, `<=`, `\lt`), degree signs, text
 * wrappers and units, percent words, currency signs, `\frac12` shorthands, thousands separators,
 * whitespace and trailing punctuation.
 */
export function normalizeAnswer(input: string): string {
  let s = repairEscapes(input);
  for (const [re, to] of UNICODE) if (re.test(s)) s = s.replace(re, to);
  s = s.replace(/\*\*|__|`/g, '');
  // Leftover math delimiters: the extractor already chose the math, so they carry no meaning.
  s = s.replace(/(?<!\\)\\[()[\]]/g, ' ').replace(/(?<!\\)\$/g, ' ');
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits)(?![a-zA-Z])/g, '');
  s = replaceCommandArg(s, ['boxed', 'fbox'], (arg) => ` ${arg} `);
  s = dropSizing(s);
  // `{,}` keeps TeX from spacing a comma: before a group of three digits it groups thousands
  // (`1{,}234`). In an answer that is one number and nothing else, before any other run of
  // digits or after a lone 0, it is a decimal comma (`3{,}5`, `0{,}125`); inside brackets it
  // stays a separator (`(1{,}5)` is a point).
  if (/^\s*-?\d+\{,\}\d+\s*$/.test(s))
    s = s.replace(/(\d)\{,\}(?=(?:\d{1,2}|\d{4,})(?!\d))|(?<![\d.])(0)\{,\}(?=\d)/g, '$1$2.');
  s = s.replace(/(\d)\\[,;:]\s*(?=\d{3}(?!\d))/g, '$1').replace(/\{,\}/g, ',');
  // `32,\! 349`: a negative thin space after a thousands comma.
  s = s.replace(/(\d),\s*\\!\s*(?=\d{3}(?!\d))/g, '$1,');
  s = s.replace(/(?<!\\)\\!/g, '').replace(/\\q?quad/g, ' , ');
  s = s.replace(/(?<!\\)\\[,;: ]/g, ' ').replace(/~/g, ' ');
  s = s
    .replace(/\\[dtc]frac(?![a-zA-Z])/g, '\\frac')
    .replace(/\\[dt]binom(?![a-zA-Z])/g, '\\binom')
    .replace(/\\(?:leqslant|leq|le)(?![a-zA-Z])/g, '\\le ')
    .replace(/\\(?:geqslant|geq|ge)(?![a-zA-Z])/g, '\\ge ')
    .replace(/\\(?:neq|ne)(?![a-zA-Z])/g, '\\neq ')
    .replace(/\\lt(?![a-zA-Z])/g, '<')
    .replace(/\\gt(?![a-zA-Z])/g, '>')
    .replace(/<=/g, '\\le ')
    .replace(/>=/g, '\\ge ')
    .replace(/!=/g, '\\neq ')
    .replace(/\\lbrace(?![a-zA-Z])/g, '\\{')
    .replace(/\\rbrace(?![a-zA-Z])/g, '\\}')
    .replace(/\\(?:infin|infinity)(?![a-zA-Z])/g, '\\infty')
    .replace(/\\varnothing(?![a-zA-Z])/g, '\\emptyset')
    .replace(/\\\{\s*\\\}/g, '\\emptyset');
  // Degrees: a degree sign that ends a value is a unit (`90^\circ` = 90); inside an expression it
  // is kept for the evaluator (`\cos 13^\circ` is not `\cos 13`).
  s = s
    .replace(/\{\s*\}\s*\^/g, '^')
    .replace(/\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z])/g, '^\\circ')
    .replace(
      /(^|[,;=([]\s*|\s(?:and|or)\s+)([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*\^\\circ(?=\s*(?:$|[,;)\]]|\\text|\b(?:and|or)\b|\\q?quad))/g,
      '$1$2 ',
    );
  s = unwrapText(s);
  s = s.replace(/\\?%/g, '\\%').replace(/\s*\b(?:percentage|percent|pct)\b\.?/gi, '\\%');
  s = s.replace(/\\\$/g, ' ').replace(/[\u20ac\u00a3\u00a5\u20b9]/g, '');
  for (let i = 0; i < 3; i++) {
    const next = s.replace(UNIT_RE, '$1');
    if (next === s) break;
    s = next;
  }
  s = applyShorthands(s);
  s = joinThousands(s);
  s = bracketedSemicolons(s);
  // A leading decimal point: `.5` is `0.5` (not after a digit, even across a space: `2 .5` is
  // 2.5 written loosely; nor after a dot or a command's letter).
  s = s.replace(/(^|[^\d.A-Za-z])\.(?=\d)/g, (m, before: string, at: number) =>
    /\d\s*$/.test(s.slice(0, at + before.length)) ? m : `${before}0.`,
  );
  s = s.replace(/\s+/g, ' ').trim();
  // "approximately 3.14": a hedge before a value states the value.
  s = s.replace(/^(?:approximately|approx\.?|about|roughly|around|nearly|\\approx)\s*(?=[-+]?[\d.])/i, '');
  s = solutionSetAsIntervals(s);
  if (/^[+-]?[1-9]\d{0,2}(?: \d{3})+(?:\.\d+)?$/.test(s)) s = s.replace(/ /g, '');
  s = trimPunctuation(s);
  if (NO_SOLUTION.test(s)) s = '\\emptyset';
  return s;
}

/** Strip sentence punctuation and stray separators around the answer (`5.`, `: 7`, `, 3 ,`). */
export function trimPunctuation(s: string): string {
  let out = s;
  for (let guard = 0; guard < 20; guard++) {
    const before = out;
    out = out.replace(/^(?:[,;:]|=(?!=)|\\approx(?![a-zA-Z]))\s*/, '').replace(/\s*[.,;:?]+$/, '');
    // `5!` is a factorial; only an exclamation after a word or a space ends a sentence.
    out = out.replace(/(?<=[A-Za-z\s])!+$/, '');
    // A trailing backslash-separated space or an unmatched closing brace from a cut-off box.
    if (/\\$/.test(out)) out = out.slice(0, -1);
    out = out.trim();
    if (out === before) break;
  }
  if (out.endsWith('}') && countUnmatchedClosers(out) > 0) out = out.slice(0, -1).trim();
  return out;
}

function countUnmatchedClosers(s: string): number {
  let depth = 0;
  let unmatched = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) unmatched++;
      else depth--;
    }
  }
  return unmatched;
}

/**
 * A whitespace-free key for the normalized-string fast path: `x^{2}` and `x ^2` compare equal,
 * and so do `\frac{1}{2}` and `\frac {1} {2}`.
 */
export function comparisonKey(normalized: string): string {
  return normalized
    .replace(/\s+/g, '')
    .replace(/([_^])\{([A-Za-z0-9])\}/g, '$1$2')
    .replace(/\\cdot|\\times/g, '*');
}

/** True when the string is a plain run of letters (a word answer like `odd` or `Evelyn`). */
export function isWord(s: string): boolean {
  return /^[A-Za-z][A-Za-z'-]*$/.test(s);
}
