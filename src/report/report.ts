/**
 * `sparq report`: one self-contained, static HTML file (no scripts, no network) that shows what a
 * run did and what it produced. Every string that came from a model is escaped or rendered as
 * math by KaTeX; the page's CSP forbids scripts and fetches as a second line of defence.
 */
import { HISTOGRAM_LABELS } from '../core/metrics.js';
import { formatMoney } from '../engine/cost.js';
import {
  bandHeatmap,
  barChart,
  cellHeatmap,
  EMPTY_CELL,
  operatorChart,
  overGenerations,
  QUALITY_GRADIENT,
  scatterWithLines,
  solveRateHistogram,
  toSvg,
} from './charts.js';
import type { CurationResults, ReportData, Sample } from './data.js';
import { card, escapeHtml, formatNumber, page, pct, table } from './html.js';
import { renderMathText } from './math.js';

const MAX_TEXT = 2500;

function clip(text: string, max = MAX_TEXT): string {
  return text.length > max
    ? `${text.slice(0, max)}\n[... ${formatNumber(text.length - max)} more characters]`
    : text;
}

export async function renderReport(data: ReportData): Promise<string> {
  const last = data.generations[data.generations.length - 1];
  const c = data.counters;
  const config = data.config;
  const sections: string[] = [];

  sections.push(`<h1>sparq run report</h1>
<p class="muted">${escapeHtml(data.dir)} &middot; run ${escapeHtml(data.runId ?? '?')} &middot; created ${escapeHtml(data.createdAt ?? '?')} &middot; sparq ${escapeHtml(data.sparqVersion ?? '?')}
&middot; model ${escapeHtml(config?.model?.model ?? '?')} &middot; seed ${escapeHtml(config?.seed ?? '?')} &middot; k ${escapeHtml(config?.solver?.k ?? '?')}
&middot; selection ${escapeHtml(config?.selection?.strategy ?? '?')}</p>
<nav><a href="#archive">Archive</a><a href="#progress">Progress</a><a href="#solve-rates">Solve-rates</a><a href="#quality">Quality control</a><a href="#operators">Operators</a><a href="#curation">Curation</a><a href="#spend">Spend</a><a href="#samples">Samples</a>${data.evals.length ? '<a href="#evaluation">Evaluation</a>' : ''}${data.scaling.length ? '<a href="#scaling">Scaling</a>' : ''}</nav>`);

  const t = data.totals;
  sections.push(`<div class="cards">
${card('problems in the pool', formatNumber(t.problems))}
${card('seeds / generated', `${formatNumber(t.seeds)} / ${formatNumber(t.problems - t.seeds)}`)}
${card('verified', pct(t.problems ? t.verified / t.problems : 0))}
${card('disputed', pct(t.problems ? t.disputed / t.problems : 0))}
${card('rejected outputs', formatNumber(t.rejected))}
${card('generations', formatNumber(last ? last.generation : 0))}
${card('coverage of the taxonomy', last ? pct(last.coverage) : '-')}
${card('QD-score', last ? last.qdScore.toFixed(2) : '-')}
${card('mean elite quality', last ? last.meanQuality.toFixed(3) : '-')}
${card('requests sent', formatNumber(c.requests_sent ?? 0))}
${data.cost ? card('spend', formatMoney(data.cost.amount, data.cost.currency)) : ''}
</div>`);

  // Archive
  const occupied = data.cells.filter((x) => x.elites > 0).length;
  const other = data.otherCells.filter((x) => x.elites > 0);
  const otherElites = other.reduce((n, x) => n + x.elites, 0);
  // Bands, when they are a dimension, are folded into their (subject, skill) cell here.
  const bands = config?.archive?.difficulty_dimension
    ? (config.archive.difficulty_bands?.length ?? 0) + 1
    : 1;
  const capacity = config?.archive?.cell_capacity ? config.archive.cell_capacity * bands : null;
  sections.push(`<h2 id="archive">Archive</h2>
<p>${formatNumber(occupied)} of the taxonomy's ${formatNumber(data.cells.length)} (subject &times; skill) cells occupied${last ? `; ${formatNumber(last.elites)} elites` : ''}.
The per-subject &ldquo;other&rdquo; cells, for skills the model named outside the taxonomy, are left out of coverage: ${formatNumber(other.length)} of ${formatNumber(data.otherCells.length)} hold ${formatNumber(otherElites)} elites.</p>
<div class="chart">${await toSvg(cellHeatmap(data.cells, capacity))}</div>
<div class="legend"><span>mean quality 0</span><span class="gradient" style="background: ${QUALITY_GRADIENT}"></span><span>1</span><span class="swatch" style="background: ${EMPTY_CELL}"></span><span>empty</span></div>
<div class="chart">${await toSvg(bandHeatmap(data.bands))}</div>`);

  // Progress
  if (data.generations.length > 0) {
    const note =
      data.generationsTotal > data.generations.length
        ? `<p class="muted">${formatNumber(data.generations.length)} of ${formatNumber(data.generationsTotal)} generations plotted (evenly spaced).</p>`
        : '';
    sections.push(`<h2 id="progress">Progress over generations</h2>${note}
<div class="charts">
<div class="chart">${await toSvg(
      overGenerations(
        data.generations,
        [
          { key: 'coverage', label: 'coverage' },
          { key: 'normalizedQdScore', label: 'normalized QD-score' },
          { key: 'meanQuality', label: 'mean elite quality' },
        ],
        'Coverage, normalized QD-score, mean elite quality',
        'value (0 to 1)',
        'unit',
      ),
    )}</div>
<div class="chart">${await toSvg(overGenerations(data.generations, [{ key: 'qdScore', label: 'QD-score' }], 'QD-score (sum of elite qualities)', 'QD-score'))}</div>
</div>`);

    sections.push(`<h2 id="solve-rates">Solve-rates</h2>
<div class="chart">${await toSvg(solveRateHistogram(data.generations))}</div>
${table(
  ['generation', ...HISTOGRAM_LABELS],
  data.generations.slice(-5).map((g) => [g.generation, ...g.solveRateHistogram]),
  [true, ...HISTOGRAM_LABELS.map(() => true)],
)}<p class="muted">Counts of the last generations shown; solve-rate 0 means no attempt reached the reference (unverified).${config?.solver?.adaptive?.enabled ? '' : aliasNote(config?.solver?.k)}</p>`);

    const shares = data.generations.map((g) => ({
      ...g,
      rejectedShare: g.evaluated + g.rejected ? g.rejected / (g.evaluated + g.rejected) : 0,
    }));
    sections.push(`<h2 id="quality">Quality control</h2>
<div class="charts">
<div class="chart">${await toSvg(
      overGenerations(
        shares as typeof data.generations,
        [
          { key: 'verifiedShare', label: 'verified' },
          { key: 'disputedShare', label: 'disputed' },
          { key: 'rejectedShare' as never, label: 'rejected (of outputs)' },
        ],
        'Verified, disputed and rejected shares',
        'share',
        'share',
      ),
    )}</div>
${
  data.rejectionReasons.length
    ? `<div class="chart">${await toSvg(
        barChart(
          data.rejectionReasons.map((r) => ({ label: r.reason, value: r.count })),
          'Rejection reasons',
          'rejected outputs',
        ),
      )}</div>`
    : '<p>No output was rejected.</p>'
}
</div>`);
  }

  // Operators
  if (data.operators.length > 0) {
    sections.push(`<h2 id="operators">Operators</h2>
<div class="chart">${await toSvg(operatorChart(data.operators))}</div>
${table(
  [
    'operator',
    'tasks',
    'NEW',
    'IMPROVED',
    'NOT_ADDED',
    'unverified',
    'rejected',
    'accepted into the archive',
  ],
  data.operators.map((o) => [
    escapeHtml(o.operator),
    o.tasks,
    o.NEW,
    o.IMPROVED,
    o.NOT_ADDED,
    o.unverified,
    o.rejected,
    pct(o.tasks ? (o.NEW + o.IMPROVED) / o.tasks : 0),
  ]),
  [false, true, true, true, true, true, true, true],
)}`);
  }

  sections.push(renderCuration(data.curation, data.dir));

  // Spend
  const faults = Object.entries(c).filter(([k]) => k.startsWith('fault_'));
  sections.push(`<h2 id="spend">Spend and faults</h2>
${table(
  [
    'requests sent',
    'answered from cache',
    'prompt tokens',
    'completion tokens',
    'retries',
    'failed requests',
    'unknown skill labels',
    'attempts cut at max_tokens',
    'problems with every attempt cut',
    'mutations cut',
  ],
  [
    [
      c.requests_sent ?? 0,
      c.cache_hits ?? 0,
      c.prompt_tokens ?? 0,
      c.completion_tokens ?? 0,
      c.retries ?? 0,
      c.failures ?? 0,
      c.unknown_labels ?? 0,
      c.truncated_attempts ?? 0,
      c.all_truncated ?? 0,
      c.rejected_truncated ?? 0,
    ],
  ],
  [true, true, true, true, true, true, true, true, true, true],
)}
${
  data.cost
    ? `<p>Spend at the configured prices: <strong>${escapeHtml(formatMoney(data.cost.amount, data.cost.currency))}</strong>${data.cost.batchAmount > 0 ? `, of which ${escapeHtml(formatMoney(data.cost.batchAmount, data.cost.currency))} through batch files at ${escapeHtml(pct(data.cost.batchDiscount))} off` : ''}.</p>`
    : '<p class="muted">No <code>pricing</code> in the configuration: spend is shown in tokens only.</p>'
}
<p class="muted">Malformed content: well-formed responses whose content broke the requested format. Counted apart from the transport faults below (a body cut mid-JSON is a <code>malformed_response</code> fault and is retried).</p>
${table(
  [
    'solve attempts with no final answer',
    'problems with no attempt that could count',
    'labels not in the requested format',
    'labels asked again',
    'mutations unparseable or without a final answer',
  ],
  [
    [
      c.no_answer_attempts ?? 0,
      c.no_answer_problems ?? 0,
      c.malformed_labels ?? 0,
      c.label_reasks ?? 0,
      (c.rejected_unparseable ?? 0) + (c.rejected_no_final_answer ?? 0),
    ],
  ],
  [true, true, true, true, true],
)}
${
  faults.length
    ? table(
        ['fault', 'count'],
        faults.map(([k, v]) => [escapeHtml(k.slice('fault_'.length)), v]),
        [false, true],
      )
    : '<p>No faults.</p>'
}
${data.generations.length ? `<div class="chart">${await toSvg(overGenerations(data.generations.map((g) => ({ ...g, requests: g.spend.requests ?? 0 })) as typeof data.generations, [{ key: 'requests' as never, label: 'requests' }], "Requests of each generation's tasks (sent or answered from the cache)", 'requests'))}</div>` : ''}`);

  // Samples
  sections.push(`<h2 id="samples">Sample problems</h2>
<p class="muted">The best generated elite of each cell (${formatNumber(data.samples.length)} cells; generated problems first, hardest first; a seed only where a cell holds no generated problem), with its solution, solve statistics and lineage (its first parent, that parent's first parent, and so on: up to 6, back to the seed).</p>
${data.samples.map((sample, i) => renderSample(sample, i === 0)).join('\n')}`);

  if (data.evals.length) sections.push(renderEvals(data.evals));
  if (data.scaling.length) sections.push(await renderScaling(data.scaling));

  return page(`sparq report ${data.runId ?? ''}`, sections.join('\n'));
}

