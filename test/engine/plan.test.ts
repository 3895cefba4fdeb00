import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { estimatePlan, type PilotMeasurement } from '../../src/engine/plan.js';
import { runCli, spawnCli, startSimServerProcess, tempDir } from '../helpers/cli.js';

const PILOT: PilotMeasurement = {
  seeds: { tasks: 10, requests: 20, promptTokens: 7_000, completionTokens: 3_000, seconds: 2 },
  mutations: { tasks: 100, requests: 300, promptTokens: 90_000, completionTokens: 50_000, seconds: 10 },
  generatedProblems: 90,
};
const BUDGET = { seeds: 200, batchSize: 64, generations: 30, problems: null, requests: null, tokens: null };
const PRICING = { prompt_per_million: 1, completion_per_million: 2, batch_discount: 0.5, currency: 'USD' };

describe('estimatePlan', () => {
  it('scales seeds and mutation tasks to the generation budget', () => {
    const e = estimatePlan(PILOT, BUDGET, PRICING, false);
    expect(e.boundBy).toBe('budget.generations');
    expect(e.mutationTasks).toBe(1920);
    // 200 seeds x 2 requests + 1,920 tasks x 3 requests.
    expect(e.requests).toBe(400 + 5760);
    expect(e.promptTokens).toBe(140_000 + 1_728_000);
    expect(e.completionTokens).toBe(60_000 + 960_000);
    expect(e.generatedProblems).toBe(1728);
    expect(e.cost!.amount).toBeCloseTo(1.868 + 2.04, 6);
    // At the mutation phase's 30 requests/s.
    expect(e.seconds).toBeCloseTo(6160 / 30, 6);
  });

  it('the tightest budget ends the run', () => {
    const byRequests = estimatePlan(PILOT, { ...BUDGET, requests: 3400 }, null, false);
    expect(byRequests.boundBy).toBe('budget.requests');
    expect(byRequests.mutationTasks).toBe(1000);
    expect(byRequests.requests).toBe(3400);
    const byProblems = estimatePlan(PILOT, { ...BUDGET, problems: 450 }, null, false);
    expect(byProblems).toMatchObject({
      boundBy: 'budget.problems',
      mutationTasks: 500,
      generatedProblems: 450,
    });
    const byTokens = estimatePlan(PILOT, { ...BUDGET, tokens: 200_000 + 14_000 }, null, false);
    expect(byTokens).toMatchObject({ boundBy: 'budget.tokens', mutationTasks: 10 });
  });

  it('without a bound it gives the rate per 1,000 mutation tasks', () => {
    const e = estimatePlan(PILOT, { ...BUDGET, generations: null }, PRICING, false);
    expect(e).toMatchObject({
      mutationTasks: null,
      boundBy: null,
      requests: null,
      cost: null,
      seconds: null,
    });
    expect(e.perThousandTasks).toMatchObject({
      requests: 3000,
      promptTokens: 900_000,
      completionTokens: 500_000,
    });
    expect(e.perThousandTasks.cost!.amount).toBeCloseTo(1.9, 6);
  });

  it('a budget the pilot gave nothing to scale by is named, not taken for no budget', () => {
    const barren = { ...PILOT, generatedProblems: 0 };
    const e = estimatePlan(barren, { ...BUDGET, generations: null, problems: 100 }, null, false);
    expect(e).toMatchObject({ mutationTasks: null, boundBy: null, unmeasured: ['budget.problems'] });
    // Another budget still bounds it.
    const both = estimatePlan(barren, { ...BUDGET, problems: 100 }, null, false);
    expect(both).toMatchObject({ boundBy: 'budget.generations', unmeasured: ['budget.problems'] });
  });

  it('batch mode prices every token at the batch discount', () => {
    const online = estimatePlan(PILOT, BUDGET, PRICING, false).cost!;
    const batch = estimatePlan(PILOT, BUDGET, PRICING, true).cost!;
    expect(batch.amount).toBeCloseTo(online.amount / 2, 9);
    expect(batch.batchAmount).toBeCloseTo(batch.amount, 9);
  });
});

