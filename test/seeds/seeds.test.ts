import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSeeds } from '../../src/seeds/load.js';
import { tempDir } from '../helpers/cli.js';

const good = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id,
    problem: `What is ${id}?`,
    solution: `It is $\\boxed{${id.length}}$.`,
    subject: 'Algebra',
    level: 'Level 2',
    ...extra,
  });

function file(lines: string[]): string {
  const path = join(tempDir(), 'seeds.jsonl');
  writeFileSync(path, lines.join('\n'));
  return path;
}

describe('seed loading', () => {
  it('loads valid lines, takes the answer from the last boxed when absent', () => {
    const { seeds } = loadSeeds(file([good('a'), good('bb', { answer: '7' }), '']));
    expect(seeds.map((s) => [s.id, s.answer, s.subject])).toEqual([
      ['a', '1', 'Algebra'],
      ['bb', '7', 'Algebra'],
    ]);
  });

  it('accepts subject spellings found in the wild', () => {
    const { seeds } = loadSeeds(
      file([good('a', { subject: 'number_theory' }), good('b', { subject: 'Counting and Probability' })]),
    );
    expect(seeds.map((s) => s.subject)).toEqual(['Number Theory', 'Counting & Probability']);
  });

  it('bad JSON: file and line', () => {
    const path = file([good('a'), '{"id": "b", "problem": ']);
    expect(() => loadSeeds(path)).toThrow(new RegExp(`${path}:2: not valid JSON`));
  });

  it('missing problem', () => {
    expect(() => loadSeeds(file([JSON.stringify({ id: 'x', solution: '\\boxed{1}' })]))).toThrow(
      /:1: missing "problem"/,
    );
  });

  it('missing solution', () => {
    expect(() => loadSeeds(file([JSON.stringify({ id: 'x', problem: 'p' })]))).toThrow(
      /:1: missing "solution"/,
    );
  });

  it('a solution without a final answer', () => {
    expect(() => loadSeeds(file([JSON.stringify({ id: 'x', problem: 'p', solution: 'it is two' })]))).toThrow(
      /:1: the solution has no final answer/,
    );
  });

  it('duplicate ids name both lines', () => {
    expect(() => loadSeeds(file([good('a'), good('b'), good('a')]))).toThrow(
      /:3: duplicate id "a" \(first seen on line 1\)/,
    );
  });

  it('an empty file', () => {
    expect(() => loadSeeds(file(['', '  ']))).toThrow(/is empty/);
  });

  it('a missing file', () => {
    expect(() => loadSeeds('/no/such/seeds.jsonl')).toThrow(
      /cannot read seed file \/no\/such\/seeds\.jsonl: no such file/,
    );
  });

  it('a non-object line and a wrongly typed field', () => {
    expect(() => loadSeeds(file(['[1,2]']))).toThrow(/:1: expected a JSON object/);
    expect(() => loadSeeds(file([good('a', { level: { n: 1 } })]))).toThrow(
      /:1: "level": expected a string, found an object/,
    );
    expect(() => loadSeeds(file([good('a', { problem: 123 })]))).toThrow(
      /:1: "problem": expected a string, found a number \(123\)/,
    );
  });

  it('a byte-order mark is dropped; bytes that are not UTF-8 are refused with their line', () => {
    const dir = tempDir();
    const bom = join(dir, 'bom.jsonl');
    writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${good('a')}\n`)]));
    expect(loadSeeds(bom).seeds.map((s) => s.id)).toEqual(['a']);
    const latin1 = join(dir, 'latin1.jsonl');
    writeFileSync(
      latin1,
      Buffer.concat([
        Buffer.from(`${good('a')}\n`),
        Buffer.from('{"id":"b","problem":"caf'),
        Buffer.from([0xe9]),
        Buffer.from('"}\n'),
      ]),
    );
    expect(() => loadSeeds(latin1)).toThrow(/latin1\.jsonl:2: not UTF-8 text/);
  });

  it('a problem over generation.max_problem_chars is listed with its line (the run decides after sampling)', () => {
    const lines = [good('a'), good('b', { problem: 'x'.repeat(5000) })];
    const loaded = loadSeeds(file(lines), { maxProblemChars: 3000 });
    expect(loaded.seeds).toHaveLength(2);
    expect(loaded.tooLong.get('b')).toEqual({
      line: 2,
      reason:
        '"problem" is 5,000 characters, over generation.max_problem_chars (3000); raise it or leave the problem out',
    });
  });

  it('reports all bad lines at once', () => {
    expect(() => loadSeeds(file(['x', good('a'), 'y', '{}']))).toThrow(/3 bad lines/);
  });

  it('skip_invalid skips bad lines and reports how many', () => {
    const result = loadSeeds(file(['x', good('a'), good('a'), good('b')]), { skipInvalid: true });
    expect(result.seeds.map((s) => s.id)).toEqual(['a', 'b']);
    expect(result.skipped.map((s) => s.line)).toEqual([1, 3]);
  });

  it('all lines invalid is an error even when skipping', () => {
    expect(() => loadSeeds(file(['x', 'y']), { skipInvalid: true })).toThrow(/no valid problems/);
  });

  it('the bundled MATH train split loads whole, without skipping (its two empty-answer problems are left out of the file)', () => {
    const result = loadSeeds('bundled:math_train');
    expect(result.seeds).toHaveLength(7498);
    expect(result.skipped).toHaveLength(0);
    expect(new Set(result.seeds.map((s) => s.subject)).size).toBe(7);
  });

  it('an unknown bundled set', () => {
    expect(() => loadSeeds('bundled:gsm9k')).toThrow(
      /unknown bundled seed set "gsm9k"; available: bundled:math_train/,
    );
  });
});