/** With fewer than 10 attempts, solve-rates are multiples of 1/k and some tenths can hold none. */
function aliasNote(k: number | undefined): string {
  if (k === undefined || k >= 10) return '';
  const empty = Array.from({ length: 10 }, (_, i) => i).filter(
    (i) =>
      !Array.from({ length: k }, (_, c) => (c + 1) / k).some((r) => r > i / 10 && r <= (i + 1) / 10 + 1e-9),
  );
  return empty.length
    ? ` With k = ${k} attempts a solve-rate is a multiple of 1/${k}, so ${empty.map((i) => `(${(i / 10).toFixed(1)}, ${((i + 1) / 10).toFixed(1)}]`).join(' and ')} cannot hold a problem.`
    : '';
}

function renderCuration(c: CurationResults | null, dir: string): string {
  const head = '<h2 id="curation">Deduplication and decontamination</h2>';
  const hint = `<code>sparq select ${escapeHtml(dir)} …</code> or <code>sparq decontaminate ${escapeHtml(dir)}</code>`;
  if (c === null) return `${head}<p class="muted">The curation results of this run could not be read.</p>`;
  const notes = c.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('');
  if (!c.dedup && !c.decontamination)
    return `${head}${notes}<p class="muted">${c.notes.length ? 'None shown' : 'Not analysed yet'}: ${hint} computes duplicates and contamination, and the next report shows them.</p>`;
  const stale = (current: boolean, problems: number) =>
    current
      ? ''
      : ` <span class="tag">computed on ${formatNumber(problems)} problems; the pool has grown since</span>`;
  const parts = [head, notes];
  if (c.dedup) {
    const m = c.dedup.summary;
    parts.push(`<h3>Duplicates</h3>
<p>${formatNumber(m.duplicates)} of ${formatNumber(m.problems)} problems are duplicates (${formatNumber(m.exactDuplicates)} exact, ${formatNumber(m.nearDuplicates)} near at MinHash Jaccard &ge; ${escapeHtml(c.dedup.settings.threshold)}; ${formatNumber(m.duplicatesOfSeedFile)} of seed-file problems), in ${formatNumber(m.clusters)} clusters, the largest of ${formatNumber(m.largestCluster)}.${stale(c.dedup.current, m.problems)}</p>`);
  }
  if (c.decontamination) {
    const m = c.decontamination.summary;
    parts.push(`<h3>Contamination</h3>
<p>${formatNumber(m.contaminated)} of ${formatNumber(m.problems)} problems share a ${escapeHtml(m.ngram)}-gram with an evaluation set (${formatNumber(m.contaminatedSeeds)} seeds, ${formatNumber(m.contaminatedGenerated)} generated).${stale(c.decontamination.current, m.problems)}</p>
${table(
  ['evaluation set', 'items', 'contaminated problems', 'of them seeds', 'generated'],
  m.sets.map((x) => [escapeHtml(x.name), x.items, x.contaminated, x.seeds, x.generated]),
  [false, true, true, true, true],
)}`);
    const examples = Object.entries(c.examples).flatMap(([set, list]) => list.map((e) => ({ set, ...e })));
    if (examples.length)
      parts.push(`<p class="muted">The most overlapping problems of each set:</p>
${table(
  ['set', 'item', 'overlap', 'origin', 'problem'],
  examples.map((e) => [
    escapeHtml(e.set),
    escapeHtml(e.itemId),
    pct(e.overlap),
    escapeHtml(e.origin),
    renderMathText(clip(e.problem, 300)),
  ]),
  [false, false, true, false, false],
)}`);
  }
  return parts.join('\n');
}

