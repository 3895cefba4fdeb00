/**
 * The exported fine-tuning set, on a real (simulated) run: train.jsonl in the chat format with
 * provenance metadata, train.parquet with the same rows, the dataset card, custom prompt
 * templates, byte-identical re-runs and the refusal to overwrite a dataset.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DEDUP_SETTINGS } from '../../src/curation/dedup/dedup.js';
import { DEFAULT_FILTERS } from '../../src/curation/eligibility.js';
import { DEFAULT_EVAL_SETS } from '../../src/curation/eval-sets.js';
import { type ChatExample, DEFAULT_TEMPLATE } from '../../src/curation/export/chat.js';
import { OUTPUT_FILES } from '../../src/curation/export/dataset.js';
import { type SelectOptions, selectAndExport } from '../../src/curation/select.js';
import { DEFAULT_BAND } from '../../src/curation/strategies.js';
import { loadTemplate as loadPromptTemplate, renderTemplate } from '../../src/prompts/templates.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { UserError } from '../../src/util/errors.js';
import { SPARQ_VERSION } from '../../src/version.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { makeProblem, writePool } from './fixtures.js';

const N = 40;
const SELECT = ['--strategy', 'quality', '--n', String(N), '--out', 'ds', '--json'];

let work: string;
let runDir: string;
let out: string;
let examples: ChatExample[];
let printed: {
  out: string;
  files: { name: string; rows: number; bytes: number; sha256: string }[];
  selection: { counts: { total: number; eligible: number; excluded: Record<string, number> } };
};

const readExamples = (dir: string) =>
  readFileSync(join(dir, 'train.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as ChatExample);

beforeAll(() => {
  work = tempDir('sparq-export-');
  runDir = join(work, 'run');
  const demo = runCli(['demo', runDir, '-q', '--generations', '2']);
  expect(demo.status, demo.stderr).toBe(0);
  mkdirSync(join(work, 'a'));
  const r = runCli(['select', runDir, ...SELECT], { cwd: join(work, 'a') });
  expect(r.status, r.stderr).toBe(0);
  printed = JSON.parse(r.stdout);
  out = join(work, 'a', 'ds');
  examples = readExamples(out);
});

function inProcess(overrides: Partial<SelectOptions>) {
  return selectAndExport({
    runDir,
    plan: { strategy: 'quality', n: N, seed: 0, band: DEFAULT_BAND, mix: {} },
    filters: DEFAULT_FILTERS,
    dedup: DEFAULT_DEDUP_SETTINGS,
    decontamination: { ngram: 13, sets: [...DEFAULT_EVAL_SETS] },
    outDir: join(tempDir(), 'ds'),
    force: false,
    command: 'sparq select (test)',
    log: () => {},
    ...overrides,
  });
}

describe('train.jsonl', () => {
  it('holds N chat examples, a user prompt and an assistant solution each', () => {
    expect(printed.out).toBe(out);
    expect(printed.files.map((f) => [f.name, f.rows])).toEqual([
      ['train.jsonl', N],
      ['train.parquet', N],
    ]);
    expect(examples).toHaveLength(N);
    for (const e of examples) {
      expect(Object.keys(e)).toEqual(['messages', 'metadata']);
      expect(e.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(e.messages[1]!.content).toMatch(/\\boxed\{/);
    }
  });

  it("sparq show prints what an exported problem was made from: its record and its task's requests", () => {
    const uid = examples[0]!.metadata.uid;
    const r = runCli(['show', runDir, uid]);
    expect(r.status, r.stderr).toBe(0);
    const shown = JSON.parse(r.stdout) as {
      problem: { uid: string; problem: string; mutateKey: string; solveKeys: string[] };
      responses: { key: string; purpose: string; templateRef: string; choices: { text: string }[] }[];
    };
    expect(shown.problem.uid).toBe(uid);
    const byKey = new Map(shown.responses.map((x) => [x.key, x]));
    const mutation = byKey.get(shown.problem.mutateKey)!;
    expect(mutation.purpose).toBe('mutate');
    expect(mutation.choices[0]!.text).toContain(shown.problem.problem);
    for (const key of shown.problem.solveKeys) expect(byKey.get(key)?.purpose).toBe('solve');
    expect(shown.responses.some((x) => x.purpose === 'label')).toBe(true);
    const missing = runCli(['show', runDir, 'g99-t0']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no problem or rejection with uid "g99-t0"');
  });

  it('carries provenance that leads back to the run database', () => {
    const db = new Database(join(runDir, 'sparq.db'), { readonly: true });
    const store = SqliteRunStore.openReadOnly(runDir);
    try {
      const runId = (db.prepare("SELECT value FROM meta WHERE key = 'run_id'").get() as { value: string })
        .value;
      const row = db.prepare('SELECT * FROM problems WHERE uid = ?');
      const request = db.prepare('SELECT purpose FROM request_log WHERE key = ?');
      const purpose = (key: string | null) =>
        key === null ? undefined : (request.get(key) as { purpose: string } | undefined)?.purpose;
      for (const { messages, metadata: m } of examples) {
        const p = row.get(m.uid) as Record<string, unknown>;
        expect(p, m.uid).toBeDefined();
        expect(messages[0]!.content).toBe(
          DEFAULT_TEMPLATE.replace('{{problem}}', store.getProblems([m.uid])[0]!.problem),
        );
        expect(messages[1]!.content).toBe(store.getProblems([m.uid])[0]!.solution);
        expect(m).toMatchObject({
          run_id: runId,
          model: 'sim-1',
          generation: p.generation,
          operator: p.origin,
          parents: JSON.parse(p.parent_uids as string),
          template_ref: p.template_ref,
          answer: p.answer,
          subject: p.subject,
          skill: p.skill,
          solve_rate: p.solve_rate,
          verified: true,
          disputed: false,
          selected_by: 'quality',
          sparq_version: SPARQ_VERSION,
        });
        // Generated problems only: each from parents, by a mutation prompt.
        expect(m.operator).not.toBe('seed');
        expect(m.parents.length).toBeGreaterThan(0);
        for (const parent of m.parents) expect(row.get(parent), parent).toBeDefined();
        expect(m.template_ref).toMatch(new RegExp(`^${m.operator}@\\d+$`));
        // Every request key names a request stored in the run.
        expect(purpose(m.request_keys.mutate)).toBeDefined();
        expect(purpose(m.request_keys.label)).toBeDefined();
        expect(m.request_keys.solve.length).toBeGreaterThan(0);
        for (const key of m.request_keys.solve) expect(purpose(key)).toBeDefined();
        expect(m.solve_rate).toBeGreaterThanOrEqual(DEFAULT_BAND[0]);
        expect(m.solve_rate).toBeLessThanOrEqual(DEFAULT_BAND[1]);
      }
    } finally {
      db.close();
      store.close();
    }
  });
});

describe('train.parquet', () => {
  it('reads back as the same rows in the same order as train.jsonl', async () => {
    const file = await asyncBufferFromFile(join(out, 'train.parquet'));
    const rows = await parquetReadObjects({ file });
    expect(rows).toHaveLength(N);
    expect(rows).toEqual(examples);
    expect(rows.map((r) => (r.metadata as { uid: string }).uid)).toEqual(examples.map((e) => e.metadata.uid));
    const kv = Object.fromEntries(
      ((await parquetMetadataAsync(file)).key_value_metadata ?? []).map((x) => [x.key, x.value]),
    );
    expect(kv['sparq.run_id']).toBe(examples[0]!.metadata.run_id);
    expect(JSON.parse(kv['sparq.selection']!)).toMatchObject({ strategy: 'quality', n: N, seed: 0 });
  });
});

describe('rows without the usual fields', () => {
  it('seeds and unevaluated problems (empty lists, nulls, non-ASCII text) survive the Parquet round trip', async () => {
    const dir = join(tempDir('sparq-export-odd-'), 'run');
    writePool(
      dir,
      [
        makeProblem('seed:a', {
          origin: 'seed',
          generation: 0,
          seedId: 'a',
          parentUids: [],
          templateRef: null,
          templateHash: null,
          mutateKey: null,
          labelKey: null,
          problem: 'A seed with π, ünïcode and 😀: what is $2^{10}$ minus the number of letters in "sparq"?',
        }),
        makeProblem('g1-t0', {
          solveRate: null,
          solveKeys: [],
          subject: null,
          skill: null,
          problem: 'Never evaluated: what is seven times eight plus twelve, written in base five?',
        }),
        makeProblem('g1-t1', {
          level: 'Level 3',
          majorityAnswer: '12',
          majorityShare: 0.625,
          cell: 'Algebra / linear equations',
          problem: 'How many ways are there to choose three balls out of ten numbered balls in a row?',
        }),
      ],
      'none',
    );
    const outcome = inProcess({
      runDir: dir,
      plan: { strategy: 'quantity', n: 3, seed: 0, band: DEFAULT_BAND, mix: {} },
      filters: { ...DEFAULT_FILTERS, includeSeeds: true, includeUnverified: true },
      seeds: 'none',
      decontamination: { ngram: 13, sets: ['math'] },
    });
    const jsonl = readExamples(outcome.dataset.dir);
    const rows = await parquetReadObjects({
      file: await asyncBufferFromFile(join(outcome.dataset.dir, 'train.parquet')),
    });
    expect(rows).toEqual(jsonl);
    const byUid = new Map(jsonl.map((e) => [e.metadata.uid, e.metadata]));
    expect(byUid.get('seed:a')).toMatchObject({
      parents: [],
      template_ref: null,
      request_keys: { mutate: null },
    });
    expect(byUid.get('g1-t0')).toMatchObject({
      solve_rate: null,
      subject: null,
      request_keys: { solve: [] },
    });
    expect(byUid.get('g1-t1')).toMatchObject({ level: 'Level 3', majority_share: 0.625 });
    const card = readFileSync(join(outcome.dataset.dir, 'README.md'), 'utf8');
    expect(card).toContain('| not evaluated | 1 | 33.3% |');
    expect(card).toContain('| (none) | 1 | 33.3% |');
  });
});

/** The first Markdown table under `### heading`: first cell -> cell `column` as a number. */
function cardTable(card: string, heading: string, column = 1): Record<string, number> {
  const lines = card.split('\n');
  const at = lines.indexOf(`### ${heading}`);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const rows = lines.slice(at + 1);
  const start = rows.findIndex((l) => l.startsWith('|'));
  const end = rows.findIndex((l, i) => i > start && !l.startsWith('|'));
  const out: Record<string, number> = {};
  for (const line of rows.slice(start + 2, end)) {
    const cells = line.split('|').map((c) => c.trim());
    out[cells[1]!] = Number(cells[column + 1]!.replace(/,/g, ''));
  }
  return out;
}

