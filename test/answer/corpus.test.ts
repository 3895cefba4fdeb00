/**
 * Agreement with upstream labels on the copies in data/answer-tests/ (see its README.md for
 * provenance). The equivalence corpus has an explicit list of deliberate differences, each with
 * its reason (also in docs/answer-checking.md): the test fails if a listed case starts agreeing
 * or an unlisted one starts disagreeing, so both regressions and silent changes are noticed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AnswerChecker } from '../../src/answer/index.js';

const DATA = fileURLToPath(new URL('../../data/answer-tests/', import.meta.url));

function readJsonl<T>(name: string): T[] {
  return readFileSync(DATA + name, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

interface EquivalenceCase {
  gold: string;
  predicted: string;
  equivalent: boolean;
  source: string;
  origin: string;
  config?: { precision?: number | string };
  note?: string;
}

interface ModelOutput {
  id: string;
  gold_answer: string;
  output: string;
  is_correct: boolean;
}

/** Upstream cases where sparq deliberately returns the other verdict, keyed by `source`. */
const EXPECTED_DIFFERENCES: Record<string, string> = {
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_all.py::test_number_extraction[7]':
    'decimal comma inside prose ("Soucis : 2,74 $ a.."): no answer anchor, and a decimal comma is ambiguous with a list',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_all.py::test_number_extraction[16]':
    'number picked out of prose without an anchor ("... it\'s 1,000.99m²"): sparq never guesses from prose',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_all.py::test_number_extraction[17]':
    'decimal comma in the reference: "0,111" is read as the list 0, 111 (MATH writes lists without spaces); only a prediction is read with a decimal comma',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_all.py::test_latex_notation[6]':
    'Math-Verify rejects a line break inside \\( \\); sparq extracts the 9 (expected false, sparq says true)',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_all.py::test_math_extraction_additional_cases[8]':
    'the predicted text only says "increases by 100%" in prose, with no anchor: not extracted',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_boxed.py::test_boxed[0]':
    'boxes separated by "++++++" are not joined into one answer list; the last box (4) is the answer',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_strict.py::test_strict_variable_comparison[1]':
    'non-strict mode (f(x) = f(y) up to renaming variables) does not exist in sparq: variables are never renamed',
  'huggingface/Math-Verify@5d148cfaaf99 tests/test_yujianll.py::test_string_extraction[9]':
    'upstream verdict is mathematically wrong (1 - 1/e vs 1 + 1/e), flagged in the corpus note',
};

/**
 * The numeric tolerance each upstream test ran with: Math-Verify's `precision` is a number of
 * decimal places, OlympiadBench's an absolute error. sparq's default stays exact.
 */
function toleranceOf(c: EquivalenceCase): number | undefined {
  const p = c.config?.precision;
  if (p === undefined) return undefined;
  const n = Number(p);
  return c.origin === 'math-verify' ? 0.5 * 10 ** -n : n;
}

describe('equivalence corpus (Math-Verify, hendrycks/math, OlympiadBench test vectors)', () => {
  const cases = readJsonl<EquivalenceCase>('equivalence_cases.jsonl');
  const checkers = new Map<string, AnswerChecker>();
  const checkerFor = (tol: number | undefined) => {
    const key = String(tol);
    let c = checkers.get(key);
    if (!c) {
      c = new AnswerChecker({ absTol: tol, timeoutMs: 5000 });
      checkers.set(key, c);
    }
    return c;
  };
  const results = cases.map((c) => ({ c, v: checkerFor(toleranceOf(c)).check(c.gold, c.predicted) }));
  const disagreements = results.filter(({ c, v }) => v.equivalent !== c.equivalent);

  it('agrees with at least 93% of upstream verdicts', () => {
    const agreement = 1 - disagreements.length / cases.length;
    console.log(
      `equivalence corpus: ${cases.length - disagreements.length}/${cases.length} = ${(100 * agreement).toFixed(2)}% agreement\n` +
        disagreements
          .map(
            ({ c, v }) => `  differs: ${c.source} expected=${c.equivalent} got=${v.equivalent} (${v.rule})`,
          )
          .join('\n'),
    );
    expect(agreement).toBeGreaterThanOrEqual(0.93);
  });

  it('differs exactly on the documented cases', () => {
    expect(disagreements.map(({ c }) => c.source).sort()).toEqual(Object.keys(EXPECTED_DIFFERENCES).sort());
  });

  it('never errors or times out', () => {
    expect(
      results.filter(({ v }) => v.rule === 'timeout' || v.rule.startsWith('error')).map(({ c }) => c.source),
    ).toEqual([]);
  });
});

describe.each([
  ['gsm8k_test_gpt3_solutions.jsonl', 2640],
  ['math_qwen25math_cot_samples.jsonl', 400],
])('model outputs %s graded from the full output', (file, rows) => {
  const outputs = readJsonl<ModelOutput>(file);
  const checker = new AnswerChecker();
  const results = outputs.map((o) => ({ o, v: checker.checkOutput(o.gold_answer, o.output) }));
  const disagreements = results.filter(({ o, v }) => v.equivalent !== o.is_correct);

  it('agrees with the upstream labels on at least 99.5% of rows', () => {
    expect(outputs.length).toBe(rows);
    const agreement = 1 - disagreements.length / outputs.length;
    console.log(
      `${file}: ${outputs.length - disagreements.length}/${outputs.length} = ${(100 * agreement).toFixed(2)}% agreement\n` +
        disagreements
          .map(
            ({ o, v }) =>
              `  differs: ${o.id} gold=${o.gold_answer} label=${o.is_correct} got=${v.equivalent} (${v.rule}) ${JSON.stringify(v.extracted)}`,
          )
          .join('\n'),
    );
    expect(agreement).toBeGreaterThanOrEqual(0.995);
  });

  it('finds no answer only in outputs that upstream also graded wrong (cut-off generations)', () => {
    const unanswered = results.filter(({ v }) => !v.extracted.found);
    console.log(
      `${file}: no answer extracted from ${unanswered.length} outputs: ${unanswered.map(({ o }) => o.id).join(', ')}`,
    );
    expect(unanswered.filter(({ o }) => o.is_correct).map(({ o }) => o.id)).toEqual([]);
  });
});
