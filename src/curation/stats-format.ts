/** The terminal form of `sparq stats`: one table per distribution, every label escaped. */
import type { GroupRow, PoolStats } from './stats.js';
import { escapeTerminal, shown, table } from './terminal.js';

const num = (n: number) => n.toLocaleString('en-US');
const pct = (a: number, b: number) => (b === 0 ? '-' : `${((100 * a) / b).toFixed(1)}%`);
const rate = (x: number | null) => (x === null ? '-' : x.toFixed(3));
const BAR = 30;

function bar(count: number, max: number): string {
  return max === 0 ? '' : '#'.repeat(Math.round((BAR * count) / max));
}

function groupCells(r: GroupRow): string[] {
  return [num(r.problems), pct(r.verified, r.problems), rate(r.meanSolveRate)];
}

export function formatPoolStats(dir: string, s: PoolStats): string {
  const p = s.problems;
  const out: string[] = [
    `run ${escapeTerminal(dir)} (id ${escapeTerminal(s.run.runId ?? '?')}, model ${escapeTerminal(s.run.model ?? '?')}, ${num(s.run.generations)} generations)`,
    `problems: ${num(p.total)} (${Object.entries(p.byOrigin)
      .map(([k, v]) => `${escapeTerminal(k)} ${num(v)}`)
      .join(
        ', ',
      )}); verified ${pct(p.verified, p.total)}, unverified ${pct(p.unverified, p.total)}, disputed ${pct(p.disputed, p.total)}`,
    '',
    'Difficulty: solve-rate of verified problems (lower is harder)',
  ];
  const d = s.difficulty;
  const max = Math.max(0, ...d.bins.map((b) => b.count));
  out.push(
    table(
      ['solve-rate', 'problems', 'share', ''],
      [
        ...d.bins.map((b, i) => [
          `${i === 0 ? '[' : '('}${b.lo.toFixed(2)}, ${b.hi.toFixed(2)}]`,
          num(b.count),
          pct(b.count, d.verified),
          bar(b.count, max),
        ]),
      ],
      [1, 2],
    ),
    `verified ${num(d.verified)} (mean solve-rate ${rate(d.meanSolveRate)}, solved by every attempt ${num(d.solvedByAll)}); unverified (solve-rate 0) ${num(d.unverified)}${d.notEvaluated ? `; not evaluated ${num(d.notEvaluated)}` : ''}`,
    '',
    'Subjects',
    table(
      ['subject', 'problems', 'verified', 'mean solve-rate'],
      s.subjects.map((r) => [shown(r.subject, 40), ...groupCells(r)]),
      [1, 2, 3],
    ),
    '',
    `Skills (${num(s.skills.distinct)} subject/skill pairs${s.skills.shown.length < s.skills.distinct ? `, top ${s.skills.shown.length} shown; --top 0 shows all` : ''})`,
    table(
      ['subject', 'skill', 'problems', 'verified', 'mean solve-rate'],
      s.skills.shown.map((r) => [shown(r.subject, 28), shown(r.skill, 44), ...groupCells(r)]),
      [2, 3, 4],
    ),
  );
  if (s.unmappedLabels.length > 0) {
    out.push(
      '',
      'Labels outside the taxonomy (mapped to "other"), as the model wrote them',
      table(
        ['label', 'problems'],
        s.unmappedLabels.map((l) => [shown(l.label, 60), num(l.count)]),
        [1],
      ),
    );
  }
  out.push(
    '',
    'Generations',
    table(
      ['generation', 'problems', 'verified', 'mean solve-rate', 'rejected', 'operators'],
      s.generations.map((g) => [
        String(g.generation),
        ...groupCells(g),
        num(g.rejections),
        Object.entries(g.byOrigin)
          .map(([k, v]) => `${escapeTerminal(k)} ${num(v)}`)
          .join(', '),
      ]),
      [0, 1, 2, 3, 4],
    ),
    '',
    `Rejections (${num(s.rejections.total)})`,
  );
  out.push(
    s.rejections.byReason.length === 0
      ? 'none'
      : table(
          ['reason', 'count', 'share'],
          s.rejections.byReason.map((r) => [
            shown(r.reason, 40),
            num(r.count),
            pct(r.count, s.rejections.total),
          ]),
          [1, 2],
        ),
  );
  out.push('', 'Curation');
  const c = s.curation;
  if (!c.dedup && !c.decontamination) {
    out.push(
      'not analysed yet: `sparq decontaminate` or `sparq select` computes duplicates and contamination',
    );
  }
  if (c.dedup) {
    const m = c.dedup.summary;
    out.push(
      `duplicates: ${num(m.duplicates)} (${num(m.exactDuplicates)} exact, ${num(m.nearDuplicates)} near at Jaccard >= ${c.dedup.settings.threshold}, ${num(m.duplicatesOfSeedFile)} of seed-file problems) in ${num(m.clusters)} clusters, largest ${num(m.largestCluster)}` +
        (c.dedup.current ? '' : ` [computed on ${num(m.problems)} problems; the pool has changed since]`),
    );
  }
  if (c.decontamination) {
    const m = c.decontamination.summary;
    out.push(
      `contaminated: ${num(m.contaminated)} (${num(m.contaminatedSeeds)} seeds, ${num(m.contaminatedGenerated)} generated; ${m.ngram}-gram overlap): ${m.sets
        .map((x) => `${escapeTerminal(x.name)} ${num(x.contaminated)}`)
        .join(', ')}` +
        (c.decontamination.current
          ? ''
          : ` [computed on ${num(m.problems)} problems; the pool has changed since]`),
    );
  }
  return `${out.join('\n')}\n`;
}