describe('sparq plan', () => {
  const settings = [
    '--set',
    'model.kind=sim',
    '--set',
    'seeds.sample=60',
    '--set',
    'generation.batch_size=32',
    '--set',
    'budget.generations=6',
  ];

  it('estimates the run from a pilot within a few percent of what the run then uses, and keeps nothing', () => {
    // Its own temporary directory, so that a plan run by another test cannot be mistaken for a leftover.
    const scratch = tempDir();
    const plan = runCli(['plan', ...settings, '--pilot-seeds', '10', '--pilot-generations', '1', '--json'], {
      env: { TMPDIR: scratch },
    });
    expect(plan.status, plan.stderr).toBe(0);
    const out = JSON.parse(plan.stdout) as {
      seeds: number;
      pilot: PilotMeasurement;
      estimate: { mutationTasks: number; requests: number; promptTokens: number };
    };
    expect(out.seeds).toBe(60);
    expect(out.pilot.seeds.tasks).toBe(10);
    expect(out.pilot.mutations.tasks).toBe(32);
    expect(out.estimate.mutationTasks).toBe(6 * 32);
    expect(readdirSync(scratch)).toEqual([]);

    const dir = tempDir();
    expect(runCli(['run', dir, ...settings, '--quiet']).status).toBe(0);
    const status = JSON.parse(runCli(['status', dir, '--json']).stdout) as {
      spend: { requestsSent: number; promptTokens: number };
    };
    expect(Math.abs(out.estimate.requests / status.spend.requestsSent - 1)).toBeLessThan(0.1);
    expect(Math.abs(out.estimate.promptTokens / status.spend.promptTokens - 1)).toBeLessThan(0.15);
  });

  it('prints the estimate with money when pricing is set', () => {
    const r = runCli([
      'plan',
      ...settings,
      '--set',
      'pricing.prompt_per_million=0.15',
      '--set',
      'pricing.completion_per_million=0.6',
      '--pilot-seeds',
      '5',
      '--pilot-generations',
      '1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /estimate for the configured run: 60 seed tasks, then 192 mutation tasks \(budget\.generations ends it first\)/,
    );
    expect(r.stdout).toMatch(/tokens +[\d,]+ prompt \/ [\d,]+ completion, [\d.]+ USD/);
    expect(r.stdout).toMatch(/time +about \d+ s/);
  });

  it('an endpoint that does not answer fails the pilot with exit code 1 and no advice about its scratch directory', () => {
    const r = runCli(['plan', '--base-url', 'http://127.0.0.1:9/v1', '--set', 'model.outage_tolerance_s=1']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /plan: the pilot run failed: the model endpoint http:\/\/127\.0\.0\.1:9\/v1 did not answer/,
    );
    expect(r.stderr).not.toMatch(/sparq-plan-/);
  });

  it('Ctrl-C during the pilot exits 130 and leaves no scratch directory', async () => {
    const slow = await startSimServerProcess(['--latency-ms', '300']);
    const scratch = tempDir();
    try {
      const plan = spawnCli(['plan', '--base-url', slow.url, '--set', 'seeds.sample=40'], {
        TMPDIR: scratch,
      });
      const pilotDb = () => readdirSync(scratch).some((d) => existsSync(join(scratch, d, 'sparq.db')));
      while (!pilotDb()) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      plan.child.kill('SIGINT');
      expect(await plan.exited).toBe(130);
      expect(plan.stderr()).toMatch(/plan interrupted: nothing was kept/);
      expect(plan.stderr()).not.toMatch(/\n\s+at /);
      expect(readdirSync(scratch)).toEqual([]);
    } finally {
      await slow.stop();
    }
  }, 60_000);

  it('a configuration or seed file that is wrong exits 2 before any pilot', () => {
    const bad = runCli(['plan', '--set', 'model.kind=sim', '--set', 'solver.k=0']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/solver\.k/);
    const missing = runCli(['plan', '--set', 'model.kind=sim', '--set', 'seeds.path=/no/such/seeds.jsonl']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/\/no\/such\/seeds\.jsonl/);
  });

  it('refuses bad arguments with exit code 2', () => {
    const r = runCli(['plan', '--pilot-seeds', '0', '--set', 'model.kind=sim']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--pilot-seeds/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
