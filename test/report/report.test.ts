/// <reference lib="dom" />
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Archive } from '../../src/core/archive.js';
import type { ProblemRecord } from '../../src/domain/records.js';
import { collectReportData } from '../../src/report/data.js';
import { escapeHtml } from '../../src/report/html.js';
import { renderMathText } from '../../src/report/math.js';
import { writeReport } from '../../src/report/write.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { browserAvailable, launchBrowser } from '../helpers/browser.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { commitEpoch } from '../helpers/commit.js';

const PROBES = [
  '<script>window.__xss = 1</script>',
  '<img src=x onerror="window.__xss = 2">',
  '[click me](javascript:window.__xss=3) <a href="javascript:window.__xss=4">link</a>',
  '</div></details></body></html><script>window.__xss = 5</script>',
  '$<script>window.__xss = 6</script>$ and $\\href{javascript:window.__xss=7}{x}$',
  '<svg onload="window.__xss = 8"></svg><iframe src="javascript:window.__xss=9"></iframe>',
  '\u001b[31mANSI\u001b[0m and a NUL \u0000 byte',
];

function record(
  uid: string,
  text: string,
  generation: number,
  parents: string[],
  quality: number,
): ProblemRecord {
  return {
    uid,
    seq: 0,
    generation,
    taskIndex: 0,
    origin: generation === 0 ? 'seed' : 'vary',
    seedId: null,
    parentUids: parents,
    templateRef: `vary@1 ${text}`,
    templateHash: 'h',
    model: `model ${text}`,
    mutateKey: 'k',
    genParams: null,
    problem: `Problem ${uid}: ${text}`,
    solution: `Solution: ${text} so $\\boxed{${text}}$`,
    answer: text,
    textHash: uid,
    subject: 'Algebra',
    skill: 'linear equations',
    rawLabel: text,
    labelKey: 'k',
    labelMalformed: false,
    labelReasks: 0,
    level: null,
    attempts: [
      {
        idx: 0,
        requestKey: 'k',
        choice: 0,
        answer: text,
        correct: true,
        rule: text,
        finishReason: 'stop',
        counted: true,
      },
    ],
    correct: 1,
    truncated: 0,
    unverifiedReason: null,
    solveRate: 1 - quality,
    majorityAnswer: text,
    majorityShare: 1,
    disputed: false,
    verified: true,
    quality,
    solveKeys: ['k'],
    solveParams: null,
    archiveStatus: 'NEW',
    cell: 'Algebra / linear equations',
  };
}

/** A run whose every displayed model-written field carries an XSS probe. */
function probeRun(): string {
  const dir = tempDir();
  const store = SqliteRunStore.open(dir);
  const archive = new Archive(5, 99);
  const problems = PROBES.map((p, i) =>
    record(`p${i}`, p, i === 0 ? 0 : 1, i === 0 ? [] : [`p${i - 1}`], 0.1 + i / 10),
  );
  problems.forEach((p, i) => {
    archive.add({
      uid: p.uid,
      cell:
        i % 2
          ? { subject: 'Algebra', skill: 'linear equations', band: null }
          : { subject: 'Geometry', skill: 'other', band: null },
      quality: p.quality!,
      solveRate: p.solveRate!,
      fingerprint: [i],
    });
  });
  store.saveConfigSnapshot({
    configJson: JSON.stringify({
      model: { model: PROBES[0] },
      seed: 1,
      solver: { k: 1 },
      selection: { strategy: 'uniform' },
    }),
    configHash: 'h',
    sparqVersion: '0.0.0',
    detectedJson: null,
  });
  store.setMeta('run_id', PROBES[1]!);
  const metrics = (g: number) => ({
    generation: g,
    cells: 99,
    occupied: 2,
    coverage: 0.02,
    elites: 7,
    qdScore: 2,
    normalizedQdScore: 0.004,
    meanQuality: 0.4,
    maxQuality: 0.7,
    evaluated: 4,
    rejected: 1,
    parseValidRate: 0.8,
    verifiedShare: 1,
    disputedShare: 0,
    solveRateZeroShare: 0,
    solveRateOneShare: 0,
    solveRateHistogram: [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0],
    distinctSkills: 2,
    inserted: { NEW: 2, IMPROVED: 2, NOT_ADDED: 0 },
    spend: { requests_sent: 10 },
  });
  commitEpoch(store, {
    generation: 0,
    startedAt: '',
    problems: problems.slice(0, 1),
    rejections: [],
    metrics: metrics(0),
    archive: archive.toState(),
    counters: { fault_http_5xx: 1 },
  });
  commitEpoch(store, {
    generation: 1,
    startedAt: '',
    problems: problems.slice(1),
    rejections: [
      {
        uid: 'r1',
        seq: 9,
        generation: 1,
        taskIndex: 9,
        operator: 'vary',
        parentUids: ['p0'],
        reason: 'unparseable',
        detail: PROBES[0]!,
        rawOutput: PROBES[1]!,
        requestKey: 'k',
      },
    ],
    metrics: metrics(1),
    archive: archive.toState(),
    counters: {},
  });
  store.close();
  return dir;
}

