/**
 * Bad inputs, the way a new user makes them: a catalogue of ~110 wrong configurations, flags,
 * environment variables, seed files, run directories, databases, endpoints and eval files, each
 * thrown at the built CLI (`node dist/cli.js`) as a separate process. It measures the acceptance
 * criterion "every command, on any input, ends with a message that says what is wrong, where, and
 * what to do, with a documented exit code; no stack traces".
 *
 * Verdicts (decided by `judge` below, from exit code, signal, stdout and stderr):
 * - `crash`: a stack trace in stdout or stderr (a line `    at fn (file:line:col)` or `node:internal`),
 *   an exit code outside the documented set (0, 1, 2, 3, 75, 130, 143), a signal, or no end within
 *   the case's time limit;
 * - `unclear`: no stack trace, but
 *   - a failing exit code with nothing on stderr, or a message under 20 characters;
 *   - the message does not contain every string of the case's `mentions` (the offending file, key,
 *     flag, environment variable or value: the "where");
 *   - the message is sparq's "internal error ... a bug in sparq" (it says nothing about the input);
 *   - `unexpected success`: exit 0 with no `warning`/`note` line on stderr about the input (one
 *     that names a string of `mentions`, when the case has any), for a case whose correct outcome
 *     is an error (a case marked `outcome: 'success'` may exit 0 silently, one marked
 *     `outcome: 'warning'` must exit 0 with a warning on stderr);
 * - `clear` otherwise.
 * Notes that do not change the verdict: the exit code differs from the case's `exit` (e.g. 1 where
 * the README's table says bad input is 2), or the output contains a string from `forbids` (a
 * secret the user pasted, which must never be echoed).
 *
 * Runs offline: endpoints are `sparq sim-server` processes on free local ports, a closed port, and
 * a local HTTP server that answers with a web page. Everything is written under one temp folder,
 * removed at the end; the repository is never touched. Two cases run at a time. BENCH_VERBOSE=1
 * also lists every case with its first message line; BENCH_ONLY=word,... runs only the cases whose
 * class or name contains one of the words.
 *
 *   npm run bench -- bad-inputs
 */
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { CLI } from './helpers.js';

type Outcome = 'error' | 'warning' | 'success';
type Verdict = 'clear' | 'unclear' | 'crash';

/** What a case's functions get: its own empty folder (also its working directory) and the fixtures. */
interface Ctx {
  /** The case's own folder, empty at setup; the CLI runs with it as working directory. */
  dir: string;
  /** Base URL of a plain sim-server. */
  url: string;
  /** Base URL of a sim-server that requires `Authorization: Bearer <KEYED_SECRET>`. */
  keyedUrl: string;
  /** Base URL of a local port nothing listens on. */
  closedUrl: string;
  /** Base URL of an HTTP server that answers every request with an HTML page. */
  htmlUrl: string;
  /** Port of the plain sim-server (for "port already in use"). */
  port: number;
  /** A finished small run; copy it with `copyRun` before using it. */
  finished: string;
  /** An eval file of math500 (5 items) and one of gsm8k (5 items). */
  evalMath: string;
  evalGsm: string;
}

interface Case {
  class: string;
  name: string;
  args: (c: Ctx) => string[];
  setup?: (c: Ctx) => void;
  env?: (c: Ctx) => Record<string, string>;
  /** Strings the output must contain: the offending file, key, flag or value. */
  mentions?: (c: Ctx) => string[];
  /** Strings the output must not contain (pasted secrets). */
  forbids?: string[];
  /** The correct outcome; default `error`. */
  outcome?: Outcome;
  /** The documented exit code for this input (a mismatch is noted, not judged). */
  exit?: number;
  /**
   * Send SIGINT (a user pressing Ctrl-C) `afterMs` after the file `once` exists: `run.lock` of a
   * run says sparq is past start-up and handles signals (before that, on a loaded machine, Node's
   * default would end the process by the signal, as it would any program still loading).
   */
  interrupt?: { once: (c: Ctx) => string; afterMs: number };
  timeoutMs?: number;
}

interface Result {
  c: Case;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  stack: boolean;
  firstLine: string;
  verdict: Verdict;
  reasons: string[];
  notes: string[];
  unexpectedSuccess: boolean;
}

const DOCUMENTED = new Set([0, 1, 2, 3, 75, 130, 143]);
const STACK = /^\s+at \S.*(?::\d+:\d+\)?|\(native\)|\(<anonymous>\))\s*$|node:internal/m;
/** Enough work to see an input through, small enough to end in a second or two. */
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
const KEYED_SECRET = 'bench-sim-secret-7f3a';

// ---------------------------------------------------------------------------------------------
// Helpers for case definitions.

const w = (c: Ctx, name: string, content: string | Buffer): string => {
  const file = join(c.dir, name);
  writeFileSync(file, content);
  return file;
};
const p = (c: Ctx, name: string): string => join(c.dir, name);
/**
 * A regular file, and a path under it: nothing can be created there (even as root). Cases using it
 * expect the message to name the file and say that it is one.
 */
const underFile = (c: Ctx, rest: string): string => {
  writeFileSync(join(c.dir, 'a-file'), 'x');
  return join(c.dir, 'a-file', rest);
};
const copyRun = (c: Ctx): string => {
  const dir = join(c.dir, 'run');
  cpSync(c.finished, dir, { recursive: true });
  return dir;
};
const runDirWithDb = (c: Ctx, bytes: Buffer): string => {
  const dir = join(c.dir, 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'sparq.db'), bytes);
  return dir;
};
const seed = (id: string, problem: unknown = 'What is $2+3$?', solution: unknown = '$2+3=\\boxed{5}$') =>
  JSON.stringify({ id, problem, solution });
