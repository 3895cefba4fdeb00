/**
 * Integers in English words, both ways, for the simulated model: it now and then states an
 * answer in words ("So the answer is negative twelve."), as real models do, and its judge reads
 * such answers back. Covers what it writes: -999..999.
 */
const ONES = [
  'zero',
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

/** Largest magnitude written in words. */
export const MAX_WORDED = 999;

export function integerToWords(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) > MAX_WORDED) throw new RangeError(`no words for ${n}`);
  if (n < 0) return `negative ${integerToWords(-n)}`;
  if (n < 20) return ONES[n]!;
  if (n < 100) return TENS[Math.floor(n / 10)]! + (n % 10 === 0 ? '' : `-${ONES[n % 10]}`);
  const rest = n % 100;
  return `${ONES[Math.floor(n / 100)]} hundred${rest === 0 ? '' : ` ${integerToWords(rest)}`}`;
}

/** The integer a phrase names ("negative twelve", "two hundred five"), or null. */
export function wordsToInteger(text: string): number | null {
  const words = text
    .toLowerCase()
    .replace(/-/g, ' ')
    .split(/\s+/)
    .filter((w) => w !== '' && w !== 'and');
  if (words.length === 0) return null;
  let sign = 1;
  if (words[0] === 'negative' || words[0] === 'minus') {
    sign = -1;
    words.shift();
  }
  let total = 0;
  let current = 0;
  let any = false;
  for (const w of words) {
    const one = ONES.indexOf(w);
    const ten = TENS.indexOf(w);
    if (one >= 0) current += one;
    else if (ten >= 2) current += 10 * ten;
    else if (w === 'hundred' && current > 0) {
      total += current * 100;
      current = 0;
    } else return null;
    any = true;
  }
  return any ? sign * (total + current) : null;
}