describe('escaping', () => {
  it('escapes markup and drops control characters', () => {
    expect(escapeHtml('<a href="x">&\'')).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&#39;');
    expect(escapeHtml('a\u0000b\u001b[31m')).toBe('a\ufffdb\ufffd[31m');
  });

  it('renders math as MathML and everything else as text', () => {
    const html = renderMathText('Find $\\frac{1}{2}$ <b>now</b>');
    expect(html).toContain('<math');
    expect(html).toContain('&lt;b&gt;now&lt;/b&gt;');
    for (const probe of PROBES) {
      const out = renderMathText(probe);
      expect(out).not.toMatch(/<(script|img|iframe|svg)\b/i);
      expect(out).not.toMatch(/<[^>]*\son\w+=/i);
      expect(out).not.toMatch(/href="javascript/i);
    }
  });

  it('renders LaTeX environments written outside dollars, display or inline as they read', () => {
    const align = renderMathText('Then \\begin{align*} x &= 1 \\\\ y &= 2 \\end{align*} so.');
    expect(align).toContain('<math');
    expect(align).toContain('display="block"');
    expect(align).not.toContain('begin{align');
    const cases = renderMathText('f(x) = \\begin{cases} 1 & x > 0 \\\\ 0 & \\text{else} \\end{cases}');
    expect(cases).toContain('<math');
    expect(cases).not.toContain('display="block"');
    expect(renderMathText('\\begin{array}{cc} a & b \\end{array}')).not.toContain('begin{array}');
    expect(renderMathText('\\begin{split} a &= b \\\\ &= c \\end{split}')).toContain('display="block"');
    // What KaTeX cannot parse is shown as written, without delimiters it did not have.
    const broken = renderMathText('\\begin{align*} \\frac{ \\end{align*}');
    expect(broken).toBe('<code>\\begin{align*} \\frac{ \\end{align*}</code>');
    // Not a math environment: left as text.
    expect(renderMathText('\\begin{tikzpicture} x \\end{tikzpicture}')).toContain('\\begin{tikzpicture}');
  });
});

describe('what the report shows', () => {
  const dir = tempDir();
  let ran: ReturnType<typeof runCli>;
  beforeAll(() => {
    ran = runCli([
      'run',
      dir,
      '--set',
      'model.kind=sim',
      '--set',
      'seeds.sample=60',
      '--set',
      'generation.batch_size=40',
      '--set',
      'pricing.prompt_per_million=0.15',
      '--set',
      'pricing.completion_per_million=0.6',
      '--generations',
      '6',
      '--quiet',
    ]);
  }, 120_000);

  it('the archive per cell: elite count and mean quality, "other" cells apart, a band view', () => {
    expect(ran.status, ran.stderr).toBe(0);
    const store = SqliteRunStore.openReadOnly(dir);
    try {
      const data = collectReportData(store, dir);
      const archive = store.coreState()!.archive;
      const elites = archive.cells.reduce((n, c) => n + c.elites.length, 0);
      expect(data.cells.length).toBe(92);
      expect(data.cells.every((c) => c.skill !== 'other')).toBe(true);
      expect(data.otherCells.every((c) => c.skill === 'other')).toBe(true);
      expect(data.otherCells).toHaveLength(7);
      expect([...data.cells, ...data.otherCells].reduce((n, c) => n + c.elites, 0)).toBe(elites);
      for (const c of data.cells.filter((x) => x.elites > 0)) {
        expect(c.meanQuality).not.toBeNull();
        expect(c.meanQuality!).toBeLessThanOrEqual(c.maxQuality!);
      }
      expect(data.bands.reduce((n, b) => n + b.elites, 0)).toBe(elites);
      expect(new Set(data.bands.map((b) => b.band))).toEqual(
        new Set(['[0, 0.25)', '[0.25, 0.5)', '[0.5, 0.75)', '[0.75, 1]']),
      );
    } finally {
      store.close();
    }
  });

  it('samples favour generated problems and trace them back to a seed', () => {
    const store = SqliteRunStore.openReadOnly(dir);
    try {
      const { samples } = collectReportData(store, dir);
      const origins = samples.map((s) => s.record.origin);
      expect(origins[0]).not.toBe('seed');
      // Every generated sample comes before every seed.
      const firstSeed = origins.indexOf('seed');
      if (firstSeed >= 0) expect(origins.slice(firstSeed).every((o) => o === 'seed')).toBe(true);
      const generated = samples.filter((s) => s.record.origin !== 'seed');
      // One per cell holding a generated elite (all of them: the default shows up to 60 cells).
      const archive = store.coreState()!.archive;
      const origin = new Map(
        store
          .getProblems(archive.cells.flatMap((c) => c.elites.map((e) => e.uid)))
          .map((p) => [p.uid, p.origin]),
      );
      const withGenerated = archive.cells.filter((c) => c.elites.some((e) => origin.get(e.uid) !== 'seed'));
      expect(withGenerated.length).toBeGreaterThan(0);
      expect(generated).toHaveLength(Math.min(60, withGenerated.length));
      for (const s of generated) {
        expect(s.lineage.length).toBeGreaterThan(0);
        expect(s.lineage[0]!.uid).toBe(s.record.parentUids[0]);
      }
      expect(generated.some((s) => s.lineage.at(-1)!.origin === 'seed')).toBe(true);
    } finally {
      store.close();
    }
  });

  it('shows dedup and decontamination once computed, money, and bounded share axes', () => {
    const before = runCli(['report', dir]);
    expect(before.status, before.stderr).toBe(0);
    const first = readFileSync(before.stdout.trim(), 'utf8');
    expect(first).toContain('id="curation"');
    expect(first).toMatch(/Not analysed yet: .*sparq decontaminate/);
    expect(runCli(['decontaminate', dir]).status).toBe(0);
    expect(
      runCli(['select', dir, '--strategy', 'quality', '--n', '20', '--out', join(dir, 'set')]).status,
    ).toBe(0);
    const html = readFileSync(runCli(['report', dir]).stdout.trim(), 'utf8');
    expect(html).not.toMatch(/Not analysed yet/);
    expect(html).toMatch(/<h3>Duplicates<\/h3>\s*<p>\d+ of [\d,]+ problems are duplicates/);
    expect(html).toMatch(/<h3>Contamination<\/h3>/);
    for (const set of ['math500', 'gsm8k', 'svamp', 'olympiadbench'])
      expect(html).toContain(`<td>${set}</td>`);
    expect(html).toMatch(/Spend at the configured prices: <strong>[\d.]+ USD<\/strong>/);
    expect(html).toContain('spend</div>');
    // Share axes end at 100%, whatever the data's spread.
    expect(html).toContain('>100%<');
    expect(html).not.toMatch(/>1[1-9]0%</);
    // k = 8: the bins that no solve-rate can fall in are named, not left to puzzle over.
    expect(html).toContain('With k = 8 attempts a solve-rate is a multiple of 1/8');
  });
});

describe('sparq report', () => {
  it('reports a multi-generation sim run: charts, samples with lineage, bounded size', () => {
    const dir = tempDir();
    expect(
      runCli([
        'run',
        dir,
        '--set',
        'model.kind=sim',
        '--set',
        'seeds.sample=80',
        '--set',
        'generation.batch_size=40',
        '--generations',
        '4',
        '--quiet',
      ]).status,
    ).toBe(0);
    const r = runCli(['report', dir]);
    expect(r.status, r.stderr).toBe(0);
    const file = r.stdout.trim();
    const html = readFileSync(file, 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(7);
    expect(html).toContain('id="samples"');
    expect(html).toContain('<ol class="lineage">');
    expect(html).not.toMatch(/<script/i);
    expect(statSync(file).size).toBeLessThan(3_000_000);
  });

  it('includes evaluation and scaling results found in the run directory', () => {
    const dir = tempDir();
    expect(
      runCli([
        'run',
        dir,
        '--set',
        'model.kind=sim',
        '--set',
        'seeds.sample=20',
        '--set',
        'generation.batch_size=10',
        '--generations',
        '1',
        '--quiet',
      ]).status,
    ).toBe(0);
    const evalFile = join(tempDir(), 'eval.json');
    writeFileSync(
      evalFile,
      JSON.stringify({
        model: 'sim-1',
        benchmark: { name: 'math500', items: 500 },
        metrics: { pass1: { value: 0.61, ci: [0.57, 0.65] } },
      }),
    );
    expect(runCli(['report', dir, '--eval', evalFile]).status).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).toContain('id="evaluation"');
    expect(html).toContain('0.610 [0.570, 0.650]');
  });

  it('bad arguments get clear errors', () => {
    expect(runCli(['report', tempDir()]).stderr).toMatch(/is not a sparq run directory/);
    const dir = probeRun();
    expect(runCli(['report', dir, '--eval', '/no/such.json']).stderr).toMatch(
      /no such file: \/no\/such\.json/,
    );
    expect(runCli(['report', dir, '--out', '/no/such/dir/r.html']).stderr).toMatch(/cannot write/);
  });

  it('stays small for a 100,000-problem pool', async () => {
    const dir = tempDir();
    const store = SqliteRunStore.open(dir);
    const archive = new Archive(5, 99);
    const metrics = (g: number) => ({
      generation: g,
      cells: 99,
      occupied: 60,
      coverage: 0.6,
      elites: 300,
      qdScore: 100 + g,
      normalizedQdScore: 0.2,
      meanQuality: 0.5,
      maxQuality: 0.9,
      evaluated: 1000,
      rejected: 10,
      parseValidRate: 0.99,
      verifiedShare: 0.9,
      disputedShare: 0.05,
      solveRateZeroShare: 0.1,
      solveRateOneShare: 0.1,
      solveRateHistogram: [100, 90, 90, 90, 90, 90, 90, 90, 90, 90, 90],
      distinctSkills: 60,
      inserted: { NEW: 1, IMPROVED: 50, NOT_ADDED: 900 },
    });
    const long = 'x + y = z, '.repeat(40);
    for (let g = 0; g < 100; g++) {
      const problems = Array.from({ length: 1000 }, (_, i) => {
        const p = record(`g${g}-t${i}`, `$${long}$ ${i}`, g, g ? [`g${g - 1}-t${i}`] : [], (i % 10) / 10);
        p.textHash = p.uid;
        p.skill = `skill ${i % 90}`;
        return p;
      });
      for (const p of problems.slice(0, 50))
        archive.add({
          uid: p.uid,
          cell: { subject: 'Algebra', skill: p.skill!, band: null },
          quality: p.quality!,
          solveRate: p.solveRate!,
          fingerprint: [g],
        });
      commitEpoch(store, {
        generation: g,
        startedAt: '',
        problems,
        rejections: [],
        metrics: metrics(g),
        archive: archive.toState(),
        counters: {},
      });
    }
    store.close();
    const out = join(dir, 'report.html');
    const bytes = await writeReport(dir, out);
    expect(bytes).toBeLessThan(4_000_000);
  }, 120_000);

  const requireBrowser = process.env.CI_REQUIRE_BROWSER === '1';
  it.skipIf(!browserAvailable() && !requireBrowser)(
    'opens in a real browser: no errors, no failed requests, charts present, no XSS',
    async () => {
      expect(
        browserAvailable(),
        'Chromium is required here (CI_REQUIRE_BROWSER=1): apt-get install -y chromium',
      ).toBe(true);
      const runs = [tempDir(), probeRun()];
      expect(
        runCli([
          'run',
          runs[0]!,
          '--set',
          'model.kind=sim',
          '--set',
          'seeds.sample=60',
          '--set',
          'generation.batch_size=30',
          '--generations',
          '3',
          '--quiet',
        ]).status,
      ).toBe(0);
      expect(runCli(['decontaminate', runs[0]!]).status).toBe(0);
      const browser = await launchBrowser();
      try {
        for (const dir of runs) {
          expect(runCli(['report', dir]).status).toBe(0);
          const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
          const problems: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') problems.push(`console: ${m.text()}`);
          });
          page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
          page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
          page.on('request', (r) => {
            if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
          });
          await page.goto(`file://${join(dir, 'report.html')}`);
          await page.evaluate(() => {
            document.querySelectorAll('details').forEach((d) => {
              d.open = true;
            });
          });
          await page.waitForTimeout(200);
          expect(problems).toEqual([]);
          expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(5);
          expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
          expect(
            await page.locator('script, iframe, img, [onerror], [onload], a[href^="javascript:"]').count(),
          ).toBe(0);
          if (dir === runs[0]) {
            // What a reader sees: rendered math (no raw environments), the archive counts, the
            // curation results, and a sample with its lineage open at the top.
            const text = await page.evaluate(() => document.body.innerText);
            expect(text).not.toMatch(/\\begin\{(align|cases|array)/);
            expect(text).toMatch(/of the taxonomy's 92 \(subject × skill\) cells occupied/);
            expect(text).toMatch(/share a 13-gram with an evaluation set/);
            expect(await page.locator('details.sample[open] ol.lineage li').count()).toBeGreaterThan(0);
            expect(
              await page.locator('#archive ~ .chart svg text', { hasText: /^[1-5]$/ }).count(),
            ).toBeGreaterThan(0);
          }
          await page.screenshot({ path: join(dir, 'report.png'), fullPage: true });
          expect(statSync(join(dir, 'report.png')).size).toBeGreaterThan(10_000);
          await page.close();
        }
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
