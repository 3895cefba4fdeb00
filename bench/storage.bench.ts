/**
 * The run directory's size and what building it wrote, per problem: an in-process sim run
 * (k=4, batches of 5,000, BENCH_GENERATIONS epochs, default 4), once with the sim's short
 * responses and once with each solve attempt lengthened to about 2 KB by reasoning-like text
 * (what real models write; deterministic from the attempt). Bytes written are the process's
 * write_bytes from /proc/self/io; tables come from SQLite's dbstat.
 *
 *   npm run bench -- storage
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SimBackend } from '../src/backends/sim-backend.js';
import type { ChatRequest, ChatResponse } from '../src/backends/types.js';
import { ConfigSchema } from '../src/config/schema.js';
import { executeRun } from '../src/engine/execute.js';
import { Rng } from '../src/util/hash.js';
import { runDirectoryBytes, writtenBytes } from './helpers.js';

const PHRASES = [
  'First, note that',
  'We can rewrite the expression as',
  'Substituting this back gives',
  'Let us check the case where',
  'This simplifies to',
  'Since the terms cancel,',
  'Multiplying both sides by',
  'Therefore the value is',
  'Consider the remainder when',
  'By the formula for the sum,',
  'which means that',
  'so we need',
  'Now we compute',
  'Checking against the constraint,',
];

/** The sim, with about 1.6 KB of working written before each solve attempt's solution. */
class VerboseSim extends SimBackend {
  override async send(request: ChatRequest): Promise<ChatResponse> {
    const response = await super.send(request);
    const solving = request.messages.some((m) => m.content.startsWith('Solve the following math problem.'));
    if (!solving) return response;
    return {
      ...response,
      choices: response.choices.map((c, i) => {
        const rng = new Rng((request.seed ?? 0) * 31 + i);
        const words: string[] = [];
        for (let chars = 0; chars < 1600; ) {
          const part = `${rng.pick(PHRASES)} $${rng.int(2, 999)}${rng.pick(['x', 'n', ' + ', ' \\cdot '])}${rng.int(1, 99)}$.`;
          words.push(part);
          chars += part.length + 1;
        }
        return { ...c, text: `${words.join(' ')}\n${c.text}` };
      }),
    };
  }
}

async function measure(label: string, backend: SimBackend, generations: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'sparq-bench-storage-'));
  try {
    const dir = join(root, 'run');
    const config = ConfigSchema.parse({
      seeds: { sample: 300 },
      solver: { k: 4 },
      generation: { batch_size: 5000 },
      budget: { generations },
    });
    const before = writtenBytes();
    const started = performance.now();
    await executeRun(dir, config, { backend, quiet: true });
    const seconds = (performance.now() - started) / 1000;
    const written = writtenBytes() - before;
    const size = runDirectoryBytes(dir);
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    const problems = (db.prepare('SELECT COUNT(*) AS n FROM problems').get() as { n: number }).n;
    const tables = db
      .prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 5')
      .all() as { name: string; bytes: number }[];
    db.close();
    console.log(
      `${label}: ${problems.toLocaleString('en-US')} problems in ${seconds.toFixed(0)} s; run directory ${(size / problems).toFixed(0)} bytes per problem; written ${(written / problems).toFixed(0)} bytes per problem (${(written / size).toFixed(2)}× the final size)`,
    );
    for (const t of tables)
      console.log(`  ${t.name.padEnd(28)} ${(t.bytes / problems).toFixed(0).padStart(6)} bytes per problem`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const generations = Number(process.env.BENCH_GENERATIONS ?? 4);
  await measure('sim responses', new SimBackend(), generations);
  await measure(
    'responses of about 2 KB per attempt',
    new VerboseSim(),
    Math.max(1, Math.floor(generations / 2)),
  );
}