const goodSeeds = (n = 3) => `${Array.from({ length: n }, (_, i) => seed(`s${i}`)).join('\n')}\n`;
/** `sparq run` on a fresh folder with the seed file `name` against the sim-server. */
const runSeeds = (c: Ctx, name: string, extra: string[] = []) => [
  'run',
  p(c, 'run'),
  '--base-url',
  c.url,
  '--seeds',
  p(c, name),
  ...SMALL,
  ...extra,
];
const runWith = (c: Ctx, extra: string[]) => ['run', p(c, 'run'), '--base-url', c.url, ...SMALL, ...extra];
const configFile = (name: string, text: string | Buffer): Pick<Case, 'setup' | 'args' | 'mentions'> => ({
  setup: (c) => void w(c, name, text),
  args: (c) => ['config', '-c', p(c, name)],
  mentions: (c) => [p(c, name)],
});

// ---------------------------------------------------------------------------------------------
// The catalogue.

const CONFIG = 'configuration files';
const SETENV = '--set and environment';
const FLAGS = 'command-line flags';
const SEEDS = 'seed files';
const RUNS = 'run directories and databases';
const ENDPOINTS = 'endpoints';
const EVALS = 'eval, compare and scaling files';
const OUTPUTS = 'outputs to unwritable places';

const CASES: Case[] = [
  // --- configuration files -------------------------------------------------------------------
  {
    class: CONFIG,
    name: '-c to a directory',
    setup: (c) => mkdirSync(p(c, 'conf.d')),
    args: (c) => ['config', '-c', p(c, 'conf.d')],
    mentions: (c) => [p(c, 'conf.d')],
    exit: 2,
  },
  {
    class: CONFIG,
    name: '-c to a missing file',
    args: (c) => ['config', '-c', p(c, 'nope.yaml')],
    mentions: (c) => [p(c, 'nope.yaml')],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'invalid YAML',
    ...configFile('bad.yaml', 'model:\n  base_urls: [unclosed\n'),
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'wrong type (solver.k: many)',
    ...configFile('type.yaml', 'solver:\n  k: many\n'),
    mentions: (c) => ['solver.k', `${p(c, 'type.yaml')}:2`],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'unknown nested key (solver.kk)',
    ...configFile('nested.yaml', 'solver:\n  kk: 4\n'),
    mentions: () => ['solver.kk'],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'out of range (solver.temperature: 5)',
    ...configFile('range.yaml', 'solver:\n  temperature: 5\n'),
    mentions: () => ['solver.temperature'],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'batch_size 50,000,000 with scheduler: generations',
    ...configFile('huge-gen.yaml', 'scheduler: generations\ngeneration:\n  batch_size: 50000000\n'),
    mentions: () => ['generation.batch_size'],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'batch_size 50,000,000 (steady scheduler: valid, the run ends by its budget)',
    setup: (c) => void w(c, 'huge.yaml', 'generation:\n  batch_size: 50000000\nbudget:\n  problems: 4\n'),
    args: (c) => [
      'run',
      p(c, 'run'),
      '--base-url',
      c.url,
      '-c',
      p(c, 'huge.yaml'),
      '-q',
      '--set',
      'seeds.sample=8',
      '--set',
      'solver.k=2',
    ],
    outcome: 'success',
    exit: 0,
  },
  {
    class: CONFIG,
    name: 'non-UTF-8 bytes (Latin-1)',
    ...configFile('latin1.yaml', Buffer.from('model:\n  model: caf\xe9\n', 'latin1')),
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'a byte-order mark (valid otherwise)',
    setup: (c) => void w(c, 'bom.yaml', `\ufeffsolver:\n  k: 4\n`),
    args: (c) => ['config', '-c', p(c, 'bom.yaml')],
    outcome: 'success',
    exit: 0,
  },
  {
    class: CONFIG,
    name: 'empty file (all defaults)',
    setup: (c) => void w(c, 'empty.yaml', ''),
    args: (c) => ['config', '-c', p(c, 'empty.yaml')],
    outcome: 'success',
    exit: 0,
  },
  {
    class: CONFIG,
    name: 'random bytes',
    ...configFile('random.yaml', Buffer.from(Array.from({ length: 400 }, (_, i) => (i * 7919 + 13) % 256))),
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'an Authorization header written in the file',
    ...configFile('auth.yaml', 'model:\n  headers:\n    Authorization: Bearer sk-pasted-secret-123\n'),
    mentions: () => ['model.headers'],
    forbids: ['sk-pasted-secret-123'],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'several problems at once',
    ...configFile('many.yaml', 'solver:\n  k: 0\nlog_level: loud\n'),
    mentions: () => ['solver.k', 'log_level'],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'a YAML alias bomb',
    ...configFile(
      'bomb.yaml',
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [${'*a,'.repeat(9)}*a]\nc: &c [${'*b,'.repeat(9)}*b]\nd: &d [${'*c,'.repeat(9)}*c]\ne: &e [${'*d,'.repeat(9)}*d]\nf: [${'*e,'.repeat(9)}*e]\n`,
    ),
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'taxonomy file that does not exist (run)',
    args: (c) => runWith(c, ['--set', `taxonomy=${p(c, 'skills.yaml')}`]),
    mentions: (c) => [p(c, 'skills.yaml')],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'prompts_dir that does not exist (run)',
    args: (c) => runWith(c, ['--set', `prompts_dir=${p(c, 'my-prompts')}`]),
    mentions: (c) => [p(c, 'my-prompts')],
    exit: 2,
  },
  {
    class: CONFIG,
    name: 'invalid config given to run',
    setup: (c) => void w(c, 'run.yaml', 'solver:\n  k: -2\n'),
    args: (c) => ['run', p(c, 'run'), '-c', p(c, 'run.yaml'), '--base-url', c.url, '-q'],
    mentions: (c) => ['solver.k', p(c, 'run.yaml')],
    exit: 2,
  },

  // --- --set and environment variables ------------------------------------------------------
  {
    class: SETENV,
    name: '--set without =',
    args: () => ['config', '--set', 'solver.k'],
    mentions: () => ['solver.k'],
    exit: 2,
  },
  {
    class: SETENV,
    name: '--set unknown key (solver.kk)',
    args: () => ['config', '--set', 'solver.kk=3'],
    mentions: () => ['solver.kk'],
    exit: 2,
  },
  {
    class: SETENV,
    name: '--set wrong type (solver.k=abc)',
    args: () => ['config', '--set', 'solver.k=abc'],
    mentions: () => ['solver.k'],
    exit: 2,
  },
  {
    class: SETENV,
    name: '--set a list key to one URL (model.base_urls=http://...)',
    args: () => ['config', '--set', 'model.base_urls=http://127.0.0.1:9/v1'],
    mentions: () => ['model.base_urls'],
    exit: 2,
  },
  {
    class: SETENV,
    name: 'SPARQ_SOLVER__K=zzqq (wrong type, value not echoed)',
    args: () => ['config'],
    env: () => ({ SPARQ_SOLVER__K: 'zzqq' }),
    mentions: () => ['SPARQ_SOLVER__K'],
    forbids: ['zzqq'],
    exit: 2,
  },
  {
    class: SETENV,
    name: 'SPARQ_SOLVER__KK (misspelt key)',
    args: () => ['config'],
    env: () => ({ SPARQ_SOLVER__KK: '4' }),
    mentions: () => ['SPARQ_SOLVER__KK'],
    exit: 2,
  },
  {
    class: SETENV,
    name: 'SPARQ_SOLVER_K (one underscore)',
    args: () => ['config'],
    env: () => ({ SPARQ_SOLVER_K: '4' }),
    mentions: () => ['SPARQ_SOLVER_K'],
    exit: 2,
  },
  {
    class: SETENV,
    name: 'SPARQ_MODEL__API_KEY_ENV holding the key itself',
    args: () => ['config'],
    env: () => ({ SPARQ_MODEL__API_KEY_ENV: 'sk-proj-Abc123pasted' }),
    mentions: () => ['SPARQ_MODEL__API_KEY_ENV'],
    forbids: ['sk-proj-Abc123pasted'],
    exit: 2,
  },

  // --- command-line flags, every command ----------------------------------------------------
  { class: FLAGS, name: 'run without a directory', args: () => ['run'], mentions: () => ['dir'], exit: 2 },
  {
    class: FLAGS,
    name: 'run --generations abc',
    args: (c) => ['run', p(c, 'run'), '--generations', 'abc', '--base-url', c.url, '-q'],
    mentions: () => ['--generations'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'run --scheduler fast',
    args: (c) => ['run', p(c, 'run'), '--scheduler', 'fast', '--base-url', c.url, '-q'],
    mentions: () => ['--scheduler'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'run --bogus (unknown option)',
    args: (c) => ['run', p(c, 'run'), '--bogus'],
    mentions: () => ['--bogus'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'run --base-url with no value',
    args: (c) => ['run', p(c, 'run'), '--base-url'],
    mentions: () => ['--base-url'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'status --jsn (typo)',
    args: (c) => ['status', copyRun(c), '--jsn'],
    mentions: () => ['--jsn'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'show with a uid the run does not have',
    args: (c) => ['show', copyRun(c), 'g99-t12345'],
    mentions: () => ['g99-t12345', 'uid'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'report --max-samples many',
    args: (c) => ['report', copyRun(c), '--max-samples', 'many'],
    mentions: () => ['--max-samples'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'select --strategy best',
    args: (c) => ['select', copyRun(c), '--strategy', 'best', '--n', '5', '--out', p(c, 'set')],
    mentions: () => ['best'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'select --n 0',
    args: (c) => ['select', copyRun(c), '--strategy', 'quantity', '--n', '0', '--out', p(c, 'set')],
    mentions: () => ['--n'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'select --bundled-eval-sets mathh',
    args: (c) => [
      'select',
      copyRun(c),
      '--strategy',
      'quantity',
      '--n',
      '5',
      '--out',
      p(c, 'set'),
      '--bundled-eval-sets',
      'mathh',
    ],
    mentions: () => ['mathh'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'select --template missing.md',
    args: (c) => [
      'select',
      copyRun(c),
      '--strategy',
      'quantity',
      '--n',
      '5',
      '--out',
      p(c, 'set'),
      '--template',
      p(c, 'missing.md'),
    ],
    mentions: (c) => [p(c, 'missing.md')],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'stats --bins 0',
    args: (c) => ['stats', copyRun(c), '--bins', '0'],
    mentions: () => ['--bins'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'decontaminate --ngram 1',
    args: (c) => ['decontaminate', copyRun(c), '--ngram', '1'],
    mentions: () => ['--ngram'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'eval without --benchmark',
    args: (c) => ['eval', '--base-url', c.url],
    mentions: () => ['--benchmark'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'eval --benchmark math501 (typo)',
    args: (c) => ['eval', '--benchmark', 'math501', '--base-url', c.url, '-q'],
    mentions: () => ['math501'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'eval --few-shot-file missing.jsonl',
    args: (c) => [
      'eval',
      '--benchmark',
      'math500',
      '--limit',
      '2',
      '--few-shot',
      '2',
      '--few-shot-file',
      p(c, 'missing.jsonl'),
      '--base-url',
      c.url,
      '-q',
    ],
    mentions: (c) => [p(c, 'missing.jsonl')],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'compare with one file',
    args: (c) => ['compare', c.evalMath],
    mentions: () => ['b'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'check with no arguments',
    args: () => ['check'],
    mentions: () => ['--gold'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'check --file with a line that is not JSON',
    setup: (c) => void w(c, 'pairs.jsonl', '{"gold": "5", "pred": "5"}\ngold=5 pred=6\n'),
    args: (c) => ['check', '--file', p(c, 'pairs.jsonl')],
    mentions: (c) => [`${p(c, 'pairs.jsonl')}:2`],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'doctor --concurrency -4',
    args: (c) => ['doctor', '--base-url', c.url, '--concurrency', '-4'],
    mentions: () => ['--concurrency'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'init over an existing file',
    setup: (c) => void w(c, 'sparq.yaml', 'solver:\n  k: 4\n'),
    args: (c) => ['init', p(c, 'sparq.yaml')],
    mentions: (c) => [p(c, 'sparq.yaml'), '--force'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'config --api-key-env with the key pasted',
    args: () => ['config', '--api-key-env', 'sk-proj-Zz9pasted-key'],
    mentions: () => ['--api-key-env'],
    forbids: ['sk-proj-Zz9pasted-key'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'demo --generations 0',
    args: (c) => ['demo', p(c, 'demo'), '--generations', '0'],
    mentions: () => ['--generations'],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'sim-server --port already in use',
    args: (c) => ['sim-server', '--port', String(c.port)],
    mentions: (c) => [String(c.port)],
    exit: 2,
  },
  {
    class: FLAGS,
    name: 'sim-server --behave vlm',
    args: () => ['sim-server', '--port', '0', '--behave', 'vlm'],
    mentions: () => ['vlm'],
    exit: 2,
  },

  // --- seed files ----------------------------------------------------------------------------
  {
    class: SEEDS,
    name: 'missing seed file',
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [p(c, 'seeds.jsonl')],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'seed path is a directory',
    setup: (c) => mkdirSync(p(c, 'seeds.jsonl')),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [p(c, 'seeds.jsonl')],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a byte-order mark (valid otherwise)',
    setup: (c) => void w(c, 'seeds.jsonl', `\ufeff${goodSeeds()}`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    outcome: 'success',
    exit: 0,
  },
  {
    class: SEEDS,
    name: 'non-UTF-8 bytes on line 2',
    setup: (c) =>
      void w(
        c,
        'seeds.jsonl',
        Buffer.concat([
          Buffer.from(`${seed('a')}\n`),
          Buffer.from(`${seed('b', 'caf\xe9 $1+1$?')}\n`, 'latin1'),
        ]),
      ),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:2`],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a line that is not JSON',
    setup: (c) => void w(c, 'seeds.jsonl', `${goodSeeds(2)}{"id": "x", "problem": "What is 1+1?",\n`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:3`],
    exit: 2,
  },
  {
    class: SEEDS,
    name: '"problem": 123',
    setup: (c) => void w(c, 'seeds.jsonl', `${goodSeeds(2)}${seed('n', 123)}\n`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:3`, 'problem'],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'missing "solution"',
    setup: (c) => void w(c, 'seeds.jsonl', `${JSON.stringify({ id: 'a', problem: 'What is $1+1$?' })}\n`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:1`, 'solution'],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a solution without a final answer',
    setup: (c) => void w(c, 'seeds.jsonl', `${seed('a', 'What is $1+1$?', 'It is two.')}\n`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:1`],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a 10 MB problem',
    setup: (c) =>
      void w(c, 'seeds.jsonl', `${goodSeeds(2)}${seed('big', `Sum ${'1 + '.repeat(2_500_000)}1.`)}\n`),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:3`, 'max_problem_chars'],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'empty seed file',
    setup: (c) => void w(c, 'seeds.jsonl', ''),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    mentions: (c) => [p(c, 'seeds.jsonl')],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a JSON array instead of JSON lines',
    setup: (c) =>
      void w(c, 'seeds.json', JSON.stringify([{ id: 'a', problem: 'x', solution: '$\\boxed{1}$' }], null, 2)),
    args: (c) => runSeeds(c, 'seeds.json'),
    mentions: (c) => [p(c, 'seeds.json')],
    exit: 2,
  },
  {
    class: SEEDS,
    name: 'a subject sparq does not know ("Algebr")',
    setup: (c) =>
      void w(
        c,
        'seeds.jsonl',
        `${goodSeeds(2)}${JSON.stringify({ id: 'x', problem: 'What is $3+4$?', solution: '$\\boxed{7}$', subject: 'Algebr' })}\n`,
      ),
    args: (c) => runSeeds(c, 'seeds.jsonl'),
    // Another taxonomy's subjects are legitimate: said in a warning, and the model labels the seed.
    mentions: (c) => [`${p(c, 'seeds.jsonl')}:3`, 'Algebr'],
    outcome: 'warning',
    exit: 0,
  },
  {
    class: SEEDS,
    name: 'bundled:math_tran (typo)',
    args: (c) => runWith(c, ['--seeds', 'bundled:math_tran']),
    mentions: () => ['math_tran'],
    exit: 2,
  },

  // --- run directories and databases --------------------------------------------------------
  {
    class: RUNS,
    name: 'status on a missing directory',
    args: (c) => ['status', p(c, 'nope')],
    mentions: (c) => [p(c, 'nope')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'status on a regular file',
    setup: (c) => void w(c, 'notes.txt', 'x'),
    args: (c) => ['status', p(c, 'notes.txt')],
    mentions: (c) => [p(c, 'notes.txt')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'report on a folder with no sparq.db',
    setup: (c) => mkdirSync(p(c, 'empty-run')),
    args: (c) => ['report', p(c, 'empty-run')],
    mentions: (c) => [p(c, 'empty-run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'run into a path under a regular file',
    args: (c) => ['run', underFile(c, 'run'), '--base-url', c.url, ...SMALL],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'zero-byte sparq.db (status)',
    args: (c) => ['status', runDirWithDb(c, Buffer.alloc(0))],
    mentions: (c) => [p(c, 'run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'truncated sparq.db (status)',
    args: (c) => {
      const dir = copyRun(c);
      const db = join(dir, 'sparq.db');
      truncateSync(db, Math.floor(statSync(db).size / 2));
      return ['status', dir];
    },
    mentions: (c) => [p(c, 'run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'a text file as sparq.db (stats)',
    args: (c) => ['stats', runDirWithDb(c, Buffer.from('my notes about the run\n'.repeat(200)))],
    mentions: (c) => [p(c, 'run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'sparq.db is a directory',
    setup: (c) => mkdirSync(join(c.dir, 'run', 'sparq.db'), { recursive: true }),
    args: (c) => ['status', p(c, 'run')],
    mentions: (c) => [p(c, 'run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'a SQLite file sparq did not write (status)',
    setup: (c) => {
      mkdirSync(p(c, 'run'));
      const db = new Database(join(c.dir, 'run', 'sparq.db'));
      db.exec('CREATE TABLE notes (x TEXT)');
      db.close();
    },
    args: (c) => ['status', p(c, 'run')],
    mentions: (c) => [p(c, 'run')],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'schema from a newer sparq, user_version 99 (status)',
    args: (c) => {
      const dir = copyRun(c);
      const db = new Database(join(dir, 'sparq.db'));
      db.pragma('user_version = 99');
      db.close();
      return ['status', dir];
    },
    mentions: () => ['99'],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'schema from a newer sparq, user_version 99 (run)',
    args: (c) => {
      const dir = copyRun(c);
      const db = new Database(join(dir, 'sparq.db'));
      db.pragma('user_version = 99');
      db.close();
      return ['run', dir, '--base-url', c.url, ...SMALL];
    },
    mentions: () => ['99'],
    exit: 2,
  },
  {
    class: RUNS,
    name: 'a run locked by a live process',
    args: (c) => {
      const dir = copyRun(c);
      const lock = {
        pid: process.pid,
        host: hostname(),
        started: new Date().toISOString(),
        command: 'sparq run',
      };
      writeFileSync(join(dir, 'run.lock'), JSON.stringify(lock));
      return ['run', dir, '--base-url', c.url, ...SMALL];
    },
    mentions: (c) => [p(c, 'run'), 'run.lock'],
    exit: 3,
  },
  {
    class: RUNS,
    name: 'resume with a setting that changes results (solver.k)',
    args: (c) => ['run', copyRun(c), '--base-url', c.url, ...SMALL, '--set', 'solver.k=4'],
    mentions: () => ['solver.k', '--allow-config-change'],
    exit: 2,
  },

  // --- endpoints -----------------------------------------------------------------------------
  {
    class: ENDPOINTS,
    name: 'unreachable port (outage tolerance 1 s)',
    args: (c) => [
      'run',
      p(c, 'run'),
      '--base-url',
      c.closedUrl,
      ...SMALL,
      '--set',
      'model.outage_tolerance_s=1',
    ],
    mentions: (c) => [c.closedUrl],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'unreachable port, defaults, Ctrl-C after 2 s of waiting',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.closedUrl, ...SMALL.filter((a) => a !== '-q')],
    interrupt: { once: (c) => join(c.dir, 'run', 'run.lock'), afterMs: 2000 },
    mentions: (c) => [c.closedUrl],
    exit: 130,
  },
  {
    class: ENDPOINTS,
    name: 'unreachable port, defaults, with -q, Ctrl-C after 2 s of waiting',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.closedUrl, ...SMALL],
    interrupt: { once: (c) => join(c.dir, 'run', 'run.lock'), afterMs: 2000 },
    mentions: (c) => [c.closedUrl],
    exit: 130,
  },
  {
    class: ENDPOINTS,
    name: 'doctor on an unreachable port (outage tolerance 1 s)',
    args: (c) => ['doctor', '--base-url', c.closedUrl, '--set', 'model.outage_tolerance_s=1'],
    mentions: (c) => [c.closedUrl],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'wrong model name (run)',
    args: (c) => runWith(c, ['--model', 'gpt-5-turbo']),
    mentions: () => ['gpt-5-turbo'],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'base URL without /v1',
    args: (c) => ['doctor', '--base-url', c.url.replace(/\/v1$/, '')],
    mentions: () => ['/v1'],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'base URL with ?api_key=...',
    args: (c) => runWith(c, ['--base-url', `${c.url}?api_key=sk-in-url-99x`]),
    mentions: () => ['model.api_key_env'],
    forbids: ['sk-in-url-99x'],
    exit: 2,
  },
  {
    class: ENDPOINTS,
    name: 'an API key pasted in model.api_key_env (config file)',
    setup: (c) => void w(c, 'key.yaml', 'model:\n  api_key_env: sk-proj-Qq81-pasted\n'),
    args: (c) => ['run', p(c, 'run'), '-c', p(c, 'key.yaml'), '--base-url', c.url, ...SMALL],
    mentions: (c) => ['model.api_key_env', p(c, 'key.yaml')],
    forbids: ['sk-proj-Qq81-pasted'],
    exit: 2,
  },
  {
    class: ENDPOINTS,
    name: 'api_key_env names an unset variable (server needs a key)',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.keyedUrl, '--api-key-env', 'BENCH_UNSET_KEY', ...SMALL],
    mentions: () => ['BENCH_UNSET_KEY'],
  },
  {
    class: ENDPOINTS,
    name: 'a wrong API key (401)',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.keyedUrl, '--api-key-env', 'BENCH_WRONG_KEY', ...SMALL],
    env: () => ({ BENCH_WRONG_KEY: 'not-the-key' }),
    mentions: () => ['BENCH_WRONG_KEY'],
    forbids: ['not-the-key'],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'no API key at all (server needs one)',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.keyedUrl, ...SMALL],
    mentions: () => ['api_key_env'],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    // With the default 8 retries of a malformed response this takes ~30 s to the same message.
    name: 'a web page, not an API, at the base URL (model.max_retries=1)',
    args: (c) => ['run', p(c, 'run'), '--base-url', c.htmlUrl, ...SMALL, '--set', 'model.max_retries=1'],
    mentions: (c) => [c.htmlUrl],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'https:// to a plain-HTTP server',
    args: (c) => [
      'doctor',
      '--base-url',
      c.url.replace('http://', 'https://'),
      '--set',
      'model.outage_tolerance_s=1',
    ],
    mentions: (c) => [c.url.replace('http://', 'https://')],
    exit: 1,
  },
  {
    class: ENDPOINTS,
    name: 'a host name that does not resolve',
    args: (c) => [
      'run',
      p(c, 'run'),
      '--base-url',
      'http://sparq-model.invalid/v1',
      ...SMALL,
      '--set',
      'model.outage_tolerance_s=1',
    ],
    mentions: () => ['sparq-model.invalid'],
    exit: 1,
  },

  // --- eval, compare and scaling files ------------------------------------------------------
  {
    class: EVALS,
    name: 'eval --benchmark missing.jsonl',
    args: (c) => ['eval', '--benchmark', p(c, 'missing.jsonl'), '--base-url', c.url, '-q'],
    mentions: (c) => [p(c, 'missing.jsonl')],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'eval --benchmark with a line that is not JSON',
    setup: (c) =>
      void w(c, 'bench.jsonl', '{"id": "1", "problem": "What is 1+1?", "answer": "2"}\n{"id": "2",\n'),
    args: (c) => [
      'eval',
      '--benchmark',
      p(c, 'bench.jsonl'),
      '--base-url',
      c.url,
      '-q',
      '--out',
      p(c, 'e.json'),
    ],
    mentions: (c) => [`${p(c, 'bench.jsonl')}:2`],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'eval --benchmark with non-UTF-8 bytes',
    setup: (c) =>
      void w(
        c,
        'bench.jsonl',
        Buffer.from('{"id": "1", "problem": "caf\xe9: what is 1+1?", "answer": "2"}\n', 'latin1'),
      ),
    args: (c) => [
      'eval',
      '--benchmark',
      p(c, 'bench.jsonl'),
      '--base-url',
      c.url,
      '-q',
      '--out',
      p(c, 'e.json'),
    ],
    mentions: (c) => [`${p(c, 'bench.jsonl')}:1`],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'compare a file that is not JSON',
    setup: (c) => void w(c, 'a.json', 'pass@1 = 0.42\n'),
    args: (c) => ['compare', p(c, 'a.json'), c.evalMath],
    mentions: (c) => [p(c, 'a.json')],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'compare a file of another kind (a compare result)',
    setup: (c) => void w(c, 'a.json', JSON.stringify({ kind: 'sparq-compare', schemaVersion: 1 })),
    args: (c) => ['compare', p(c, 'a.json'), c.evalMath],
    mentions: (c) => [p(c, 'a.json')],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'compare a JSON file with missing fields',
    setup: (c) => void w(c, 'a.json', JSON.stringify({ kind: 'sparq-eval', schemaVersion: 1, items: [] })),
    args: (c) => ['compare', p(c, 'a.json'), c.evalMath],
    mentions: (c) => [p(c, 'a.json')],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'compare a file with itself',
    args: (c) => ['compare', c.evalMath, c.evalMath],
    outcome: 'warning',
    exit: 0,
  },
  {
    class: EVALS,
    name: 'compare evals of different benchmarks',
    args: (c) => ['compare', c.evalMath, c.evalGsm],
    mentions: () => ['math500', 'gsm8k'],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'scaling on evals with no data size stored',
    args: (c) => ['scaling', c.evalMath, c.evalGsm, '--x', 'data_size'],
    mentions: () => ['data'],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'scaling FILE=abc (not a size)',
    args: (c) => ['scaling', `${c.evalMath}=abc`, '--x', 'data_size'],
    mentions: () => ['abc'],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'scaling --metric that does not exist',
    args: (c) => [
      'scaling',
      `${c.evalMath}=1k`,
      `${c.evalMath}=4k`,
      '--x',
      'data_size',
      '--metric',
      'pass@99',
    ],
    mentions: () => ['pass@99'],
    exit: 2,
  },
  {
    class: EVALS,
    name: 'report --eval a file that is not an eval',
    setup: (c) => void w(c, 'notes.json', '{"hello": 1}'),
    args: (c) => ['report', copyRun(c), '--eval', p(c, 'notes.json'), '-o', p(c, 'r.html')],
    mentions: (c) => [p(c, 'notes.json')],
    exit: 2,
  },

  // --- outputs into places that cannot be written -------------------------------------------
  {
    class: OUTPUTS,
    name: 'select --out under a regular file',
    args: (c) => ['select', copyRun(c), '--strategy', 'quantity', '--n', '5', '--out', underFile(c, 'set')],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'select --out a folder that holds an export, without --force',
    setup: (c) => {
      mkdirSync(p(c, 'set'));
      writeFileSync(join(c.dir, 'set', 'train.jsonl'), '{"messages": []}\n');
    },
    args: (c) => ['select', copyRun(c), '--strategy', 'quantity', '--n', '5', '--out', p(c, 'set')],
    mentions: (c) => [p(c, 'set'), '--force'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'select --out a regular file',
    setup: (c) => void w(c, 'set', 'my notes'),
    args: (c) => ['select', copyRun(c), '--strategy', 'quantity', '--n', '5', '--out', p(c, 'set')],
    mentions: (c) => [p(c, 'set')],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'report -o under a regular file',
    args: (c) => ['report', copyRun(c), '-o', underFile(c, 'report.html')],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'eval --out under a regular file',
    args: (c) => [
      'eval',
      '--benchmark',
      'math500',
      '--limit',
      '2',
      '--base-url',
      c.url,
      '-q',
      '--out',
      underFile(c, 'e.json'),
    ],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'compare --json under a regular file',
    args: (c) => ['compare', c.evalMath, c.evalMath, '--json', underFile(c, 'cmp.json')],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'scaling --out under a regular file',
    args: (c) => [
      'scaling',
      `${c.evalMath}=1k`,
      `${c.evalMath}=4k`,
      '--x',
      'data_size',
      '--out',
      underFile(c, 's.svg'),
    ],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
  {
    class: OUTPUTS,
    name: 'demo into a path under a regular file',
    args: (c) => ['demo', underFile(c, 'demo'), '--generations', '1', '-q'],
    mentions: (c) => [p(c, 'a-file'), 'is a file'],
    exit: 2,
  },
];

// ---------------------------------------------------------------------------------------------
// Running and judging.

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SPARQ_')) env[k] = v;
  return { ...env, ...extra };
}

function spawnCase(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  interrupt?: { file: string; afterMs: number },
): Promise<{
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  let timedOut = false;
  const kill = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  let sigint: NodeJS.Timeout | undefined;
  const poll = interrupt
    ? setInterval(() => {
        if (!existsSync(interrupt.file)) return;
        clearInterval(poll);
        sigint = setTimeout(() => child.kill('SIGINT'), interrupt.afterMs);
      }, 50)
    : undefined;
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(kill);
      clearInterval(poll);
      clearTimeout(sigint);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** The message without the usage text commander prints after a flag error. */
function messageOf(stderr: string): string {
  const cut = stderr.search(/^Usage: /m);
  return (cut >= 0 ? stderr.slice(0, cut) : stderr).trim();
}

/**
 * The line a user reads first: the first `sparq: ` or `error: ` line of stderr (else its first
 * line, else stdout's), joined with the next one when it ends in ':' ("invalid configuration (1
 * problem):" says nothing by itself).
 */
function headline(message: string, stdout: string): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  let i = lines.findIndex((l) => /^(sparq|error): /.test(l));
  if (i < 0) i = 0;
  const first = lines[i];
  if (first === undefined) return stdout.split('\n').find((l) => l.trim() !== '') ?? '';
  const next = lines[i + 1];
  return first.trimEnd().endsWith(':') && next !== undefined ? `${first.trim()} ${next.trim()}` : first;
}

function judge(
  c: Case,
  ctx: Ctx,
  r: { code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean },
) {
  const all = `${r.stderr}\n${r.stdout}`;
  const message = messageOf(r.stderr);
  const firstLine = headline(message, r.stdout);
  const stack = STACK.test(all);
  const reasons: string[] = [];
  const notes: string[] = [];
  let verdict: Verdict = 'clear';
  let unexpectedSuccess = false;
  const outcome = c.outcome ?? 'error';
  if (r.timedOut) reasons.push(`no end within ${(c.timeoutMs ?? 60_000) / 1000} s`);
  if (r.signal) reasons.push(`killed by ${r.signal}`);
  if (stack) reasons.push('stack trace');
  if (r.code !== null && !DOCUMENTED.has(r.code)) reasons.push(`undocumented exit code ${r.code}`);
  if (reasons.length > 0) verdict = 'crash';
  else {
    // A warning counts when it is about this input: it names one of the case's `mentions`, if any
    // (an unrelated warning, such as the server not reporting its context length, does not).
    const wanted = c.mentions?.(ctx) ?? [];
    const warned = r.stderr
      .split('\n')
      .some(
        (l) => /\b(warning|note)\b/i.test(l) && (wanted.length === 0 || wanted.some((m) => l.includes(m))),
      );
    if (r.code === 0) {
      if (outcome === 'error' && !warned) {
        unexpectedSuccess = true;
        reasons.push('unexpected success: exit 0 without a warning about the input');
      } else if (outcome === 'warning' && !warned) reasons.push('exit 0 without the expected warning');
    } else {
      if (message === '') reasons.push('failing exit code with nothing on stderr');
      else if (message.length < 20) reasons.push(`message under 20 characters`);
      if (/internal error|a bug in sparq/i.test(message))
        reasons.push('an internal error, not a message about the input');
    }
    if (r.code !== 0 || outcome !== 'success') {
      const missing = wanted.filter((m) => !all.includes(m));
      if (missing.length > 0)
        reasons.push(`does not mention ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
    }
    if (reasons.length > 0) verdict = 'unclear';
  }
  if (c.exit !== undefined && r.code !== c.exit) notes.push(`exit ${r.code}, expected ${c.exit}`);
  const leaked = (c.forbids ?? []).filter((s) => all.includes(s));
  if (leaked.length > 0) notes.push(`echoes the secret ${leaked.join(', ')}`);
  return { firstLine, stack, verdict, reasons, notes, unexpectedSuccess };
}

