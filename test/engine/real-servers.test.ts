/**
 * `sparq run`, `sparq eval` and `sparq doctor` with default settings against the sim-server's
 * emulations of real servers (`--behave llamacpp|vllm|ollama|openai`): what each server does
 * with n>1, JSON schemas, context limits and model names is detected, an over-long problem is
 * rejected on its own, an outage is waited out, and a systematic failure stops the run with the
 * setting to change.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSimServerOptions, type RunningSimServer, startSimServer } from '../../src/sim/server.js';
import { runCli, type SpawnedServer, spawnCli, startSimServerProcess, tempDir } from '../helpers/cli.js';

const SMALL = [
  '--set',
  'seeds.sample=12',
  '--set',
  'budget.generations=2',
  '--set',
  'generation.batch_size=12',
  '--set',
  'solver.k=4',
];

/** What `sparq doctor` must find for each emulation, and the settings a run then uses. */
const EXPECTED = {
  llamacpp: {
    n: 'rejected',
    schema: 'ignored',
    context: 4096,
    slots: 4,
    supportsN: false,
    jsonSchema: false,
    concurrency: 8,
  },
  vllm: {
    n: 'honoured',
    schema: 'enforced',
    context: 4096,
    slots: null,
    supportsN: true,
    jsonSchema: true,
    concurrency: 64,
  },
  ollama: {
    n: 'dropped',
    schema: 'enforced',
    context: null,
    slots: null,
    supportsN: false,
    jsonSchema: true,
    concurrency: 64,
  },
  openai: {
    n: 'honoured',
    schema: 'enforced',
    context: null,
    slots: null,
    supportsN: true,
    jsonSchema: true,
    concurrency: 64,
  },
} as const;

type Behaviour = keyof typeof EXPECTED;
const servers = new Map<Behaviour, SpawnedServer>();

beforeAll(async () => {
  for (const b of Object.keys(EXPECTED) as Behaviour[])
    servers.set(b, await startSimServerProcess(['--behave', b]));
});
afterAll(async () => {
  await Promise.all([...servers.values()].map((s) => s.stop()));
});

function decided(dir: string): Record<string, { value: unknown; source: string }> {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT detected_json FROM config_snapshots ORDER BY id DESC LIMIT 1').get() as {
      detected_json: string;
    };
    return (JSON.parse(row.detected_json) as { settings: Record<string, { value: unknown; source: string }> })
      .settings;
  } finally {
    db.close();
  }
}

function rejections(dir: string): { uid: string; reason: string; detail: string }[] {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  try {
    return db.prepare('SELECT uid, reason, detail FROM rejections ORDER BY seq').all() as {
      uid: string;
      reason: string;
      detail: string;
    }[];
  } finally {
    db.close();
  }
}

