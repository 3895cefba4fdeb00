/** The report of `sparq decontaminate`: counts per evaluation set and the strongest examples. */
import type { AnalysisConnection } from '../storage/analysis-connection.js';
import type { DecontaminationSummary, StoredDecontaminationSettings } from './analyze.js';
import { escapeTerminal, shown, table } from './terminal.js';

export interface ContaminationExample {
  uid: string;
  origin: string;
  itemId: string;
  matches: number;
  overlap: number;
  ngram: string;
  problem: string;
}

export interface DecontaminationReport {
  settings: StoredDecontaminationSettings;
  summary: DecontaminationSummary;
  examples: Record<string, ContaminationExample[]>;
}

/** Up to `limit` examples per set, the most covered problems first. */
export function contaminationExamples(
  conn: AnalysisConnection,
  sets: string[],
  limit: number,
): Record<string, ContaminationExample[]> {
  const stmt = conn.db.prepare(
    `SELECT c.uid, p.origin, c.item_id, c.matches, c.overlap, c.ngram, problem_text(p.problem) AS problem
     FROM curation.curation_contamination c JOIN main.problems p ON p.uid = c.uid
     WHERE c.eval_set = ? ORDER BY c.overlap DESC, c.matches DESC, c.uid LIMIT ?`,
  );
  const out: Record<string, ContaminationExample[]> = {};
  for (const set of sets) {
    out[set] = (stmt.all(set, limit) as Record<string, unknown>[]).map((r) => ({
      uid: r.uid as string,
      origin: r.origin as string,
      itemId: r.item_id as string,
      matches: r.matches as number,
      overlap: r.overlap as number,
      ngram: r.ngram as string,
      problem: r.problem as string,
    }));
  }
  return out;
}

const num = (n: number) => n.toLocaleString('en-US');

export function formatDecontaminationReport(report: DecontaminationReport, cached: boolean): string {
  const m = report.summary;
  const lines = [
    `${num(m.contaminated)} of ${num(m.problems)} problems share a ${m.ngram}-gram with an evaluation set (${num(m.contaminatedSeeds)} seeds, ${num(m.contaminatedGenerated)} generated)${cached ? ' [stored result]' : ` [${m.seconds.toFixed(1)} s]`}`,
    `Texts shorter than ${m.ngram} tokens are compared whole (${num(m.shortProblems)} pool problems are that short).`,
    '',
    table(
      ['set', 'items', 'short items', 'contaminated', 'seeds', 'generated', 'source'],
      m.sets.map((s) => [
        escapeTerminal(s.name),
        num(s.items),
        num(s.shortItems),
        num(s.contaminated),
        num(s.seeds),
        num(s.generated),
        shown(s.source, 60),
      ]),
      [1, 2, 3, 4, 5],
    ),
  ];
  for (const s of m.sets) {
    const examples = report.examples[s.name] ?? [];
    if (examples.length === 0) continue;
    lines.push('', `Examples: ${escapeTerminal(s.name)}`);
    for (const e of examples) {
      lines.push(
        `  ${escapeTerminal(e.uid)} (${escapeTerminal(e.origin)}) ~ ${escapeTerminal(e.itemId)}: ${num(e.matches)} shared n-grams, ${(100 * e.overlap).toFixed(0)}% of the problem`,
        `    shared: "${shown(e.ngram, 100)}"`,
        `    problem: ${shown(e.problem, 100)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
