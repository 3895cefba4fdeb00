import { describe, expect, it } from 'vitest';
import { extractAnswer } from '../../src/answer/index.js';

function answerOf(text: string): { answer: string; source: string } | null {
  const e = extractAnswer(text);
  return e.found ? { answer: e.answer, source: e.source } : null;
}

describe('extractAnswer: sources', () => {
  it('\\boxed{} with nested braces, last box wins', () => {
    expect(answerOf('First \\boxed{1}. Then we get \\boxed{\\frac{\\sqrt{3}}{2}}.')).toEqual({
      answer: '\\frac{\\sqrt{3}}{2}',
      source: 'boxed',
    });
  });

  it('\\fbox{}', () => {
    expect(answerOf('so the total is \\fbox{12}')).toEqual({ answer: '12', source: 'fbox' });
  });

  it('\\boxed 5 without braces', () => {
    expect(answerOf('Hence $\\boxed 5$.')).toEqual({ answer: '5', source: 'boxed' });
  });

  it('escaped braces inside a box do not end it', () => {
    expect(answerOf('\\boxed{\\{1, 2\\}}')).toEqual({ answer: '\\{1, 2\\}', source: 'boxed' });
  });

  it('adjacent boxes joined by connectors form one list', () => {
    expect(answerOf('the roots are \\boxed{-2} \\quad \\text{and} \\quad \\boxed{1}.')?.answer).toBe('-2, 1');
    expect(answerOf('\\( y_1 = \\boxed{x+1} \\) and \\( y_2 = \\boxed{x-1} \\)')?.answer).toBe('x+1, x-1');
  });

  it('boxes separated by prose are not joined: the last one is the answer', () => {
    expect(
      answerOf('interest is \\boxed{200}. So after six months the balance grows by \\boxed{255}')?.answer,
    ).toBe('255');
    expect(answerOf('First $\\boxed{1}$, then $x = \\boxed{\\frac{1}{2}}$.')?.answer).toBe('\\frac{1}{2}');
    expect(answerOf('\\boxed{1} no no no no no \\boxed{2}')?.answer).toBe('2');
  });

  it('a unit word before the connector still joins (two-part answers)', () => {
    expect(answerOf('\\boxed{3} hours and \\boxed{20} minutes')?.answer).toBe('3, 20');
  });

  it('"Final answer: ..." (Minerva style), including the "I hope it is correct" tail', () => {
    expect(answerOf('Final Answer: The final answer is $28 \\%$. I hope it is correct.')).toEqual({
      answer: '28 \\%',
      source: 'final-answer',
    });
    expect(answerOf('Final Answer: The volume of $ABCDEFGH$ is 120. I hope it is correct.')?.answer).toBe(
      '120',
    );
  });

  it('a final-answer sentence with exactly one number gives that number', () => {
    expect(
      answerOf('Final Answer: Jane started growing Sphere 3 hours ago. I hope it is correct.')?.answer,
    ).toBe('3');
  });

  it('a later "final answer" beats earlier intermediate boxes', () => {
    const text =
      'interest $= \\boxed{200}$, then $\\boxed{255}$. Final Answer: The final answer is $10,455$. I hope it is correct.';
    expect(answerOf(text)).toEqual({ answer: '10,455', source: 'final-answer' });
  });

  it('"The answer is ..."', () => {
    expect(answerOf('Adding them up, the answer is 42.')).toEqual({ answer: '42', source: 'answer-is' });
  });

  it('"Answer: ..."', () => {
    expect(answerOf('Work...\nAnswer: 7/2')).toEqual({ answer: '7/2', source: 'answer-colon' });
  });

  it('GSM8K "#### N"', () => {
    expect(answerOf('She has 16 - 3 = <<16-3=13>>13 eggs.\n#### 13')).toEqual({
      answer: '13',
      source: 'hashes',
    });
  });

  it('a box beats a later "####"; "####" beats later answer statements of a run-on output', () => {
    expect(answerOf('She has 9 eggs.\n#### 9\n\nQ: What is 2+3?\nA: 5')).toEqual({
      answer: '9',
      source: 'hashes',
    });
    expect(answerOf('So 18 in all.\n#### 18\n\nQuestion: 1+1?\nAnswer: 2')).toEqual({
      answer: '18',
      source: 'hashes',
    });
    expect(answerOf('So the total is $\\boxed{42}$.\n\nQuestion: 3 + 4?\nAnswer: 3 + 4 = 7\n#### 7')).toEqual(
      {
        answer: '42',
        source: 'boxed',
      },
    );
    expect(answerOf('The answer is 12.\nChecking again: 5 + 8 = 13.\n#### 13')).toEqual({
      answer: '13',
      source: 'hashes',
    });
  });

  it('a number concluding the prose, and nothing less certain', () => {
    expect(
      answerOf('There are 4 red and 2 blue.\nTherefore, the probability that both are red is 2/3.'),
    ).toEqual({ answer: '2/3', source: 'conclusion' });
    expect(answerOf('So the share that passed is 12.5%.')).toEqual({ answer: '12.5%', source: 'conclusion' });
    expect(answerOf('Therefore, x = -4.')).toEqual({ answer: '-4', source: 'conclusion' });
    for (const prose of [
      'Hence the area is 12 square units.',
      'Therefore, it is 2 times larger than before, which we doubt.',
      'The probability is 2/3.',
      'Therefore, the probability is 2/3. Let us check with 5 more cases',
    ])
      expect(answerOf(prose), prose).toBeNull();
  });

  it('GSM8K GPT-3 "A: N" lines, ignoring <<calc>> annotations', () => {
    expect(answerOf('She makes 9 * 2 = $<<9*2=18>>18 every day.\nA: 18')).toEqual({
      answer: '18',
      source: 'gsm8k-a',
    });
  });

  it('math spans when there is no anchor: $...$, $$...$$, \\(...\\), \\[...\\]', () => {
    expect(answerOf('We find that $x \\lt 3$.')).toEqual({ answer: 'x \\lt 3', source: 'inline-dollar' });
    expect(answerOf('so $$ 9 $$')).toEqual({ answer: '9', source: 'display-dollar' });
    expect(answerOf('so \\( 9 \\)')).toEqual({ answer: '9', source: 'inline-paren' });
    expect(answerOf('so \\[ 9 \\]')).toEqual({ answer: '9', source: 'display-bracket' });
  });

  it('math spans joined by "and"', () => {
    expect(answerOf('The values are $1$ and $2$ and $3$')?.answer).toBe('1, 2, 3');
  });

  it('a bare short output is its own answer', () => {
    expect(answerOf('  42 ')).toEqual({ answer: '42', source: 'bare' });
  });

  it('an output that is only its mathematics states it: a bare answer', () => {
    expect(answerOf('$\\frac{3}{4}$')).toEqual({ answer: '\\frac{3}{4}', source: 'bare' });
    expect(answerOf(' \\(42\\). ')).toEqual({ answer: '42', source: 'bare' });
    expect(answerOf('so $x = 3$')?.source).toBe('inline-dollar');
  });

  it('a cut-off opening word is no answer; one-letter and word answers still are', () => {
    for (const text of ['Let', 'We', 'To', 'So,', 'Let $x', 'First, we', 'The'])
      expect(extractAnswer(text), text).toEqual({ found: false });
    for (const text of ['i', 'A', 'Tuesday', 'yes', '\\text{odd}'])
      expect(answerOf(text)?.answer, text).toBe(text);
  });
});

