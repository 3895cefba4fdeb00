/**
 * Random bytes where sparq expects a configuration, a seed file or a run database: every
 * command ends, with a message and exit code 1 or 2, never a stack trace, within its time limit.
 * The bytes are drawn from a fixed seed, so a failure reproduces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/util/hash.js';
import { runCli, tempDir } from '../helpers/cli.js';

const CASES = 6;
const STACK = /\n\s+at [^\n]+:\d+:\d+/;

/** Bytes that are sometimes text-like (YAML/JSON punctuation), sometimes anything at all. */
function randomBytes(rng: Rng, textLike: boolean): Buffer {
  const n = rng.int(0, 600);
  const alphabet = '{}[]:,"\'-#\n \t\\abcxyz0123456789.eE+truefalsenull\u00e9\u4e2d';
  if (textLike)
    return Buffer.from(Array.from({ length: n }, () => alphabet[rng.int(0, alphabet.length - 1)]).join(''));
  return Buffer.from(Array.from({ length: n }, () => rng.int(0, 255)));
}

function expectHandled(r: { status: number | null; stderr: string; stdout: string }, what: string): void {
  expect([0, 1, 2], `${what}: exit ${r.status}\n${r.stderr}`).toContain(r.status);
  expect(r.stderr, what).not.toMatch(STACK);
  if (r.status !== 0) expect(r.stderr, what).toMatch(/^sparq: /m);
}

describe('random bytes as input', () => {
  it.each(Array.from({ length: CASES }, (_, i) => i))(
    'case %i: config, seeds and database',
    (i) => {
      const rng = Rng.from(20261201, i);
      const dir = tempDir();
      const config = join(dir, 'sparq.yaml');
      writeFileSync(config, randomBytes(rng, i % 2 === 0));
      expectHandled(runCli(['config', '-c', config], { timeoutMs: 30_000 }), `config case ${i}`);

      const seeds = join(dir, 'seeds.jsonl');
      writeFileSync(seeds, randomBytes(rng, i % 2 === 1));
      const run = runCli(
        [
          'run',
          join(dir, 'run'),
          '--set',
          'model.kind=sim',
          '--set',
          `seeds.path=${seeds}`,
          '--set',
          'budget.generations=1',
          '-q',
        ],
        { timeoutMs: 60_000 },
      );
      expectHandled(run, `seeds case ${i}`);

      const runDir = join(dir, 'damaged');
      mkdirSync(runDir);
      writeFileSync(join(runDir, 'sparq.db'), randomBytes(rng, false));
      for (const command of ['status', 'stats', 'report'])
        expectHandled(runCli([command, runDir], { timeoutMs: 30_000 }), `${command} case ${i}`);
    },
    120_000,
  );
});
