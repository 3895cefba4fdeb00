/**
 * Malformed content is a fault class of its own: a reply that arrives whole but breaks the
 * requested format (a label that is not the schema's JSON, an attempt that states no answer) is
 * counted apart from transport faults and never graded as an answer. A body cut mid-JSON is a
 * transport fault and is retried.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AttemptRecord } from '../../src/domain/records.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { runCli, type SpawnedServer, startSimServerProcess, tempDir } from '../helpers/cli.js';

let clean: SpawnedServer;
let faulty: SpawnedServer;
beforeAll(async () => {
  clean = await startSimServerProcess([]);
  faulty = await startSimServerProcess([
    '--fault-malformed',
    '0.3',
    '--fault-truncate',
    '0.1',
    '--seed',
    '5',
  ]);
});
afterAll(async () => {
  await clean.stop();
  await faulty.stop();
});

interface SeedRow {
  uid: string;
  subject: string;
  skill: string;
  label_malformed: number;
  label_reasks: number;
  solve_rate: number | null;
  attempts: AttemptRecord[];
}

function run(url: string): { dir: string; seeds: Map<string, SeedRow> } {
  const dir = join(tempDir(), 'run');
  const r = runCli([
    'run',
    dir,
    '--base-url',
    url,
    '-q',
    // Settled, so that a garbled probe cannot change what the two runs ask for.
    '--set',
    'model.supports_n=true',
    '--set',
    'model.json_schema=true',
    '--set',
    'seeds.sample=40',
    '--set',
    'budget.generations=1',
    '--set',
    'generation.batch_size=8',
  ]);
  expect(r.status, r.stderr).toBe(0);
  const store = SqliteRunStore.openReadOnly(dir);
  const rows = [...store.iterateProblems("origin = 'seed'")].map(
    (p): SeedRow => ({
      uid: p.uid,
      subject: p.subject!,
      skill: p.skill!,
      label_malformed: p.labelMalformed ? 1 : 0,
      label_reasks: p.labelReasks,
      solve_rate: p.solveRate,
      attempts: p.attempts,
    }),
  );
  store.close();
  return { dir, seeds: new Map(rows.map((row) => [row.uid, row])) };
}

it('garbled replies are counted as malformed, left out of solve-rates and never graded; cut bodies are retried', () => {
  const base = run(clean.url);
  const hit = run(faulty.url);
  const status = JSON.parse(runCli(['status', hit.dir, '--json']).stdout);
  expect(status.malformed.attemptsNoAnswer).toBeGreaterThan(0);
  expect(status.malformed.labelReasks).toBeGreaterThan(0);
  // Transport: cut bodies were retried, and no request failed for good.
  expect(status.faults.malformed_response).toBeGreaterThan(0);
  expect(status.failures).toBe(0);
  expect(hit.seeds.size).toBe(base.seeds.size);

  let compared = 0;
  for (const [uid, row] of hit.seeds) {
    const ref = base.seeds.get(uid)!;
    row.attempts.forEach((a, i) => {
      if (a.answer === null) expect(a.counted, `${uid} attempt ${i}`).toBe(false);
      // What counted graded as the clean server's reply did: malformed content removes attempts,
      // it never changes a grade (a garbled reply that still states its answer keeps it).
      else
        expect(a.correct, `${uid} attempt ${i}: ${a.answer} vs ${ref.attempts[i]!.answer}`).toBe(
          ref.attempts[i]!.correct,
        );
    });
    const counted = row.attempts.filter((a) => a.counted);
    const correct = counted.filter((a) => a.correct).length;
    expect(row.solve_rate).toBe(counted.length === 0 ? null : correct / counted.length);
    // A label that came back well-formed (first time or asked again) is the clean run's label;
    // one still malformed was asked again once (labeling.malformed_retries) and is flagged.
    if (row.label_malformed === 0) {
      expect([row.subject, row.skill]).toEqual([ref.subject, ref.skill]);
      compared++;
    } else expect(row.label_reasks).toBe(1);
  }
  expect(compared).toBeGreaterThan(hit.seeds.size / 2);

  const report = runCli(['status', hit.dir]);
  expect(report.stdout).toMatch(/malformed: +\d+ solve attempts stated no final answer/);
}, 120_000);
