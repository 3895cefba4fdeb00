/**
 * Bad inputs through the CLI, one per class: each ends with a message that says what and where,
 * with its documented exit code, no stack trace, and the files it was given unchanged.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type SpawnedServer, spawnCli, startSimServerProcess, tempDir } from '../helpers/cli.js';

const NO_STACK = /\n\s+at [^\n]+:\d+:\d+/;
const SMALL = [
  '--set',
  'seeds.sample=8',
  '--set',
  'budget.generations=1',
  '--set',
  'generation.batch_size=8',
  '--set',
  'solver.k=2',
  '-q',
];

let server: SpawnedServer;
let finished: string;
beforeAll(async () => {
  server = await startSimServerProcess(['--latency-ms', '5']);
  finished = join(tempDir(), 'run');
  const r = runCli(['run', finished, '--base-url', server.url, ...SMALL]);
  if (r.status !== 0) throw new Error(r.stderr);
});
afterAll(() => server.stop());

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A run directory whose sparq.db is replaced by `bytes`. */
function runWithDatabase(bytes: Buffer): string {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'sparq.db'), bytes);
  return dir;
}

function expectClean(r: { status: number | null; stderr: string }, code: number, message: RegExp): void {
  expect(r.status, r.stderr).toBe(code);
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(NO_STACK);
}

describe('damaged and foreign run databases', () => {
  it('a zero-byte sparq.db: readers say so and never write into it; run refuses unless --force-new', () => {
    const dir = runWithDatabase(Buffer.alloc(0));
    for (const args of [
      ['status', dir],
      ['report', dir],
      ['stats', dir],
      ['select', dir, '--strategy', 'quantity', '--n', '5', '--out', join(tempDir(), 'set')],
    ])
      expectClean(runCli(args), 2, /is empty \(0 bytes\)/);
    expect(statSync(join(dir, 'sparq.db')).size).toBe(0);
    expectClean(
      runCli(['run', dir, '--base-url', server.url, ...SMALL]),
      2,
      /is empty \(0 bytes\).*--force-new/,
    );
    expect(statSync(join(dir, 'sparq.db')).size).toBe(0);
    const fresh = runCli(['run', dir, '--base-url', server.url, ...SMALL, '--force-new']);
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stderr).toMatch(/kept aside as .*sparq\.db\.broken-/);
    expect(readdirSync(dir).some((f) => f.startsWith('sparq.db.broken-'))).toBe(true);
  });

  it('a file that is not SQLite: every reader says so, the file is untouched', () => {
    const dir = runWithDatabase(Buffer.from('this is a text file, not a database\n'.repeat(100)));
    const before = sha(join(dir, 'sparq.db'));
    for (const args of [
      ['status', dir],
      ['report', dir],
      ['stats', dir],
      ['decontaminate', dir],
    ])
      expectClean(runCli(args), 2, /is not a SQLite database/);
    expectClean(runCli(['run', dir, '--base-url', server.url, ...SMALL]), 2, /is not a SQLite database/);
    expect(sha(join(dir, 'sparq.db'))).toBe(before);
  });

  it('a truncated database: a message, and status --check says what SQLite can still read', () => {
    const dir = join(tempDir(), 'run');
    mkdirSync(dir);
    copyFileSync(join(finished, 'sparq.db'), join(dir, 'sparq.db'));
    truncateSync(join(dir, 'sparq.db'), Math.floor(statSync(join(dir, 'sparq.db')).size / 2));
    const before = sha(join(dir, 'sparq.db'));
    const status = runCli(['status', dir]);
    expect(status.status).not.toBe(0);
    expect(status.stderr).not.toMatch(NO_STACK);
    expect(status.stderr).toMatch(/sparq: .*(damaged|not a sparq run|run database)/);
    const check = runCli(['status', dir, '--check']);
    expect(check.status).toBe(1);
    expect(check.stdout).toMatch(/DAMAGED/);
    expect(sha(join(dir, 'sparq.db'))).toBe(before);
    const intact = runCli(['status', finished, '--check']);
    expect(intact.status, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/intact[\s\S]*problems: \d+ rows/);
  });

  it('a SQLite file sparq did not write, whatever its user_version: a message, never an internal error', () => {
    const dir = join(tempDir(), 'run');
    mkdirSync(dir);
    const db = new Database(join(dir, 'sparq.db'));
    db.exec('CREATE TABLE notes (x)');
    db.pragma('user_version = 2');
    db.close();
    for (const args of [
      ['status', dir],
      ['stats', dir],
    ])
      expectClean(runCli(args), 2, /is a SQLite database sparq did not write \(no meta, problems/);
  });

  it('--force-new sets aside only a database that cannot be read, never one from a newer sparq', () => {
    const dir = join(tempDir(), 'run');
    mkdirSync(dir);
    copyFileSync(join(finished, 'sparq.db'), join(dir, 'sparq.db'));
    const db = new Database(join(dir, 'sparq.db'));
    db.pragma('user_version = 99');
    db.close();
    expectClean(
      runCli(['run', dir, '--base-url', server.url, ...SMALL, '--force-new']),
      2,
      /schema 99.*upgrade sparq/,
    );
    expect(readdirSync(dir).some((f) => f.startsWith('sparq.db.broken-'))).toBe(false);
  });

  it('-c pointing at a directory, and a run directory that is a file', () => {
    expectClean(runCli(['config', '-c', tempDir()]), 2, /cannot read config file .*: it is a directory/);
    const file = join(tempDir(), 'not-a-dir');
    writeFileSync(file, 'x');
    expectClean(runCli(['status', file]), 2, /is not a sparq run directory \(it is a file\)/);
  });
});

