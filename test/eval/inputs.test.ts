import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUNDLED_BENCHMARKS, loadBenchmark, parseBenchmarkText } from '../../src/eval/benchmarks.js';
import { BUNDLED_FEW_SHOT_IDS, buildEvalPrompt } from '../../src/eval/prompt.js';
import { parseScalingArg, parseSize } from '../../src/eval/scaling.js';
import { simulateCompletion } from '../../src/sim/model.js';
import { UserError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/cli.js';

describe('benchmarks', () => {
  it('loads every bundled set with the documented sizes', () => {
    const sizes: Record<string, number> = {
      math500: 500,
      math: 5000,
      gsm8k: 1319,
      svamp: 1000,
      olympiadbench: 675,
    };
    for (const name of Object.keys(BUNDLED_BENCHMARKS)) {
      const b = loadBenchmark(name);
      expect(b.items).toHaveLength(sizes[name]!);
      expect(b.bundled).toBe(true);
      expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(b.items.every((it) => it.answer.trim() !== '')).toBe(true);
    }
    expect(loadBenchmark('math500').sha256.startsWith('14a26b67')).toBe(true);
  });

  it('lists the bundled names for an unknown benchmark', () => {
    expect(() => loadBenchmark('math-500')).toThrow(UserError);
    expect(() => loadBenchmark('math-500')).toThrow(
      /unknown benchmark "math-500"[\s\S]*math500[\s\S]*gsm8k[\s\S]*olympiadbench/,
    );
  });

  it('reports bad lines with file and line, and empty files', () => {
    const text = [
      '{"id": 1, "problem": "What is 1+1?", "answer": "2"}',
      'not json',
      '{"id": 1, "problem": "dup", "answer": "3"}',
      '{"id": 3, "answer": "3"}',
      '{"id": 4, "problem": "p", "solution": "no box here"}',
      '{"id": 5, "problem": "p", "answer": ["x"]}',
    ].join('\n');
    try {
      parseBenchmarkText(text, 'b.jsonl');
      expect.unreachable();
    } catch (err) {
      const msg = (err as Error).message;
      expect(msg).toContain('5 bad lines');
      expect(msg).toContain('b.jsonl:2: not valid JSON');
      expect(msg).toContain('b.jsonl:3: duplicate id "1" (first seen on line 1)');
      expect(msg).toContain('b.jsonl:4: missing "problem"');
      expect(msg).toContain('b.jsonl:5: no reference answer');
      expect(msg).toContain('b.jsonl:6: "answer" must be a string');
    }
    expect(() => parseBenchmarkText('\n\n', 'e.jsonl')).toThrow(/e.jsonl is empty/);
  });

  it('takes the answer from the solution box when a seed-style line has none', () => {
    const [item] = parseBenchmarkText(
      '{"id": "s", "problem": "p", "solution": "so $\\\\boxed{\\\\frac{1}{2}}$", "subject": "Algebra", "level": 3}',
      'f',
    );
    expect(item).toMatchObject({ id: 's', answer: '\\frac{1}{2}', subject: 'Algebra', level: '3' });
  });
});

describe('evaluation prompt', () => {
  it('is zero-shot chain of thought with a boxed answer by default', () => {
    const p = buildEvalPrompt({ fewShot: 0, benchmarkProblems: [] });
    expect(p.template.ref).toBe('eval-cot@1');
    const [m] = p.messages('What is $2+2$?');
    expect(m!.content).toContain('\\boxed{}');
    expect(m!.content.endsWith('Problem:\nWhat is $2+2$?')).toBe(true);
    expect(p.fewShot).toBeNull();
  });

  it('writes bundled few-shot examples inline, skipping those that are benchmark items', () => {
    const all = buildEvalPrompt({ fewShot: 8, benchmarkProblems: [] });
    expect(all.fewShot!.ids).toEqual([...BUNDLED_FEW_SHOT_IDS]);
    const firstProblem = all.fewShot!.examples[0]!.problem;
    const p = buildEvalPrompt({ fewShot: 3, benchmarkProblems: [`  ${firstProblem} `] });
    expect(p.template.ref).toBe('eval-fewshot@1');
    expect(p.fewShot!.ids).toEqual(BUNDLED_FEW_SHOT_IDS.slice(1, 4));
    expect(p.fewShot!.mode).toBe('inline');
    const text = p.messages('Find $x$.')[0]!.content;
    expect(text.match(/Problem:/g)).toHaveLength(4);
    expect(text.match(/\\boxed\{/g)).toHaveLength(4); // the instruction's and one per example
    expect(text.endsWith('Problem:\nFind $x$.')).toBe(true);
    // The simulated model (like a reader) takes the last problem as the one to solve.
    const reply = simulateCompletion({ messages: p.messages('What is $1+1$?'), n: 1, temperature: 0 });
    expect(reply.choices[0]!.text).toContain('\\boxed{');
    expect(() => buildEvalPrompt({ fewShot: 9, benchmarkProblems: [] })).toThrow(/only 8 usable examples/);
  });

  it('sends few-shot examples as chat turns with a template without {{examples}}', () => {
    const p = buildEvalPrompt({ fewShot: 2, template: 'eval-cot', benchmarkProblems: [] });
    const msgs = p.messages('Q?');
    expect(msgs.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(msgs[1]!.content).toContain('\\boxed');
    expect(msgs[4]!.content.endsWith('Problem:\nQ?')).toBe(true);
    expect(p.fewShot!.mode).toBe('turns');
  });

  it('reads few-shot examples and templates from files, and rejects bad templates', () => {
    const dir = tempDir();
    const shots = join(dir, 'shots.jsonl');
    writeFileSync(
      shots,
      '{"id":"t1","problem":"1+1?","solution":"$\\\\boxed{2}$"}\n{"id":"t2","problem":"2+2?","answer":"4"}\n',
    );
    expect(buildEvalPrompt({ fewShot: 1, fewShotFile: shots, benchmarkProblems: [] }).fewShot!.ids).toEqual([
      't1',
    ]);
    // The second line has no solution to show.
    expect(() => buildEvalPrompt({ fewShot: 2, fewShotFile: shots, benchmarkProblems: [] })).toThrow(
      /only 1 usable/,
    );
    const custom = join(dir, 'mine.md');
    writeFileSync(custom, '---\nid: mine\nversion: 2\n---\n[system]\nBe brief.\n[user]\nQ: {{problem}}\n');
    const p = buildEvalPrompt({ fewShot: 0, template: custom, benchmarkProblems: [] });
    expect(p.template.ref).toBe('mine@2');
    expect(p.messages('x')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Q: x' },
    ]);
    const bad = join(dir, 'bad.md');
    writeFileSync(bad, '---\nid: bad\nversion: 1\n---\n[user]\n{{question}}\n');
    expect(() => buildEvalPrompt({ fewShot: 0, template: bad, benchmarkProblems: [] })).toThrow(
      /unknown placeholder \{\{question\}\}/,
    );
    expect(() => buildEvalPrompt({ fewShot: 0, template: 'eval-fewshot', benchmarkProblems: [] })).toThrow(
      /--few-shot N/,
    );
    expect(() => buildEvalPrompt({ fewShot: 0, template: 'nope', benchmarkProblems: [] })).toThrow(
      /unknown template "nope"/,
    );
  });
});

describe('sizes', () => {
  it('parses the ways sizes are written', () => {
    expect(parseSize('8000')).toBe(8000);
    expect(parseSize('8k')).toBe(8000);
    expect(parseSize('1.5M')).toBe(1_500_000);
    expect(parseSize('9B')).toBe(9e9);
    expect(parseSize('2e4')).toBe(20000);
    expect(parseSize('0')).toBeNull();
    expect(parseSize('-3')).toBeNull();
    expect(parseSize('big')).toBeNull();
  });

  it('splits FILE=x arguments', () => {
    expect(parseScalingArg('a.json=4k')).toEqual({ file: 'a.json', x: 4000 });
    expect(parseScalingArg('a.json')).toEqual({ file: 'a.json', x: null });
    expect(() => parseScalingArg('a.json=lots')).toThrow(/positive size/);
  });
});