describe('extractAnswer: robustness', () => {
  it('markdown bold', () => {
    expect(answerOf('The answer is **73**.')?.answer).toBe('73');
    expect(answerOf('**Final Answer:** **73**')?.answer).toBe('73');
  });

  it('\\dfrac without math delimiters', () => {
    expect(answerOf('So the answer is \\dfrac{3}{4}.')?.answer).toBe('\\dfrac{3}{4}');
  });

  it('over-escaped backslashes (\\\\frac, \\\\boxed)', () => {
    expect(answerOf('thus \\\\boxed{\\\\frac{1}{2}}')?.answer).toBe('\\frac{1}{2}');
  });

  it('percent after a box is kept', () => {
    expect(answerOf('$\\boxed{28}$ pct')?.answer).toBe('28\\%');
  });

  it('nothing found is an explicit no-answer, never a guess', () => {
    expect(extractAnswer('I am not sure how to solve this problem, sorry.')).toEqual({ found: false });
    expect(extractAnswer('')).toEqual({ found: false });
    expect(extractAnswer('   \n  ')).toEqual({ found: false });
    expect(extractAnswer('The value increases by 100% over the next few days, as seen before.')).toEqual({
      found: false,
    });
    expect(extractAnswer('it is two')).toEqual({ found: false });
    expect(extractAnswer('so the answer is $\\boxed{}$.')).toEqual({ found: false });
  });

  it('unbalanced boxes do not produce garbage', () => {
    expect(extractAnswer('\\boxed{1 + ').found).toBe(false);
  });

  it('very long outputs are scanned from the end', () => {
    const long = `${'blah '.repeat(40_000)}\\boxed{7}`;
    expect(answerOf(long)?.answer).toBe('7');
  });
});
