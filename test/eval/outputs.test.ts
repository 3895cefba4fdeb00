import { describe, expect, it } from 'vitest';
import { compareEvals, pairByBenchmark } from '../../src/eval/compare.js';
import { parseEvalFile } from '../../src/eval/read-eval.js';
import {
  codeSpan,
  compareMarkdown,
  escapeMarkdown,
  evalMarkdown,
  scalingMarkdown,
} from '../../src/eval/report-markdown.js';
import { buildScaling } from '../../src/eval/scaling.js';
import { serializeEvalFile } from '../../src/eval/serialize.js';
import { escapeXml, formatSize, scalingSvg } from '../../src/eval/svg.js';
import type { CompareFile } from '../../src/eval/types.js';
import { evalFixture, greedy } from './fixtures.js';

const opts = { alpha: 0.05, bootstrap: { resamples: 1000, seed: 0 } };
const stamp = { sparqVersion: 't', createdAt: 'now' };

describe('compare', () => {
  it('counts discordant items and runs McNemar on the common items', () => {
    // A right on 0..59, B right on 0..49 and 60..89: only A 10, only B 30.
    const a = evalFixture({ verdicts: greedy(100, 60), model: 'base' });
    const bVerdicts = Array.from({ length: 100 }, (_, i) => [i < 50 || (i >= 60 && i < 90)]);
    const b = evalFixture({ verdicts: bVerdicts, model: 'tuned' });
    const r = compareEvals({ file: 'a.json', data: a }, { file: 'b.json', data: b }, opts);
    expect(r.commonItems).toBe(100);
    expect(r.mcnemar).toMatchObject({
      bothCorrect: 50,
      onlyA: 10,
      onlyB: 30,
      bothWrong: 10,
      test: 'chi-square-cc',
    });
    expect(r.mcnemar.statistic).toBeCloseTo(19 ** 2 / 40, 12);
    expect(r.verdict).toBe('b-better');
    const pass1 = r.metrics.find((m) => m.name === 'pass@1')!;
    expect(pass1.a).toBeCloseTo(0.6, 12);
    expect(pass1.b).toBeCloseTo(0.8, 12);
    expect(pass1.diff.value).toBeCloseTo(0.2, 12);
    expect(pass1.diff.ci[0]).toBeGreaterThan(0.05);
    expect(pass1.diff.ci[1]).toBeLessThan(0.35);
    // Swapping the sides flips the verdict and the sign.
    const back = compareEvals({ file: 'b.json', data: b }, { file: 'a.json', data: a }, opts);
    expect(back.verdict).toBe('a-better');
    expect(back.metrics[0]!.diff.value).toBeCloseTo(-0.2, 12);
    expect(back.mcnemar.pValue).toBeCloseTo(r.mcnemar.pValue, 12);
  });

  it('says "no significant difference" for a small difference, using the exact test', () => {
    const a = evalFixture({ verdicts: greedy(40, 20) });
    const b = evalFixture({ verdicts: greedy(40, 23) });
    const r = compareEvals({ file: 'a', data: a }, { file: 'b', data: b }, opts);
    expect(r.mcnemar).toMatchObject({ onlyA: 0, onlyB: 3, test: 'exact-binomial' });
    expect(r.mcnemar.pValue).toBeCloseTo(0.25, 12);
    expect(r.verdict).toBe('no-significant-difference');
  });

  it('pairs on common ids only and compares pass@k across different sample counts', () => {
    const a = evalFixture({
      verdicts: Array.from({ length: 6 }, (_, i) => [i % 2 === 0, false, true, false]),
    });
    const b = evalFixture({
      verdicts: Array.from({ length: 4 }, () => [true, true]),
      ids: ['q2', 'q3', 'q4', 'extra'],
      templateRef: 'other@1',
    });
    const r = compareEvals({ file: 'a', data: a }, { file: 'b', data: b }, opts);
    expect(r.commonItems).toBe(3);
    expect(r.onlyInA).toBe(3);
    expect(r.onlyInB).toBe(1);
    expect(r.metrics.map((m) => m.name)).toEqual(['pass@1', 'pass@2', 'no_answer_rate']);
    // Different K: one answer per item on each side, never a vote against a single answer.
    expect(r.mcnemar.outcome).toBe('the first sample of each item');
    expect(r.mcnemar).toMatchObject({ bothCorrect: 2, onlyA: 0, onlyB: 1, bothWrong: 0 });
    expect(r.warnings.join('\n')).toMatch(/different templates: eval-cot@1 vs other@1/);
    expect(r.warnings.join('\n')).toMatch(/different sampling samples: 4 vs 2/);
  });

  it('refuses a mismatched pair', () => {
    const a = evalFixture({ verdicts: greedy(5, 2), benchmark: 'math500', sha256: '1'.repeat(64) });
    const b = evalFixture({ verdicts: greedy(5, 2), benchmark: 'gsm8k', sha256: '2'.repeat(64) });
    expect(() => compareEvals({ file: 'a', data: a }, { file: 'b', data: b }, opts)).toThrow(
      /cannot compare a with b: different benchmarks: math500/,
    );
    const c = evalFixture({ verdicts: greedy(5, 2), ids: ['x1', 'x2', 'x3', 'x4', 'x5'] });
    const d = evalFixture({ verdicts: greedy(5, 2) });
    expect(() => compareEvals({ file: 'c', data: c }, { file: 'd', data: d }, opts)).toThrow(
      /no item id is in both/,
    );
    const e = evalFixture({ verdicts: greedy(2, 1), golds: ['7', '8'] });
    const f = evalFixture({ verdicts: greedy(2, 1) });
    expect(() => compareEvals({ file: 'e', data: e }, { file: 'f', data: f }, opts)).toThrow(
      /reference answer "8"/,
    );
  });

  it('pairs directories by benchmark and lists the rest', () => {
    const mk = (benchmark: string) => ({
      file: `${benchmark}.json`,
      data: evalFixture({ verdicts: greedy(3, 1), benchmark }),
    });
    const { pairs, unmatched } = pairByBenchmark([mk('math500'), mk('gsm8k')], [mk('gsm8k'), mk('svamp')]);
    expect(pairs.map(([x]) => x.data.benchmark.name)).toEqual(['gsm8k']);
    expect(unmatched).toEqual([
      { side: 'a', file: 'math500.json', benchmark: 'math500' },
      { side: 'b', file: 'svamp.json', benchmark: 'svamp' },
    ]);
    expect(() => pairByBenchmark([mk('gsm8k'), mk('gsm8k')], [])).toThrow(/two evals of gsm8k/);
  });
});