describe('seeds', () => {
  it('a seed over generation.max_problem_chars is refused with its line before anything is sent', () => {
    const seeds = join(tempDir(), 'seeds.jsonl');
    writeFileSync(
      seeds,
      `${JSON.stringify({ id: 'a', problem: 'What is $2+3$?', solution: '$\\boxed{5}$' })}\n${JSON.stringify({ id: 'b', problem: `Sum ${'1 + '.repeat(5000)}1.`, solution: '$\\boxed{5001}$' })}\n`,
    );
    const dir = join(tempDir(), 'run');
    const r = runCli(['run', dir, '--base-url', server.url, '--set', `seeds.path=${seeds}`, '-q']);
    expectClean(
      r,
      2,
      /seeds\.jsonl:2: "problem" is [\d,]+ characters, over generation\.max_problem_chars \(3000\)/,
    );
    const skipped = runCli([
      'run',
      dir,
      '--base-url',
      server.url,
      '--set',
      `seeds.path=${seeds}`,
      '--skip-invalid',
      ...SMALL,
    ]);
    expect(skipped.status, skipped.stderr).toBe(0);
  });
});

describe('inputs that were silently taken or half explained (bench/bad-inputs.bench.ts)', () => {
  it('a YAML alias bomb is a configuration error naming the file', () => {
    const file = join(tempDir(), 'bomb.yaml');
    // "Billion laughs": nine levels of nine aliases each.
    const levels = ['a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 9; i++) {
      const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    writeFileSync(file, `${levels.join('\n')}\n`);
    const r = runCli(['config', '-c', file]);
    expectClean(r, 2, /bomb\.yaml: cannot be read as YAML/);
  });

  it('a prompts_dir that is not a folder is refused, not replaced by the bundled prompts', () => {
    const dir = join(tempDir(), 'run');
    const missing = join(tempDir(), 'my-prompts');
    const r = runCli(['run', dir, '--base-url', server.url, '--set', `prompts_dir=${missing}`, ...SMALL]);
    expectClean(
      r,
      2,
      new RegExp(`prompts_dir ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a folder`),
    );
  });

  it('a seed subject outside the taxonomy is named in a warning, even with -q', () => {
    const seeds = join(tempDir(), 'seeds.jsonl');
    writeFileSync(
      seeds,
      `${JSON.stringify({ id: 'a', problem: 'What is $2+3$?', solution: '$\\boxed{5}$', subject: 'Algebr' })}\n`,
    );
    const r = runCli([
      'run',
      join(tempDir(), 'run'),
      '--base-url',
      server.url,
      '--set',
      `seeds.path=${seeds}`,
      ...SMALL,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: 1 seed\(s\) name a subject that is not one of Algebra, .*seeds\.jsonl:1: "Algebr"/,
    );
  });

  it('report --eval with a file that is not an eval, and outputs under a regular file, exit 2', () => {
    const notEval = join(tempDir(), 'notes.json');
    writeFileSync(notEval, '{"hello": 1}');
    expectClean(
      runCli(['report', finished, '--eval', notEval, '-o', join(tempDir(), 'r.html')]),
      2,
      /notes\.json: not a sparq eval file \(no "metrics"/,
    );
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    expectClean(
      runCli(['run', join(file, 'run'), '--base-url', server.url, ...SMALL]),
      2,
      /a-file is a file, where a folder is needed|a part of .*a-file.* is a file/,
    );
  });
});

describe('signals and exit codes', () => {
  it('SIGTERM ends a run with 143 and it resumes', async () => {
    const slow = await startSimServerProcess(['--latency-ms', '200']);
    try {
      const dir = join(tempDir(), 'run');
      const run = spawnCli(['run', dir, '--base-url', slow.url, '-q', '--set', 'seeds.sample=40']);
      while (!existsSync(join(dir, 'sparq.db'))) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(143);
      expect(run.stderr()).toMatch(
        /interrupted; everything told so far is committed: resume with `sparq run/,
      );
      expect(run.stderr()).not.toMatch(NO_STACK);
    } finally {
      await slow.stop();
    }
  });

  it('--help documents the exit codes; a user error never shows a stack trace', () => {
    expect(runCli(['--help']).stdout).toMatch(
      /Exit codes:[\s\S]*3 +the run directory is locked[\s\S]*143 by SIGTERM/,
    );
    const plain = runCli(['status', join(tempDir(), 'missing')]);
    expectClean(plain, 2, /not a sparq run directory/);
  });
});