describe.each(Object.keys(EXPECTED) as Behaviour[])(
  'against --behave %s with default settings',
  (behaviour) => {
    const expected = EXPECTED[behaviour];

    it('sparq doctor reports what the server does', () => {
      const r = runCli(['doctor', '--base-url', servers.get(behaviour)!.url, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as {
        capabilities: { n: string; schema: string; contextTokens: number | null; slots: number | null };
      };
      expect(report.capabilities).toMatchObject({
        n: expected.n,
        schema: expected.schema,
        contextTokens: expected.context,
        slots: expected.slots,
      });
    });

    it('sparq run completes and records the settings it detected', () => {
      const dir = join(tempDir(), 'run');
      const r = runCli(['run', dir, '--base-url', servers.get(behaviour)!.url, '-q', ...SMALL]);
      expect(r.status, r.stderr).toBe(0);
      const d = decided(dir);
      expect(d.supports_n).toEqual({ value: expected.supportsN, source: 'detected' });
      expect(d.json_schema).toEqual({ value: expected.jsonSchema, source: 'detected' });
      expect(d.max_concurrency!.value).toBe(expected.concurrency);
      expect(d.context_tokens!.value).toBe(expected.context);
      const status = runCli(['status', dir]);
      expect(status.stdout).toMatch(/problems: {4}3\d \(/);
      expect(status.stdout).toContain(`supports_n ${expected.supportsN} (detected)`);
      expect(
        rejections(dir).filter((x) => x.reason === 'context_exceeded' || x.reason === 'server_rejected'),
      ).toEqual([]);
    });
  },
);

describe('start-up and resume', () => {
  it('doctor waits for a server still loading its model, then reads its context and slots', async () => {
    const loading = await startSimServerProcess(['--behave', 'llamacpp', '--loading-s', '2']);
    try {
      const r = runCli(['doctor', '--base-url', loading.url, '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/waiting up to 600 s \(model\.outage_tolerance_s\).*Loading model/);
      const report = JSON.parse(r.stdout) as { capabilities: { contextTokens: number; slots: number } };
      expect(report.capabilities).toMatchObject({ contextTokens: 4096, slots: 4 });
    } finally {
      await loading.stop();
    }
  });

  it('a resumed run keeps the settings it started with, and says the endpoint now differs', () => {
    const dir = join(tempDir(), 'run');
    const first = runCli(['run', dir, '--base-url', servers.get('llamacpp')!.url, '-q', ...SMALL]);
    expect(first.status, first.stderr).toBe(0);
    const resumed = runCli([
      'run',
      dir,
      '--base-url',
      servers.get('vllm')!.url,
      ...SMALL,
      '--set',
      'budget.generations=3',
    ]);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(
      /warning: the endpoint differs from when this run started \(supports_n would now be true; the run keeps false/,
    );
    const d = decided(dir);
    expect(d.supports_n!.value).toBe(false);
    expect(d.json_schema!.value).toBe(false);
    expect(d.max_concurrency!.value).toBe(64);
  });
});

describe('failures that belong to one problem', () => {
  let small: SpawnedServer;
  beforeAll(async () => {
    small = await startSimServerProcess(['--behave', 'llamacpp', '--context', '1500']);
  });
  afterAll(() => small.stop());

  /** Twelve ordinary seeds and one far over a 1,500-token context. */
  function seedsWithOneLong(): string {
    const file = join(tempDir(), 'seeds.jsonl');
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        id: `s${i}`,
        problem: `What is $${i + 3} \\times ${i + 7}$?`,
        solution: `$\\boxed{${(i + 3) * (i + 7)}}$`,
        answer: String((i + 3) * (i + 7)),
      }),
    );
    const long = `Compute the sum of the following numbers: ${Array.from({ length: 2000 }, (_, i) => i + 1).join(' + ')}.`;
    lines.splice(
      5,
      0,
      JSON.stringify({ id: 'long', problem: long, solution: '$\\boxed{2001000}$', answer: '2001000' }),
    );
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it.each([
    ['the context the server reports (refused before sending)', [], /not sent/],
    [
      'no context known (refused by the server with its 400)',
      ['--set', 'model.context_tokens=null'],
      /HTTP 400.*exceeds the available context size/,
    ],
  ])(
    'an over-long problem among normal ones is rejected alone and the run completes: %s',
    (_name, extra, detail) => {
      const dir = join(tempDir(), 'run');
      const seeds = seedsWithOneLong();
      const args = [
        'run',
        dir,
        '--base-url',
        small.url,
        '-q',
        '--set',
        `seeds.path=${seeds}`,
        '--set',
        'budget.generations=1',
        '--set',
        'generation.batch_size=8',
        '--set',
        'solver.k=2',
        // Long enough to reach the server: the seed screen alone would refuse it.
        '--set',
        'generation.max_problem_chars=100000',
        ...extra,
      ];
      const r = runCli(args);
      expect(r.status, r.stderr).toBe(0);
      const refused = rejections(dir).filter((x) => x.reason === 'context_exceeded');
      expect(refused.map((x) => x.uid)).toEqual(['seed:long']);
      expect(refused[0]!.detail).toMatch(detail);
      const status = runCli(['status', dir]);
      expect(status.stdout).toMatch(/problems: {4}\d+ \(.*seed 12/);
      expect(status.stdout).toMatch(/rejected: .*context_exceeded 1/);
      // Resumed, the rejected problem stays rejected: nothing is asked again.
      const again = runCli(args);
      expect(again.status, again.stderr).toBe(0);
      expect(rejections(dir).filter((x) => x.reason === 'context_exceeded')).toHaveLength(1);
    },
  );
});

describe('systematic failures stop the run with the setting to change', () => {
  let tiny: SpawnedServer;
  beforeAll(async () => {
    tiny = await startSimServerProcess(['--behave', 'llamacpp', '--context', '300']);
  });
  afterAll(() => tiny.stop());

  it('every label prompt over the context: exit 1, naming max_tokens and model.context_tokens', () => {
    const r = runCli([
      'run',
      join(tempDir(), 'run'),
      '--base-url',
      tiny.url,
      '-q',
      ...SMALL,
      '--set',
      'model.context_tokens=null',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/requests all failed this way.*solver\.max_tokens.*model\.context_tokens/);
    expect(r.stderr).toMatch(/resume with `sparq run/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('n>1 forced on llama.cpp: its 500 stops the run at once, naming model.supports_n', () => {
    const r = runCli([
      'run',
      join(tempDir(), 'run'),
      '--base-url',
      servers.get('llamacpp')!.url,
      '-q',
      ...SMALL,
      '--set',
      'model.supports_n=true',
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/Only one completion choice is allowed.*model\.supports_n to false/);
  });

  it('a wrong model name is refused before the run starts, listing the served ones', () => {
    const r = runCli([
      'run',
      join(tempDir(), 'run'),
      '--base-url',
      servers.get('vllm')!.url,
      '--model',
      'qwen-7b',
      '-q',
      ...SMALL,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /did not answer a test request: HTTP 404.*qwen-7b[\s\S]*The server serves: "sim-1"/,
    );
  });

  it('llama.cpp answers to any model name: the run goes on with a warning', () => {
    const r = runCli([
      'run',
      join(tempDir(), 'run'),
      '--base-url',
      servers.get('llamacpp')!.url,
      '--model',
      'qwen-7b',
      ...SMALL,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: the server lists "sim-1", not "qwen-7b".*llama\.cpp answers to any name/,
    );
  });
});

describe('an outage in the middle of a run', () => {
  let server: RunningSimServer;
  beforeAll(async () => {
    server = await startSimServer(defaultSimServerOptions({ latency: { kind: 'fixed', ms: 15 } }));
  });
  afterAll(() => server.close());

  it('a 30 s outage (connections refused) is waited out and the run completes', async () => {
    const dir = join(tempDir(), 'run');
    const run = spawnCli([
      'run',
      dir,
      '--base-url',
      server.url,
      '-q',
      '--set',
      'seeds.sample=20',
      '--set',
      'budget.generations=4',
      '--set',
      'generation.batch_size=16',
      '--set',
      'solver.k=4',
      '--set',
      'model.max_retries=2',
    ]);
    while (server.stats().completed < 40) await new Promise((r) => setTimeout(r, 20));
    const before = server.stats().completed;
    await server.outage(30_000);
    const code = await run.exited;
    expect(code, run.stderr()).toBe(0);
    expect(server.stats().completed).toBeGreaterThan(before);
    const status = runCli(['status', dir, '--json']);
    const s = JSON.parse(status.stdout) as { problems: { total: number }; faults: Record<string, number> };
    expect(s.problems.total).toBeGreaterThan(60);
    expect(s.faults.network).toBeGreaterThan(0);
  }, 120_000);
});
