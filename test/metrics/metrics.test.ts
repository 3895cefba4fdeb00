/**
 * `sparq run --metrics-port`: GET /metrics in the Prometheus text format while a run runs, read by
 * a small parser of that format (names, types, labels with escapes, histogram invariants).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SimBackend } from '../../src/backends/sim-backend.js';
import type { ChatRequest } from '../../src/backends/types.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import type { ProgressReporter } from '../../src/engine/progress.js';
import { Exposition } from '../../src/metrics/exposition.js';
import { tempDir } from '../helpers/cli.js';

interface Family {
  type: string;
  help: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/** Parses the text exposition format strictly: anything it does not know fails the test. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  let current: Family | null = null;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (help) {
      current = { type: '', help: help[2]!, samples: [] };
      families.set(help[1]!, current);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      expect(families.get(type[1]!)).toBe(current);
      current!.type = type[2]!;
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    let rest = m[2] ?? '';
    while (rest.length > 0) {
      const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
      if (!l) throw new Error(`bad labels: ${m[2]}`);
      labels[l[1]!] = l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      rest = rest.slice(l[0].length);
    }
    const value = m[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[3]);
    expect(Number.isNaN(value) && m[3] !== 'NaN').toBe(false);
    const family = [...families.entries()].find(
      ([name, f]) =>
        m[1] === name ||
        (f.type === 'histogram' && /_(bucket|sum|count)$/.test(m[1]!) && m[1]!.startsWith(name)),
    );
    if (!family) throw new Error(`sample without # HELP/# TYPE: ${line}`);
    family[1].samples.push({ name: m[1]!, labels, value });
  }
  for (const [name, f] of families) {
    if (f.type === 'counter') expect(name.endsWith('_total'), name).toBe(true);
    if (f.type === 'histogram') {
      const buckets = f.samples.filter((s) => s.name === `${name}_bucket`);
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(f.samples.find((s) => s.name === `${name}_count`)!.value).toBe(buckets.at(-1)!.value);
    }
  }
  return families;
}

describe('the Prometheus exposition', () => {
  it('escapes label values and keeps histograms cumulative', () => {
    const e = new Exposition();
    e.counter('x_total', 'a "counter"', [{ labels: { reason: 'a"b\\c\nd' }, value: 3 }]);
    e.histogram('h', 'rates', [0.5, 1], [2, 3], 2.5);
    const f = parseExposition(e.toString());
    expect(f.get('x_total')!.samples[0]!.labels.reason).toBe('a"b\\c\nd');
    expect(f.get('h')!.samples.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ['h_bucket', '0.5', 2],
      ['h_bucket', '1', 5],
      ['h_bucket', '+Inf', 5],
      ['h_sum', undefined, 2.5],
      ['h_count', undefined, 5],
    ]);
    expect(() => e.counter('not_a_counter', 'x', [])).toThrow(/_total/);
  });
});

/** The sim, answering after a few milliseconds, so that a run lasts long enough to be scraped. */
class SlowSim extends SimBackend {
  override async send(request: ChatRequest) {
    await new Promise((r) => setTimeout(r, 5));
    return super.send(request);
  }
}

describe('sparq run --metrics-port', () => {
  it('serves the run’s requests, tokens, in-flight requests, problems, archive and solve-rates while it runs', async () => {
    const lines: string[] = [];
    const progress: ProgressReporter = {
      update() {},
      line: (t) => lines.push(t),
      warn: (t) => lines.push(t),
      close() {},
    };
    const config = ConfigSchema.parse({
      model: { kind: 'sim' },
      seeds: { sample: 40 },
      generation: { batch_size: 40 },
      solver: { k: 4 },
      budget: { generations: 50 },
      scheduler: { commit_seconds: 0.1 },
      metrics: { port: 0 },
      pricing: { prompt_per_million: 1, completion_per_million: 2 },
      log_level: 'warn',
    });
    const controller = new AbortController();
    const run = executeRun(tempDir('sparq-metrics-'), config, {
      backend: new SlowSim(),
      progress,
      signal: controller.signal,
    });
    let families: Map<string, Family> | null = null;
    for (let i = 0; i < 400 && families === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const url = lines.map((l) => /^metrics: (\S+)$/.exec(l)?.[1]).find(Boolean);
      if (!url) continue;
      const res = await fetch(url);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const parsed = parseExposition(await res.text());
      const solve = parsed.get('sparq_requests_total')?.samples.find((s) => s.labels.purpose === 'solve');
      if ((parsed.get('sparq_generation')?.samples[0]?.value ?? -1) >= 1 && solve) families = parsed;
    }
    controller.abort();
    await run.catch(() => {});
    expect(families, 'no scrape saw a committed generation').not.toBeNull();
    const f = families!;
    const types = Object.fromEntries([...f].map(([name, fam]) => [name, fam.type]));
    expect(types).toMatchObject({
      sparq_requests_total: 'counter',
      sparq_tokens_total: 'counter',
      sparq_requests_in_flight: 'gauge',
      sparq_problems_total: 'counter',
      sparq_problems_by_status: 'gauge',
      sparq_archive_coverage: 'gauge',
      sparq_archive_qd_score: 'gauge',
      sparq_solve_rate: 'histogram',
      sparq_cost_total: 'counter',
    });
    const purposes = new Set(f.get('sparq_requests_total')!.samples.map((s) => s.labels.purpose));
    for (const p of ['mutate', 'label', 'solve']) expect(purposes).toContain(p);
    const tokens = f.get('sparq_tokens_total')!.samples;
    expect(tokens.find((s) => s.labels.kind === 'prompt')!.value).toBeGreaterThan(0);
    expect(
      f.get('sparq_problems_total')!.samples.find((s) => s.labels.origin === 'seed')!.value,
    ).toBeGreaterThan(0);
    expect(f.get('sparq_archive_coverage')!.samples[0]!.value).toBeGreaterThan(0);
    expect(
      f.get('sparq_solve_rate')!.samples.find((s) => s.name === 'sparq_solve_rate_count')!.value,
    ).toBeGreaterThan(0);
    expect(f.get('sparq_cost_total')!.samples[0]!.labels.currency).toBe('USD');
    // The sample dashboard asks only for metrics a run serves.
    const dashboard = readFileSync(new URL('../../docs/grafana-sparq.json', import.meta.url), 'utf8');
    const used = new Set(
      [...dashboard.matchAll(/sparq_[a-z_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, '')),
    );
    for (const name of used) expect(f.has(name), name).toBe(true);
  });
});