function renderSample(s: Sample, open: boolean): string {
  const p = s.record;
  const lineage = s.lineage.length
    ? `<ol class="lineage">${s.lineage
        .map(
          (l) =>
            `<li><span class="tag">${escapeHtml(l.origin)}</span><span class="tag">gen ${escapeHtml(l.generation)}</span><span class="tag">solve-rate ${l.solveRate === null ? '-' : escapeHtml(l.solveRate.toFixed(2))}</span> ${renderMathText(clip(l.problem, 400))} <span class="muted">(${escapeHtml(l.uid)})</span></li>`,
        )
        .join(
          '',
        )}</ol>${s.lineageCut ? `<p class="muted">The chain goes on: ${s.lineage.length} ancestors shown (<code>sparq show</code> gives any of them with its own parents).</p>` : ''}`
    : '<p class="muted">A seed problem: no parents.</p>';
  return `<details class="sample"${open ? ' open' : ''}><summary>${escapeHtml(s.cell)} &middot; solve-rate ${escapeHtml((p.solveRate ?? 0).toFixed(2))} &middot; ${escapeHtml(p.origin)}, generation ${escapeHtml(p.generation)}${s.lineage.length ? ` &middot; ${s.lineage.length}${s.lineageCut ? '+' : ''} ancestor${s.lineage.length === 1 ? '' : 's'}` : ''}</summary>
<div class="problem">${renderMathText(clip(p.problem))}</div>
<p><span class="tag">reference answer</span>${renderMathText(`$${p.answer.replace(/\$/g, '')}$`)}
<span class="tag">majority</span>${p.majorityAnswer === null ? '-' : renderMathText(`$${p.majorityAnswer.replace(/\$/g, '')}$`)} (${escapeHtml(p.majorityShare === null ? '-' : pct(p.majorityShare))})
<span class="tag">attempts</span>${escapeHtml(`${p.correct}/${p.attempts.length} correct`)}${p.disputed ? ' <span class="tag">disputed</span>' : ''}</p>
<p class="muted">uid ${escapeHtml(p.uid)} &middot; template ${escapeHtml(p.templateRef ?? '-')} &middot; model ${escapeHtml(p.model ?? '-')} &middot; archive ${escapeHtml(p.archiveStatus ?? '-')}</p>
<h3>Solution</h3><div class="solution">${renderMathText(clip(p.solution))}</div>
<h3>Lineage</h3>${lineage}
</details>`;
}

