/**
 * `sparq eval`, `compare` and `scaling` end to end, through the built CLI, against the simulated
 * model, whose accuracy on its own problem families is known by construction.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalFile, ScalingFile } from '../../src/eval/types.js';
import { CLI, runCli, type SpawnedServer, startSimServerProcess, tempDir } from '../helpers/cli.js';
import { greedy, writeFixture } from './fixtures.js';
import { type SimBenchmark, writeSimBenchmark } from './sim-benchmark.js';

const SIM = ['--set', 'model.kind=sim'];
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as EvalFile;

let dir: string;
let benchFile: string;
let bench: SimBenchmark;

beforeAll(() => {
  dir = tempDir('sparq-eval-');
  benchFile = join(dir, 'sim.jsonl');
  bench = writeSimBenchmark(benchFile, 400, 1);
});

describe('sparq eval against the simulated model', () => {
  it('measures greedy accuracy whose interval contains the true accuracy', () => {
    const out = join(dir, 'greedy.json');
    const r = runCli([
      'eval',
      '--benchmark',
      benchFile,
      ...SIM,
      '--out',
      out,
      '--data-size',
      '8k',
      '--label',
      'base',
    ]);
    expect(r.stderr).toContain('400/400 items');
    expect(r.status).toBe(0);
    const e = read(out);
    const m = e.metrics['pass@1']!;
    expect(m.ci[0]).toBeLessThanOrEqual(bench.trueAccuracy);
    expect(m.ci[1]).toBeGreaterThanOrEqual(bench.trueAccuracy);
    expect(m.ci[1] - m.ci[0]).toBeLessThan(0.12);
    expect(Object.keys(e.metrics)).toEqual(['pass@1', 'no_answer_rate']);
    expect(e.metrics.no_answer_rate!.value).toBe(0);
    expect(e).toMatchObject({
      kind: 'sparq-eval',
      schemaVersion: 1,
      model: { name: 'sim-1', kind: 'sim' },
      benchmark: { name: 'sim', bundled: false, items: 400, totalItems: 400, limit: null },
      prompt: { templateRef: 'eval-cot@1', fewShot: null },
      sampling: { samples: 1, temperature: 0, topP: 1, maxTokens: 2048, seed: 0 },
      meta: { dataSize: 8000, modelSize: null, label: 'base' },
      bootstrap: { resamples: 2000, seed: 0, confidence: 0.95, method: 'percentile' },
      truncatedSamples: 0,
    });
    expect(e.benchmark.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Per-item verdicts, graded by the answer checker.
    expect(e.items).toHaveLength(400);
    const first = e.items[0]!;
    expect(first.id).toBe('sim/0');
    expect(first.answers).toHaveLength(1);
    expect(first.requestKeys[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(e.items.filter((it) => it.correct[0]).length / 400).toBeCloseTo(m.value, 12);
    // Breakdowns cover all items and sum to the total.
    for (const rows of [e.breakdowns.subject, e.breakdowns.level]) {
      expect(rows.reduce((s, row) => s + row.items, 0)).toBe(400);
      expect(rows.reduce((s, row) => s + row.correctSum, 0) / 400).toBeCloseTo(m.value, 12);
    }
    expect(e.breakdowns.subject.length).toBe(7);
    // Harder levels are solved less often (the simulator's latent difficulty).
    const byLevel = e.breakdowns.level.map((row) => row.metrics['pass@1']!.value);
    expect(byLevel[0]!).toBeGreaterThan(byLevel[byLevel.length - 1]!);
    // Markdown printed and written next to the JSON.
    expect(r.stdout).toContain('| `pass@1` |');
    expect(readFileSync(join(dir, 'greedy.md'), 'utf8')).toContain('### By subject');
    expect(existsSync(join(dir, 'greedy.cache', 'sparq.db'))).toBe(true);
  });

  it('estimates pass@1, pass@k and maj@k from samples, each interval containing the truth', () => {
    const out = join(dir, 'k4.json');
    const r = runCli([
      'eval',
      '--benchmark',
      benchFile,
      ...SIM,
      '--out',
      out,
      '--samples',
      '4',
      '--temperature',
      '0.7',
      '-q',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const e = read(out);
    expect(Object.keys(e.metrics)).toEqual(['pass@1', 'maj@4', 'pass@2', 'pass@4', 'no_answer_rate']);
    const inside = (name: string, truth: number) => {
      const m = e.metrics[name]!;
      expect(m.ci[0], name).toBeLessThanOrEqual(truth);
      expect(m.ci[1], name).toBeGreaterThanOrEqual(truth);
    };
    inside('pass@1', bench.trueAccuracy);
    inside('pass@2', bench.truePassAtK(2));
    inside('pass@4', bench.truePassAtK(4));
    expect(e.metrics['pass@4']!.value).toBeGreaterThan(e.metrics['maj@4']!.value);
    expect(e.metrics['maj@4']!.value).toBeGreaterThan(e.metrics['pass@1']!.value);
    expect(e.items[0]!.correct).toHaveLength(4);
    expect(e.items[0]!.requestKeys).toHaveLength(1); // the sim backend takes n = 4 in one request
  });

  it('runs bundled benchmarks with few-shot prompts and a limit', () => {
    const out = join(dir, 'gsm8k.json');
    const r = runCli([
      'eval',
      '--benchmark',
      'gsm8k',
      '--limit',
      '25',
      '--few-shot',
      '2',
      ...SIM,
      '--out',
      out,
      '-q',
    ]);
    expect(r.status).toBe(0);
    const e = read(out);
    expect(e.benchmark).toMatchObject({
      name: 'gsm8k',
      bundled: true,
      items: 25,
      totalItems: 1319,
      limit: 25,
    });
    expect(e.benchmark.file).toBe('data/benchmarks/gsm8k_test.jsonl');
    expect(e.prompt.templateRef).toBe('eval-fewshot@1');
    expect(e.prompt.fewShot).toMatchObject({ n: 2, source: 'bundled:math_train', mode: 'inline' });
    expect(e.prompt.fewShot!.ids).toHaveLength(2);
    expect(e.breakdowns).toEqual({ subject: [], level: [] });
    expect(e.metrics['pass@1']!.value).toBeGreaterThan(0);
  });

  it('counts answers cut off by max tokens as "no answer"', () => {
    const out = join(dir, 'short.json');
    const r = runCli([
      'eval',
      '--benchmark',
      benchFile,
      '--limit',
      '20',
      ...SIM,
      '--max-tokens',
      '3',
      '--out',
      out,
      '-q',
    ]);
    expect(r.status).toBe(0);
    const e = read(out);
    expect(e.metrics.no_answer_rate!.value).toBe(1);
    expect(e.metrics['pass@1']!.value).toBe(0);
    expect(e.truncatedSamples).toBe(20);
    expect(e.items[0]!.rules).toEqual(['no-answer']);
    expect(e.items[0]!.finishReasons).toEqual(['length']);
  });

  it('an item over the context is refused and counted wrong; the eval goes on', async () => {
    const server = await startSimServerProcess(['--behave', 'vllm', '--context', '2048']);
    try {
      const file = join(dir, 'with-long.jsonl');
      const lines = readFileSync(benchFile, 'utf8').split('\n').slice(0, 5);
      const long = {
        ...JSON.parse(lines[0]!),
        id: 'too-long',
        problem: `${'Consider the sum. '.repeat(1500)}What is 1+1?`,
      };
      writeFileSync(file, `${[...lines, JSON.stringify(long)].join('\n')}\n`);
      const out = join(dir, 'with-long.json');
      const r = runCli([
        'eval',
        '--benchmark',
        file,
        '--base-url',
        server.url,
        '--max-tokens',
        '256',
        '--out',
        out,
      ]);
      expect(r.status, r.stderr).toBe(0);
      const e = read(out);
      expect(e.items).toHaveLength(6);
      expect(e.refusedItems).toBe(1);
      const refused = e.items.find((it) => it.id === 'too-long')!;
      expect(refused).toMatchObject({
        correct: [false],
        answers: [null],
        refused: { reason: 'context_exceeded' },
      });
      expect(e.items.filter((it) => it.refused === undefined)).toHaveLength(5);
      expect(r.stdout).toMatch(
        /1 item was refused by the server and counted wrong: too-long \(context_exceeded\)/,
      );
    } finally {
      await server.stop();
    }
  });

  it('rejects bad input with exit code 2 and a message saying what to do', () => {
    const unknown = runCli(['eval', '--benchmark', 'math-500', ...SIM]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown benchmark "math-500"/);
    for (const name of ['math500', 'math', 'gsm8k', 'svamp', 'olympiadbench'])
      expect(unknown.stderr).toContain(name);

    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    const e1 = runCli(['eval', '--benchmark', empty, ...SIM]);
    expect(e1.status).toBe(2);
    expect(e1.stderr).toContain(`benchmark file ${empty} is empty`);

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, '{"id": 1, "problem": "1+1?", "answer": "2"}\n{"id": 2, "problem": "x"}\n');
    const e2 = runCli(['eval', '--benchmark', bad, ...SIM]);
    expect(e2.status).toBe(2);
    expect(e2.stderr).toContain(`${bad}:2: no reference answer`);

    const greedySamples = runCli([
      'eval',
      '--benchmark',
      benchFile,
      '--samples',
      '4',
      '--temperature',
      '0',
      ...SIM,
    ]);
    expect(greedySamples.status).toBe(2);
    expect(greedySamples.stderr).toMatch(/greedy samples are all the same answer/);

    const badFlag = runCli(['eval', '--benchmark', benchFile, '--samples', '0', ...SIM]);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toMatch(/--samples expects an integer/);
  });
});

describe('resume after the eval process is killed', () => {
  let server: SpawnedServer;
  beforeAll(async () => {
    // A server without n > 1 (like llama.cpp): every sample is its own cached request.
    server = await startSimServerProcess(['--latency-ms', '20', '--no-n']);
  });
  afterAll(async () => {
    await server.stop();
  });

  const args = (out: string) => [
    'eval',
    '--benchmark',
    benchFile,
    '--limit',
    '120',
    '--samples',
    '2',
    '--base-url',
    server.url,
    '--set',
    'model.supports_n=false',
    '--concurrency',
    '4',
    '--out',
    out,
    '-q',
  ];

  function cachedRequests(cacheDir: string): number {
    const file = join(cacheDir, 'sparq.db');
    if (!existsSync(file)) return 0;
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      try {
        return (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
      } finally {
        db.close();
      }
    } catch {
      return 0; // the schema is not created yet
    }
  }

  it('gives the same verdicts as an uninterrupted run without asking completed requests again', async () => {
    const full = join(dir, 'full.json');
    expect(runCli(args(full)).status).toBe(0);

    const out = join(dir, 'resumed.json');
    const cacheDir = join(dir, 'resumed.cache');
    const child = spawn(process.execPath, [CLI, ...args(out)], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('exit', (_code, signal) => resolve(signal)),
    );
    const deadline = Date.now() + 30_000;
    while (cachedRequests(cacheDir) < 40 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const before = cachedRequests(cacheDir);
    expect(before).toBeGreaterThanOrEqual(40);
    expect(before).toBeLessThan(240);
    expect(existsSync(out)).toBe(false);

    const again = runCli(args(out));
    expect(again.status).toBe(0);
    const a = read(full);
    const b = read(out);
    expect(b.items).toEqual(a.items);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.breakdowns).toEqual(a.breakdowns);
    expect(b.items[0]!.requestKeys).toHaveLength(2);
    // Completed requests came from the cache; only the rest were sent.
    expect(b.usage.cacheHits).toBeGreaterThanOrEqual(before);
    expect(b.usage.cacheHits + b.usage.requestsSent).toBe(240);
    expect(a.usage).toMatchObject({ cacheHits: 0, requestsSent: 240 });
  });
});

describe('sparq compare', () => {
  it('states whether B beats A, with a paired bootstrap and McNemar', () => {
    const a = join(dir, 'cmp-a.json');
    const b = join(dir, 'cmp-b.json');
    writeFixture(a, { verdicts: greedy(200, 100), label: 'base' });
    writeFixture(b, {
      verdicts: Array.from({ length: 200 }, (_, i) => [i < 95 || (i >= 100 && i < 140)]),
      label: 'tuned',
    });
    const json = join(dir, 'cmp.json');
    const r = runCli(['compare', a, b, '--json', json]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**B is better** (p < 0.05)');
    expect(r.stdout).toMatch(/only A 5, only B 40/);
    const c = JSON.parse(readFileSync(json, 'utf8'));
    expect(c.kind).toBe('sparq-compare');
    expect(c.benchmarks[0].verdict).toBe('b-better');
    expect(c.benchmarks[0].metrics[0].diff.value).toBeCloseTo(0.175, 12);
  });

  it('compares two real evals of the simulated model', () => {
    const r = runCli(['compare', join(dir, 'greedy.json'), join(dir, 'k4.json')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('400 common items');
    expect(r.stdout).toContain('different sampling samples: 1 vs 4');
  });

  it('warns when an eval is compared with itself, or with an identical copy', () => {
    const greedy = join(dir, 'greedy.json');
    const self = runCli(['compare', greedy, greedy]);
    expect(self.status).toBe(0);
    expect(self.stderr).toMatch(/warning: A and B are the same file .*every difference is 0/);
    const copy = join(dir, 'greedy-copy.json');
    copyFileSync(greedy, copy);
    expect(runCli(['compare', greedy, copy]).stderr).toMatch(/warning: A and B are identical files/);
    expect(runCli(['compare', greedy, join(dir, 'k4.json')]).stderr).not.toMatch(/warning/);
  });

  it('rejects mismatched pairs and malformed files with exit code 2', () => {
    const other = runCli(['compare', join(dir, 'greedy.json'), join(dir, 'gsm8k.json')]);
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/different benchmarks: sim .* and gsm8k/);
    const malformed = join(dir, 'malformed.json');
    writeFileSync(malformed, '{"kind": "sparq-eval", "schemaVersion": 1, "items": "none"}');
    const m = runCli(['compare', join(dir, 'greedy.json'), malformed]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain(`${malformed}: not a valid sparq eval file`);
    const missing = runCli(['compare', join(dir, 'greedy.json'), join(dir, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no such file');
    const notJson = join(dir, 'text.json');
    writeFileSync(notJson, 'hello');
    expect(runCli(['compare', notJson, notJson]).stderr).toMatch(/invalid JSON/);
  });
});

describe('sparq scaling', () => {
  it('fits a synthetic power law over data size and plots it', () => {
    // error = 2 x^-0.3 + 0.1 at 1k..256k, with 400 items per eval (binomial noise).
    const files = [1000, 4000, 16000, 64000, 256000].map((x, i) => {
      const file = join(dir, `scale-${i}.json`);
      const correct = Math.round(400 * (1 - (2 * x ** -0.3 + 0.1)));
      writeFixture(file, { verdicts: greedy(400, correct), dataSize: x });
      return file;
    });
    const svg = join(dir, 'plot.svg');
    const json = join(dir, 'scaling.json');
    const r = runCli(['scaling', ...files, '--x', 'data_size', '--out', svg, '--json', json]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('## Scaling of `pass@1` with `data_size`');
    const s = JSON.parse(readFileSync(json, 'utf8')) as ScalingFile;
    expect(s.points).toHaveLength(5);
    const offset = s.fits.find((f) => f.model === 'power_law_offset')!;
    expect(offset.params.b).toBeGreaterThan(0.2);
    expect(offset.params.b).toBeLessThan(0.4);
    expect(offset.params.c).toBeGreaterThan(0.05);
    expect(offset.params.c).toBeLessThan(0.15);
    expect(offset.r2).toBeGreaterThan(0.99);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>\n$/);
  });

  it('takes x from FILE=x arguments and says when it is missing', () => {
    const plain = [0, 1, 2].map((i) => {
      const file = join(dir, `plain-${i}.json`);
      writeFixture(file, { verdicts: greedy(50, 20 + 5 * i) });
      return file;
    });
    const missing = runCli(['scaling', ...plain, '--x', 'model_size']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/no model_size for .*plain-0\.json.*--model-size N.*FILE=N/);
    const ok = runCli(['scaling', `${plain[0]}=1B`, `${plain[1]}=3B`, `${plain[2]}=9B`, '--x', 'model_size']);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('| bench | 1000000000 |');
    expect(ok.stdout).toContain('not fitted');
    const badAxis = runCli(['scaling', ...plain, '--x', 'tokens']);
    expect(badAxis.status).toBe(2);
  });
});