async function runCase(c: Case, base: Omit<Ctx, 'dir'>, root: string, index: number): Promise<Result> {
  const dir = mkdtempSync(join(root, `case-${String(index).padStart(3, '0')}-`));
  const ctx: Ctx = { ...base, dir };
  c.setup?.(ctx);
  const args = c.args(ctx);
  const started = performance.now();
  const timeoutMs = c.timeoutMs ?? 60_000;
  const interrupt = c.interrupt && { file: c.interrupt.once(ctx), afterMs: c.interrupt.afterMs };
  const r = await spawnCase(args, dir, cleanEnv(c.env?.(ctx) ?? {}), timeoutMs, interrupt);
  const ms = performance.now() - started;
  return { c, code: r.code, signal: r.signal, timedOut: r.timedOut, ms, ...judge(c, ctx, r) };
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

interface SimProcess {
  url: string;
  child: ChildProcess;
}

function startSim(args: string[], env: Record<string, string> = {}): Promise<SimProcess> {
  const child = spawn(process.execPath, [CLI, 'sim-server', '--port', '0', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, child });
    });
    child.once('exit', (code) => reject(new Error(`sim-server exited with ${code}: ${err}`)));
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function fixture(args: string[], cwd: string): Promise<void> {
  const r = await spawnCase(args, cwd, cleanEnv({}), 120_000);
  if (r.code !== 0) throw new Error(`fixture \`sparq ${args.join(' ')}\` failed (${r.code}):\n${r.stderr}`);
}

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