type Json = Record<string, unknown>;

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A metric as "value [lo, hi]" from the shapes eval files use ({value, ci: [lo, hi]} or a number). */
function metric(v: unknown): string {
  if (typeof v === 'number') return v.toFixed(3);
  if (v && typeof v === 'object') {
    const m = v as Json;
    const value = num(m.value) ?? num(m.mean) ?? num(m.estimate);
    const ci = (Array.isArray(m.ci) ? m.ci : Array.isArray(m.ci95) ? m.ci95 : null) as unknown[] | null;
    const lo = num(ci?.[0] ?? m.lo ?? m.low);
    const hi = num(ci?.[1] ?? m.hi ?? m.high);
    if (value !== null)
      return lo !== null && hi !== null
        ? `${value.toFixed(3)} [${lo.toFixed(3)}, ${hi.toFixed(3)}]`
        : value.toFixed(3);
  }
  return '-';
}

function renderEvals(evals: { file: string; data: Json }[]): string {
  const rows = evals.map(({ file, data }) => {
    const bench = data.benchmark as Json | string | undefined;
    const benchName = typeof bench === 'string' ? bench : ((bench?.name as string | undefined) ?? '?');
    const metrics = (data.metrics ?? {}) as Json;
    const model =
      typeof data.model === 'string'
        ? data.model
        : (((data.model as Json | undefined)?.name as string | undefined) ?? '?');
    const items =
      num((bench as Json | undefined)?.items) ??
      num(data.n) ??
      (Array.isArray(data.items) ? data.items.length : null);
    const keys = Object.keys(metrics).filter((k) => k !== 'breakdowns');
    return [
      escapeHtml(benchName),
      escapeHtml(model),
      items ?? '-',
      keys.map((k) => `${escapeHtml(k)}: ${escapeHtml(metric(metrics[k]))}`).join('<br>'),
      `<span class="muted">${escapeHtml(file)}</span>`,
    ];
  });
  return `<h2 id="evaluation">Evaluation</h2>${table(['benchmark', 'model', 'items', 'metrics (95% CI)', 'file'], rows, [false, false, true, false, false])}`;
}

