/**
 * Markdown summaries of eval, compare and scaling results, printed and written next to the JSON.
 * Every string that came from a file or a model goes through `escapeMarkdown` (names, subjects)
 * or `codeSpan` (ids, answers, paths: verbatim text), so a `|` in an answer cannot break a table
 * and a `<script>` in a model's output cannot become markup where the markdown is rendered.
 */
import type { CompareFile, EvalFile, MetricWithCI, ScalingFile } from './types.js';

/**
 * Escapes text for a markdown table cell or heading: the characters that start inline markup
 * (emphasis, code, links, strike-through), table pipes, HTML tags, and line breaks. Characters
 * that only matter at the start of a line (`#`, `-`, `1.`) are left alone: cells never start a line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n|\r/g, ' ');
}

/**
 * Verbatim text (an id, a LaTeX answer) as a code span: nothing inside is markup or HTML, so only
 * the table pipe needs escaping (GFM reads `\|` as a pipe even in code), and the fence is made
 * longer than any run of backticks inside.
 */
export function codeSpan(text: string): string {
  const flat = text.replace(/\r?\n|\r/g, ' ').replace(/\|/g, '\\|');
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** A model-written answer, shortened: these can be whole paragraphs when extraction fell back. */
function answerCell(text: string | null, max = 60): string {
  if (text === null) return '*(none)*';
  return codeSpan(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

const pct = (v: number) => `${(100 * v).toFixed(1)}`;

export function formatMetric(m: MetricWithCI | undefined): string {
  if (!m) return '-';
  return `${pct(m.value)} [${pct(m.ci[0])}, ${pct(m.ci[1])}]`;
}

function table(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const align = header.map((_, i) => (numeric[i] ? '---:' : '---'));
  return [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

const MAX_EXAMPLES = 10;

export function evalMarkdown(result: EvalFile): string {
  const names = Object.keys(result.metrics);
  const lines: string[] = [];
  const b = result.benchmark;
  lines.push(`## ${escapeMarkdown(b.name)}: ${escapeMarkdown(result.model.name)}`);
  lines.push('');
  const fewShot = result.prompt.fewShot ? `, ${result.prompt.fewShot.n}-shot` : ', zero-shot';
  const s = result.sampling;
  lines.push(
    `${b.items} of ${b.totalItems} items · template ${escapeMarkdown(result.prompt.templateRef)}${fewShot} · ` +
      `${s.samples} sample${s.samples === 1 ? '' : 's'} at temperature ${s.temperature}` +
      `${s.temperature > 0 ? `, top-p ${s.topP}` : ' (greedy)'} · max tokens ${s.maxTokens} · seed ${s.seed}`,
  );
  lines.push('');
  lines.push(
    `Percentages with ${Math.round(100 * result.bootstrap.confidence)}% bootstrap intervals over items.`,
  );
  lines.push('');
  lines.push(
    table(
      ['metric', 'value'],
      names.map((n) => [codeSpan(n), formatMetric(result.metrics[n])]),
      [false, true],
    ),
  );
  for (const [dimension, rows] of [
    ['subject', result.breakdowns.subject],
    ['level', result.breakdowns.level],
  ] as const) {
    if (rows.length === 0) continue;
    const shown = names.filter((n) => n !== 'no_answer_rate');
    lines.push('');
    lines.push(`### By ${dimension}`);
    lines.push('');
    lines.push(
      table(
        [dimension, 'items', ...shown.map(escapeMarkdown)],
        rows.map((r) => [
          escapeMarkdown(r.key),
          String(r.items),
          ...shown.map((n) => formatMetric(r.metrics[n])),
        ]),
        [false, true, ...shown.map(() => true)],
      ),
    );
  }
  const wrong = result.items.filter((it) => !it.majority.correct);
  if (wrong.length > 0) {
    lines.push('');
    lines.push(
      `### First ${Math.min(MAX_EXAMPLES, wrong.length)} of ${wrong.length} items answered wrong (majority answer)`,
    );
    lines.push('');
    lines.push(
      table(
        ['id', 'reference', 'answer', 'rule'],
        wrong.slice(0, MAX_EXAMPLES).map((it) => {
          const rep = it.answers.findIndex((a) => a !== null && a === it.majority.answer);
          return [
            codeSpan(it.id),
            answerCell(it.gold),
            answerCell(it.majority.answer),
            escapeMarkdown(rep >= 0 ? it.rules[rep]! : (it.rules[0] ?? '')),
          ];
        }),
      ),
    );
  }
  if (result.truncatedSamples > 0) {
    lines.push('');
    lines.push(
      `${result.truncatedSamples} sample${result.truncatedSamples === 1 ? ' was' : 's were'} cut off at max tokens (finish reason \`length\`).`,
    );
  }
  // Files of sparq 0.2.0 and before have no count.
  const refused = result.items.filter((it) => it.refused !== undefined);
  if (refused.length > 0) {
    lines.push('');
    lines.push(
      `${refused.length} item${refused.length === 1 ? ' was' : 's were'} refused by the server and counted wrong: ${refused
        .slice(0, 10)
        .map((it) => `${escapeMarkdown(it.id)} (${it.refused!.reason})`)
        .join(
          ', ',
        )}${refused.length > 10 ? ', ...' : ''}. A smaller --max-tokens or fewer few-shot examples lets an item over the context be scored.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const p = (v: number) => (v < 0.0001 ? v.toExponential(1) : v.toFixed(4));
const signedPct = (v: number) => `${v >= 0 ? '+' : ''}${pct(v)}`;

export function compareMarkdown(result: CompareFile): string {
  const lines: string[] = [];
  lines.push(`## Comparison (alpha = ${result.alpha})`);
  lines.push('');
  lines.push(
    'Differences are B - A in percentage points on the items both evals contain, with paired bootstrap intervals; McNemar tests the per-item outcomes.',
  );
  for (const bench of result.benchmarks) {
    lines.push('');
    lines.push(
      `### ${escapeMarkdown(bench.benchmark.name)}: A = ${escapeMarkdown(bench.a.label ?? bench.a.model)}, B = ${escapeMarkdown(bench.b.label ?? bench.b.model)}`,
    );
    lines.push('');
    lines.push(
      `${bench.commonItems} common items${bench.onlyInA || bench.onlyInB ? ` (${bench.onlyInA} only in A, ${bench.onlyInB} only in B, left out)` : ''}.`,
    );
    lines.push('');
    lines.push(
      table(
        ['metric', 'A', 'B', 'B - A [95% CI]', 'p (bootstrap)'],
        bench.metrics.map((m) => [
          codeSpan(m.name),
          pct(m.a),
          pct(m.b),
          `${signedPct(m.diff.value)} [${signedPct(m.diff.ci[0])}, ${signedPct(m.diff.ci[1])}]`,
          p(m.pBootstrap),
        ]),
        [false, true, true, true, true],
      ),
    );
    const mc = bench.mcnemar;
    lines.push('');
    lines.push(
      `McNemar on ${escapeMarkdown(mc.outcome)}: both right ${mc.bothCorrect}, only A ${mc.onlyA}, only B ${mc.onlyB}, both wrong ${mc.bothWrong}; ` +
        `${mc.test === 'none' ? 'no discordant items' : `${mc.test}${mc.statistic === null ? '' : `, statistic ${mc.statistic.toFixed(3)}`}`}, p = ${p(mc.pValue)}.`,
    );
    lines.push('');
    lines.push(
      `**${bench.verdict === 'b-better' ? 'B is better' : bench.verdict === 'a-better' ? 'A is better' : 'No significant difference'}**${bench.verdict === 'no-significant-difference' ? '' : ` (p < ${result.alpha})`}.`,
    );
    for (const w of bench.warnings) lines.push(`\n> note: ${escapeMarkdown(w)}`);
  }
  for (const u of result.unmatched)
    lines.push(
      `\n> ${escapeMarkdown(u.benchmark)} (${codeSpan(u.file)}) is only in ${u.side.toUpperCase()}: not compared.`,
    );
  return `${lines.join('\n')}\n`;
}

const num = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(4) : v.toFixed(4);

export function scalingMarkdown(result: ScalingFile): string {
  const lines: string[] = [`## Scaling of ${codeSpan(result.y)} with ${codeSpan(result.x)}`, ''];
  lines.push(
    table(
      ['series', 'x', escapeMarkdown(result.y), 'file'],
      result.points.map((pt) => [
        escapeMarkdown(pt.series),
        String(pt.x),
        `${pct(pt.y)}${pt.ci ? ` [${pct(pt.ci[0])}, ${pct(pt.ci[1])}]` : ''}`,
        codeSpan(pt.file),
      ]),
      [false, true, true, false],
    ),
  );
  lines.push('');
  lines.push(
    table(
      ['fit', 'formula', 'parameters', 'R²', 'residuals (pp)'],
      result.fits.map((f) => [
        escapeMarkdown(f.name),
        codeSpan(f.formula),
        Object.entries(f.params)
          .map(([k, v]) => `${escapeMarkdown(k)} = ${num(v)}`)
          .join(', '),
        f.r2.toFixed(4),
        f.residuals.map((r) => signedPct(r.residual)).join(', '),
      ]),
      [false, false, false, true, false],
    ),
  );
  for (const f of result.fits)
    if (f.warning) lines.push(`\n> warning: ${escapeMarkdown(f.name)}: ${escapeMarkdown(f.warning)}`);
  for (const s of result.skipped)
    lines.push(
      `\n> ${escapeMarkdown(s.series)} ${escapeMarkdown(s.model)} not fitted: ${escapeMarkdown(s.reason)}`,
    );
  return `${lines.join('\n')}\n`;
}