function tally(key: (e: ChatExample) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of examples) out[key(e)] = (out[key(e)] ?? 0) + 1;
  return out;
}

describe('README.md (dataset card)', () => {
  let card: string;
  beforeAll(() => {
    card = readFileSync(join(out, 'README.md'), 'utf8');
  });

  it('describes the files with their counts and checksums', () => {
    expect(card.startsWith('---\n')).toBe(true);
    expect(card).toContain('path: train.parquet');
    expect(card).toContain(`# sparq synthetic math problems: quality, N = ${N}`);
    for (const name of ['train.jsonl', 'train.parquet']) {
      const bytes = readFileSync(join(out, name));
      const sha = createHash('sha256').update(bytes).digest('hex');
      expect(card).toContain(`| \`${name}\` | ${N} | ${bytes.length.toLocaleString('en-US')} | \`${sha}\` |`);
    }
  });

  it('states the strategy, the filters with their exclusion counts, and the analyses', () => {
    expect(card).toContain('Strategy **quality**: problems with a solve-rate in [0.1, 0.6], hardest');
    expect(card).toContain(`N = ${N}, seed 0.`);
    expect(card).toContain(`Command: \`sparq select ${runDir} ${SELECT.join(' ')}\``);
    const { counts } = printed.selection;
    expect(card).toContain(`${counts.eligible} of ${counts.total} pool problems qualified`);
    const filters = cardTable(card, 'Filters', 2);
    expect(filters).toEqual({
      'seeds (original data, not synthetic)': counts.excluded.seed ?? 0,
      'unverified (no attempt reproduced the reference answer)': counts.excluded.unverified ?? 0,
      'disputed (a majority of attempts disagrees with the reference answer)': counts.excluded.disputed ?? 0,
      'duplicates (their cluster keeps a seed or an earlier qualifying member)':
        counts.excluded.duplicate ?? 0,
      'contaminated (n-gram overlap with an evaluation set)': counts.excluded.contaminated ?? 0,
    });
    // The demo runs the starter configuration's 200 seeds.
    expect(counts.excluded.seed).toBe(200);
    expect(card).toMatch(/\| seeds \(original data, not synthetic\) \| yes \| 200 \|/);
    expect(card).toMatch(/^Deduplication: .*against the seed file `bundled:math_train`/m);
    expect(card).toMatch(
      /^Decontamination: 13-gram overlap .*`math`, `math500`, `gsm8k`, `svamp`, `olympiadbench`/m,
    );
  });

  it('gives distributions by subject, skill, difficulty and generation that match the rows', () => {
    expect(cardTable(card, 'Subjects')).toEqual(tally((e) => e.metadata.subject ?? '(none)'));
    expect(cardTable(card, 'Skills')).toEqual(
      tally((e) => `${e.metadata.subject ?? '(none)'} / ${e.metadata.skill ?? '(none)'}`),
    );
    expect(cardTable(card, 'Generations')).toEqual(tally((e) => String(e.metadata.generation)));
    expect(cardTable(card, 'Operators')).toEqual(tally((e) => e.metadata.operator));
    const difficulty = cardTable(card, 'Difficulty (solve-rate)');
    expect(Object.keys(difficulty)).toHaveLength(10);
    expect(Object.values(difficulty).reduce((s, x) => s + x, 0)).toBe(N);
    const bins = tally((e) => {
      const b = Math.min(9, Math.floor(e.metadata.solve_rate! * 10 + 1e-9));
      return `[${(b / 10).toFixed(1)}, ${((b + 1) / 10).toFixed(1)}${b === 9 ? ']' : ')'}`;
    });
    for (const [bin, count] of Object.entries(difficulty)) expect(count, bin).toBe(bins[bin] ?? 0);
    const mean = examples.reduce((s, e) => s + e.metadata.solve_rate!, 0) / N;
    expect(card).toContain(`Mean solve-rate ${mean.toFixed(3)} (lower is harder).`);
  });

  it('records the provenance: run id, config hash, model and sparq versions', () => {
    const db = new Database(join(runDir, 'sparq.db'), { readonly: true });
    let runId: string;
    let config: { config_hash: string; sparq_version: string };
    try {
      runId = (db.prepare("SELECT value FROM meta WHERE key = 'run_id'").get() as { value: string }).value;
      config = db
        .prepare('SELECT config_hash, sparq_version FROM config_snapshots ORDER BY id DESC LIMIT 1')
        .get() as typeof config;
    } finally {
      db.close();
    }
    expect(card).toContain(`| run id | \`${runId}\` |`);
    expect(card).toContain('| run directory | `run` |');
    expect(card).toContain(`| config hash | \`${config.config_hash}\` |`);
    expect(card).toContain('| model | sim-1 |');
    expect(card).toContain('| seed problems | bundled:math_train |');
    expect(card).toContain(`| sparq version of the run | ${config.sparq_version} |`);
    expect(card).toContain(`| sparq version of this export | ${SPARQ_VERSION} |`);
    expect(card).toContain(`selected from the pool of sparq run \`${runId}\``);
  });

  it('is mirrored by selection.json', () => {
    const selection = JSON.parse(readFileSync(join(out, 'selection.json'), 'utf8'));
    expect(selection).toMatchObject({
      plan: { strategy: 'quality', n: N, seed: 0, band: DEFAULT_BAND },
      counts: printed.selection.counts,
      files: printed.files,
      run: { runDir: 'run', model: 'sim-1', seeds: 'bundled:math_train' },
      exporterVersion: SPARQ_VERSION,
    });
  });
});