async function renderScaling(files: { file: string; data: Json }[]): Promise<string> {
  const parts: string[] = ['<h2 id="scaling">Scaling</h2>'];
  for (const { file, data } of files) {
    const points = ((data.points ?? []) as Json[])
      .map((p) => ({ x: num(p.x) ?? 0, y: num(p.y) ?? num(p.accuracy) ?? 0 }))
      .filter((p) => p.x > 0);
    const fits = ((data.fits ?? []) as Json[]).filter((f) => Array.isArray(f.curve));
    const lines = fits.flatMap((f) =>
      (f.curve as Json[]).map((pt) => ({
        name: String(f.name ?? f.model ?? 'fit'),
        x: num(pt.x) ?? 0,
        y: num(pt.y) ?? 0,
      })),
    );
    parts.push(`<h3>${escapeHtml(file)}</h3>`);
    if (points.length)
      parts.push(
        `<div class="chart">${await toSvg(scatterWithLines(points, lines, 'Accuracy against size', String(data.x ?? 'size'), String(data.y ?? 'accuracy')))}</div>`,
      );
    const fitRows = ((data.fits ?? []) as Json[]).map((f) => [
      escapeHtml(String(f.name ?? f.model ?? '?')),
      escapeHtml(JSON.stringify(f.params ?? {})),
      escapeHtml(num(f.r2)?.toFixed(4) ?? '-'),
    ]);
    if (fitRows.length) parts.push(table(['fit', 'parameters', 'R²'], fitRows));
  }
  return parts.join('\n');
}
