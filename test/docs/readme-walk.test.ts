/**
 * The README's "Using sparq" block, run as a user would run it: in order, in an empty directory,
 * against the simulated model it starts first. Only the port changes (a free one instead of 8000,
 * so that parallel tests cannot collide), and `npx sparq` runs the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const cli = join(root, 'dist/cli.js');

/** The shell block after the `<!-- readme-walk -->` marker. */
function walkBlock(): string {
  const marker = readme.indexOf('<!-- readme-walk -->');
  if (marker < 0) throw new Error('README.md has no <!-- readme-walk --> block');
  const m = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!m) throw new Error('no ```sh block after <!-- readme-walk -->');
  return m[1]!;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('README walk', () => {
  it('runs the "Using sparq" commands in the order written', async () => {
    const block = walkBlock();
    expect(block).toMatch(/^npx sparq sim-server --port 8000 &/m);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sparq-walk-'));
    dirs.push(dir);
    const script = block
      .replaceAll('npx sparq', `node ${JSON.stringify(cli)}`)
      .replaceAll('8000', String(port));
    // Each command must succeed; the simulated model stops with the script, whatever happens.
    writeFileSync(
      join(dir, 'walk.sh'),
      `set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n${script}`,
    );
    const result = spawnSync('bash', ['walk.sh'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 300_000,
      // sparq init writes the starter's endpoint (port 8000); the environment moves it to the free port.
      env: { ...process.env, SPARQ_MODEL__BASE_URLS: `[http://127.0.0.1:${port}/v1]`, NO_COLOR: '1' },
    });
    const output = `${result.stdout}\n${result.stderr}`;
    expect(result.status, output.slice(-4000)).toBe(0);

    expect(result.stdout).toMatch(/^generation: {2}30 /m);
    expect(result.stdout).toMatch(/coverage \d+\.\d% \(\d+\/92 taxonomy cells/);
    expect(existsSync(join(dir, 'runs/exp1/report.html'))).toBe(true);
    const train = readFileSync(join(dir, 'sets/quality-500/train.jsonl'), 'utf8').trim().split('\n');
    expect(train).toHaveLength(500);
    expect(existsSync(join(dir, 'exports/exp1/manifest.json'))).toBe(true);
    const evaluation = JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8')) as { model?: string };
    expect(JSON.stringify(evaluation)).toContain('sim-1');
    // Generated problems dominate the starter run's pool: the search is what it shows.
    const problems = /problems: +([\d,]+) \(.*seed (\d+)/.exec(result.stdout);
    expect(problems).not.toBeNull();
    const total = Number(problems![1]!.replaceAll(',', ''));
    expect(Number(problems![2]) / total).toBeLessThan(0.2);
  }, 320_000);
});