describe('prompt templates', () => {
  it("uses sparq eval's default prompt by default, so models are evaluated on what they trained on", () => {
    const [user] = renderTemplate(loadPromptTemplate('eval-cot'), { problem: 'What is $1+1$?' });
    expect(user).toEqual({
      role: 'user',
      content: DEFAULT_TEMPLATE.replace('{{problem}}', 'What is $1+1$?'),
    });
  });

  it('fills {{problem}} of a custom template and names it in the card', () => {
    const template = join(tempDir(), 'tmpl.txt');
    writeFileSync(template, 'Problem:\n{{problem}}\n\nThink, then answer in \\boxed{}.');
    const outcome = inProcess({
      templateFile: template,
      plan: { strategy: 'mix', n: 12, seed: 5, band: DEFAULT_BAND, mix: { quality: 1, diversity: 1 } },
    });
    const got = readExamples(outcome.dataset.dir);
    expect(got).toHaveLength(12);
    for (const e of got) {
      const content = e.messages[0]!.content;
      expect(content.startsWith('Problem:\n')).toBe(true);
      expect(content.endsWith('\n\nThink, then answer in \\boxed{}.')).toBe(true);
      expect(content).not.toContain('{{problem}}');
    }
    // The same problems as the default template, only the prompt differs.
    const plain = readExamples(
      inProcess({
        plan: { strategy: 'mix', n: 12, seed: 5, band: DEFAULT_BAND, mix: { quality: 1, diversity: 1 } },
      }).dataset.dir,
    );
    expect(got.map((e) => e.metadata)).toEqual(plain.map((e) => e.metadata));
    got.forEach((e, i) => {
      const problem = plain[i]!.messages[0]!.content.slice(DEFAULT_TEMPLATE.indexOf('{{problem}}'));
      expect(e.messages[0]!.content).toBe(`Problem:\n${problem}\n\nThink, then answer in \\boxed{}.`);
    });
    const card = readFileSync(join(outcome.dataset.dir, 'README.md'), 'utf8');
    expect(card).toContain(`Prompt template (from \`${template}\``);
    expect(card).toContain('Strategy **mix** (quality 6, diversity 6;');
  });

  it('rejects a template without {{problem}} before writing anything', () => {
    const dir = tempDir();
    const template = join(dir, 'bad.txt');
    writeFileSync(template, 'Solve this: {{question}}');
    const r = runCli([
      'select',
      runDir,
      '--strategy',
      'quantity',
      '--n',
      '5',
      '--out',
      join(dir, 'ds'),
      '--template',
      template,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`template ${template} has no {{problem}} placeholder`);
    expect(() => readFileSync(join(dir, 'ds', 'train.jsonl'))).toThrow();

    writeFileSync(template, '{{problem}} with the answer {{answer}}');
    expect(() => inProcess({ templateFile: template })).toThrow(/unknown placeholder \{\{answer\}\}/);
    expect(() => inProcess({ templateFile: join(dir, 'none.txt') })).toThrow(UserError);
    expect(() => inProcess({ templateFile: join(dir, 'none.txt') })).toThrow(/no such file/);
  });
});

describe('re-running', () => {
  it('gives byte-identical files for the same selection', () => {
    mkdirSync(join(work, 'b'));
    const r = runCli(['select', runDir, ...SELECT], { cwd: join(work, 'b') });
    expect(r.status, r.stderr).toBe(0);
    for (const name of OUTPUT_FILES) {
      const a = readFileSync(join(out, name));
      const b = readFileSync(join(work, 'b', 'ds', name));
      expect(b.equals(a), name).toBe(true);
    }
  });

  it('refuses to replace an existing dataset without --force', () => {
    const before = OUTPUT_FILES.map((f) => readFileSync(join(out, f)));
    const r = runCli(['select', runDir, '--strategy', 'quantity', '--n', '5', '--out', 'ds'], {
      cwd: join(work, 'a'),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--out ds already holds a dataset \(train\.jsonl, .*\); .*--force/);
    OUTPUT_FILES.forEach((f, i) => {
      expect(readFileSync(join(out, f)).equals(before[i]!), f).toBe(true);
    });

    // With --force it is replaced.
    const forced = join(tempDir(), 'ds');
    inProcess({ outDir: forced });
    expect(() => inProcess({ outDir: forced })).toThrow(/already holds a dataset/);
    const outcome = inProcess({
      outDir: forced,
      force: true,
      plan: { strategy: 'quantity', n: 5, seed: 0, band: DEFAULT_BAND, mix: {} },
    });
    expect(outcome.dataset.files[0]!.rows).toBe(5);
    expect(readExamples(forced)).toHaveLength(5);
  });
});