describe('eval files', () => {
  it('round-trip through the serializer and the reader', () => {
    const data = evalFixture({ verdicts: greedy(4, 3), dataSize: 8000 });
    const text = serializeEvalFile(data);
    expect(JSON.parse(text)).toEqual(data);
    // One line per item.
    expect(text.split('\n').filter((l) => l.startsWith('    {"id"'))).toHaveLength(4);
    expect(parseEvalFile(text, 'f.json')).toEqual(data);
  });

  it('rejects malformed files with the file and the field', () => {
    expect(() => parseEvalFile('{', 'x.json')).toThrow(/x.json: not a sparq eval file \(invalid JSON/);
    expect(() => parseEvalFile('{"kind": "sparq-scaling"}', 'x.json')).toThrow(/"sparq-scaling" file/);
    const data = evalFixture({ verdicts: greedy(2, 1) }) as unknown as Record<string, unknown>;
    const broken = { ...data, items: [{ id: 'q0', gold: '7', correct: 'yes', answers: [], majority: {} }] };
    expect(() => parseEvalFile(JSON.stringify(broken), 'b.json')).toThrow(
      /b.json: not a valid sparq eval file:[\s\S]*items\.0\.correct/,
    );
    const wrongCount = evalFixture({ verdicts: greedy(2, 1) });
    wrongCount.sampling.samples = 3;
    expect(() => parseEvalFile(JSON.stringify(wrongCount), 'c.json')).toThrow(
      /1 verdicts, but the file says 3 samples/,
    );
  });
});

describe('scaling', () => {
  const inputs = [1000, 4000, 16000, 64000, 256000].map((x, i) => ({
    file: `e${i}.json`,
    x: null,
    data: evalFixture({ verdicts: greedy(100, [40, 52, 61, 67, 71][i]!), dataSize: x }),
  }));

  it('builds points and the three fits for each benchmark', () => {
    const r = buildScaling(inputs, 'data_size', 'pass@1', stamp);
    expect(r.points.map((p) => [p.x, p.y])).toEqual([
      [1000, 0.4],
      [4000, 0.52],
      [16000, 0.61],
      [64000, 0.67],
      [256000, 0.71],
    ]);
    expect(r.fits.map((f) => f.model)).toEqual(['power_law_offset', 'power_law', 'log_linear']);
    for (const f of r.fits) {
      expect(f.r2).toBeGreaterThan(0.9);
      expect(f.curve.length).toBeGreaterThan(10);
      expect(f.residuals).toHaveLength(5);
    }
    expect(r.skipped).toEqual([]);
  });

  it('says which files lack the x value and how to give it', () => {
    const noX = [
      ...inputs.slice(0, 2),
      { file: 'bare.json', x: null, data: evalFixture({ verdicts: greedy(3, 1) }) },
    ];
    expect(() => buildScaling(noX, 'data_size', 'pass@1', stamp)).toThrow(
      /no data_size for bare.json: evaluate with `sparq eval ... --data-size N`, or pass FILE=N/,
    );
    expect(() => buildScaling(inputs, 'model_size', 'pass@1', stamp)).toThrow(/--model-size N/);
    expect(() => buildScaling(inputs, 'data_size', 'maj@8', stamp)).toThrow(
      /has no metric "maj@8"; it has pass@1, no_answer_rate/,
    );
    expect(() => buildScaling(inputs.slice(0, 1), 'data_size', 'pass@1', stamp)).toThrow(
      /at least two evals/,
    );
  });

  it('skips the offset power law with fewer than 4 sizes, saying why', () => {
    const r = buildScaling(inputs.slice(0, 3), 'data_size', 'pass@1', stamp);
    expect(r.fits.map((f) => f.model)).toEqual(['power_law', 'log_linear']);
    expect(r.skipped[0]).toMatchObject({ model: 'power_law_offset' });
    expect(r.skipped[0]!.reason).toMatch(/4 distinct x/);
  });

  it('plots as a well-formed SVG with escaped text', () => {
    const named = inputs.map((inp) => ({
      ...inp,
      data: { ...inp.data, benchmark: { ...inp.data.benchmark, name: 'a<b>&"c' } },
    }));
    const svg = scalingSvg(buildScaling(named, 'data_size', 'pass@1', stamp));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c');
    expect(svg).not.toContain('a<b>');
    expect((svg.match(/<circle /g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect((svg.match(/<path /g) ?? []).length).toBe(3);
    // Tags balance (a cheap well-formedness check without an XML parser).
    const opens = (svg.match(/<(?!\/)[a-zA-Z][^>]*[^/]>/g) ?? []).length;
    const closes = (svg.match(/<\/[a-zA-Z]+>/g) ?? []).length;
    expect(opens).toBe(closes);
    expect(formatSize(16000)).toBe('16k');
    expect(formatSize(7e9)).toBe('7B');
    expect(escapeXml(`'`)).toBe('&apos;');
  });
});

describe('markdown', () => {
  it('escapes model text', () => {
    expect(escapeMarkdown('a|b *c* <script>x</script>\nnew')).toBe(
      'a\\|b \\*c\\* &lt;script&gt;x&lt;/script&gt; new',
    );
    expect(codeSpan('x | y')).toBe('`x \\| y`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x')).toBe('`` `x ``');
  });

  it('keeps tables intact whatever the answers and names contain', () => {
    const data = evalFixture({ verdicts: greedy(3, 1), model: 'evil|model<b>' });
    data.items[1]!.majority.answer = '{1,2} | <img src=x>\n## heading';
    data.items[1]!.answers[0] = data.items[1]!.majority.answer;
    const md = evalMarkdown(data);
    expect(md).toContain('evil\\|model&lt;b&gt;');
    expect(md).toContain('`{1,2} \\| <img src=x> ## heading`');
    expect(md).not.toMatch(/\n## heading/);
    // Every table row has the same number of unescaped cell separators as its header.
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const rows = block.split('\n').filter((r) => r !== '');
      const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length;
      for (const row of rows) expect(cells(row)).toBe(cells(rows[0]!));
    }
  });

  it('summarises compare and scaling results', () => {
    const a = evalFixture({ verdicts: greedy(50, 20), label: 'base' });
    const b = evalFixture({ verdicts: greedy(50, 35), label: 'quality-8k' });
    const cmp: CompareFile = {
      kind: 'sparq-compare',
      schemaVersion: 1,
      sparqVersion: 't',
      createdAt: 'now',
      alpha: 0.05,
      bootstrap: { resamples: 1000, seed: 0, confidence: 0.95, method: 'percentile' },
      benchmarks: [compareEvals({ file: 'a', data: a }, { file: 'b', data: b }, opts)],
      unmatched: [],
    };
    const md = compareMarkdown(cmp);
    expect(md).toContain('A = base, B = quality-8k');
    expect(md).toContain('**B is better** (p < 0.05)');
    expect(md).toContain('| `pass@1` | 40.0 | 70.0 | +30.0 [');
    const sc = scalingMarkdown(
      buildScaling(
        [1, 2, 4, 8].map((k, i) => ({
          file: `f${i}.json`,
          x: k * 1000,
          data: evalFixture({ verdicts: greedy(10, 3 + i) }),
        })),
        'data_size',
        'pass@1',
        stamp,
      ),
    );
    expect(sc).toContain('## Scaling of `pass@1` with `data_size`');
    expect(sc).toContain('bench power law offset');
  });
});