export async function run(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const root = mkdtempSync(join(tmpdir(), 'sparq-bad-inputs-'));
  const plain = await startSim([]);
  const keyed = await startSim(['--api-key-env', 'BENCH_SIM_KEY'], { BENCH_SIM_KEY: KEYED_SECRET });
  const html = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<html><body><h1>Welcome to nginx!</h1></body></html>'),
  );
  const htmlPort = await listen(html);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const started = performance.now();
  try {
    const fixtures = join(root, 'fixtures');
    mkdirSync(fixtures);
    const finished = join(fixtures, 'finished');
    await fixture(['run', finished, '--base-url', plain.url, ...SMALL], fixtures);
    const evalMath = join(fixtures, 'evals', 'math500.json');
    const evalGsm = join(fixtures, 'evals', 'gsm8k.json');
    await fixture(
      ['eval', '--benchmark', 'math500', '--limit', '5', '--base-url', plain.url, '-q', '--out', evalMath],
      fixtures,
    );
    await fixture(
      ['eval', '--benchmark', 'gsm8k', '--limit', '5', '--base-url', plain.url, '-q', '--out', evalGsm],
      fixtures,
    );
    const setupMs = performance.now() - started;
    const base: Omit<Ctx, 'dir'> = {
      url: plain.url,
      keyedUrl: keyed.url,
      closedUrl: `http://127.0.0.1:${closedPort}/v1`,
      htmlUrl: `http://127.0.0.1:${htmlPort}/v1`,
      port: Number(new URL(plain.url).port),
      finished,
      evalMath,
      evalGsm,
    };

    // BENCH_ONLY=word,word: only the cases whose class or name contains one of the words.
    const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
    const cases = only ? CASES.filter((c) => only.some((o) => `${c.class} ${c.name}`.includes(o))) : CASES;
    const results: Result[] = new Array(cases.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        while (next < cases.length) {
          const i = next++;
          results[i] = await runCase(cases[i]!, base, root, i);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;

    const classes = [...new Set(cases.map((c) => c.class))];
    const count = (rs: Result[], v: Verdict) => rs.filter((r) => r.verdict === v).length;
    console.log(
      `${cases.length} bad inputs, each a separate \`node dist/cli.js\` process, 2 at a time; ${elapsed.toFixed(1)} s (fixtures ${(setupMs / 1000).toFixed(1)} s); load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after\n`,
    );
    const header = `${pad('class', 34)}${lpad('cases', 6)}${lpad('clear', 7)}${lpad('unclear', 9)}${lpad('crash', 7)}${lpad('unexp.ok', 10)}`;
    console.log(header);
    console.log('-'.repeat(header.length));
    for (const cls of [...classes, 'total']) {
      const rs = cls === 'total' ? results : results.filter((r) => r.c.class === cls);
      if (cls === 'total') console.log('-'.repeat(header.length));
      console.log(
        `${pad(cls, 34)}${lpad(rs.length, 6)}${lpad(count(rs, 'clear'), 7)}${lpad(count(rs, 'unclear'), 9)}${lpad(count(rs, 'crash'), 7)}${lpad(rs.filter((r) => r.unexpectedSuccess).length, 10)}`,
      );
    }
    console.log('(unexp.ok: exit 0 without a warning on a bad input; counted as unclear)');

    const line = (r: Result) =>
      `  [${r.c.class}] ${r.c.name}: exit ${r.signal ?? r.code}, ${(r.ms / 1000).toFixed(1)} s\n` +
      `      ${r.reasons.concat(r.notes).join('; ')}\n      > ${r.firstLine.slice(0, 300) || '(no output)'}`;
    const bad = results.filter((r) => r.verdict !== 'clear');
    console.log(`\nnot clear (${bad.length}):`);
    for (const r of bad) console.log(`${r.verdict.toUpperCase()} ${line(r).trimStart()}`);
    const noted = results.filter((r) => r.verdict === 'clear' && r.notes.length > 0);
    console.log(`\nclear, with notes (${noted.length}):`);
    for (const r of noted) console.log(line(r));
    if (process.env.BENCH_VERBOSE) {
      console.log('\nall cases:');
      for (const r of results) console.log(`${r.verdict.padEnd(8)}${line(r).trimStart()}`);
    }
  } finally {
    plain.child.kill('SIGTERM');
    keyed.child.kill('SIGTERM');
    html.closeAllConnections();
    html.close();
    rmSync(root, { recursive: true, force: true });
  }
}
