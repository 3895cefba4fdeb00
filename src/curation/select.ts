/**
 * `sparq select`, minus the flag parsing: check the inputs, bring the analyses the filters need
 * up to date (duplicates, contamination), run the strategy, stream the export. Every input is
 * validated before the first expensive step, so a typo fails in milliseconds.
 */
import { basename } from 'node:path';
import {
  type AnalysisConnection,
  latestRunConfig,
  openAnalysisConnection,
  runGenerationCount,
  runMeta,
} from '../storage/analysis-connection.js';
import { UserError } from '../util/errors.js';
import { SPARQ_VERSION } from '../version.js';
import { type PoolSnapshot, poolSnapshot } from './analysis-store.js';
import {
  type AnalysisOutcome,
  type DecontaminationSettings,
  type DecontaminationSummary,
  type DedupSummary,
  ensureDecontamination,
  ensureDedup,
  type StoredDecontaminationSettings,
  type StoredDedupSettings,
} from './analyze.js';
import type { DedupSettings } from './dedup/dedup.js';
import type { SelectionFilters } from './eligibility.js';
import { loadEvalSets } from './eval-sets.js';
import type { RunProvenance } from './export/card.js';
import { loadTemplate } from './export/chat.js';
import {
  checkOutDir,
  createOutDir,
  selectedExamples,
  type WrittenDataset,
  writeDataset,
} from './export/dataset.js';
import { runSelection, type SelectionPlan, type SelectionResult } from './strategies.js';

export interface SelectOptions {
  runDir: string;
  plan: SelectionPlan;
  filters: SelectionFilters;
  dedup: DedupSettings;
  /** Seed file override for deduplication (`none` for none); default: the run's. */
  seeds?: string;
  decontamination: DecontaminationSettings;
  templateFile?: string;
  outDir: string;
  force: boolean;
  /** The command line, for the card. */
  command: string;
  log: (line: string) => void;
}

export interface SelectOutcome {
  selection: SelectionResult;
  dataset: WrittenDataset;
  dedup: AnalysisOutcome<StoredDedupSettings, DedupSummary> | null;
  decontamination: AnalysisOutcome<StoredDecontaminationSettings, DecontaminationSummary> | null;
}

const num = (n: number) => n.toLocaleString('en-US');

function withoutTiming<T extends { seconds: number }>(summary: T): T {
  const { seconds: _seconds, ...rest } = summary;
  return rest as T;
}

export function readProvenance(conn: AnalysisConnection, snapshot: PoolSnapshot): RunProvenance {
  const config = latestRunConfig(conn);
  const parsed = config
    ? (JSON.parse(config.configJson) as {
        model?: { model?: string };
        seeds?: { path?: string };
        solver?: { k?: number };
      })
    : null;
  return {
    runId: runMeta(conn, 'run_id'),
    runDir: basename(conn.runDir),
    configHash: config?.configHash ?? null,
    model: parsed?.model?.model ?? null,
    runSparqVersion: config?.sparqVersion ?? null,
    seeds: parsed?.seeds?.path ?? null,
    solverK: parsed?.solver?.k ?? null,
    generations: runGenerationCount(conn),
    poolProblems: snapshot.count,
  };
}

export function selectAndExport(o: SelectOptions): SelectOutcome {
  const template = loadTemplate(o.templateFile);
  const out = checkOutDir(o.outDir, o.force);
  // Read-only on the run; results go to the run's curation.db (analysis-connection.ts), whose
  // one-time note when they cannot be kept goes to the log.
  const conn = openAnalysisConnection(o.runDir, { warn: o.log });
  try {
    const snapshot = poolSnapshot(conn);
    if (snapshot.count === 0) throw new UserError(`run ${o.runDir} has no problems yet: nothing to select`);
    // Read (and so check) the evaluation sets before the duplicate analysis, which can take minutes.
    const evalSets = o.filters.includeContaminated ? null : loadEvalSets(o.decontamination.sets);

    const dedup = o.filters.includeDuplicates
      ? null
      : ensureDedup(conn, snapshot, o.dedup, o.seeds === undefined ? {} : { seeds: o.seeds });
    if (dedup) {
      const m = dedup.analysis.summary;
      o.log(
        `duplicates: ${num(m.duplicates)} of ${num(m.problems)} problems (${num(m.exactDuplicates)} exact, ${num(m.nearDuplicates)} near, ${num(m.duplicatesOfSeedFile)} of seed-file problems)${dedup.cached ? ' [stored result]' : ` [${m.seconds.toFixed(1)} s; ${num(m.candidatePairs)} candidate pairs verified, ${num(m.screenedPairs ?? 0)} known from the run's near-duplicate screen]`}`,
      );
      if (m.seedFileNote) o.log(`warning: ${m.seedFileNote}`);
    }
    const decontamination = evalSets
      ? ensureDecontamination(conn, snapshot, o.decontamination, { loaded: evalSets })
      : null;
    if (decontamination) {
      const m = decontamination.analysis.summary;
      o.log(
        `contaminated: ${num(m.contaminated)} of ${num(m.problems)} problems (${m.ngram}-gram overlap with ${m.sets.map((s) => s.name).join(', ')})${decontamination.cached ? ' [stored result]' : ` [${m.seconds.toFixed(1)} s]`}`,
      );
    }

    // Selection and export in one read transaction: the card's figures and the exported rows
    // come from the same state of the run.
    return conn.read(() => exportSelection(o, conn, snapshot, template, out, dedup, decontamination));
  } finally {
    conn.close();
  }
}

function exportSelection(
  o: SelectOptions,
  conn: AnalysisConnection,
  snapshot: PoolSnapshot,
  template: ReturnType<typeof loadTemplate>,
  out: string,
  dedup: SelectOutcome['dedup'],
  decontamination: SelectOutcome['decontamination'],
): SelectOutcome {
  const selection = runSelection(conn, o.plan, o.filters, snapshot);
  o.log(
    `selected ${num(selection.selected)} of ${num(selection.counts.eligible)} qualifying problems (${selection.components.map((c) => `${c.strategy} ${num(c.n)}`).join(', ')}); cells covered ${num(selection.cells.selected)}/${num(selection.cells.eligible)}`,
  );

  createOutDir(out);
  const run = readProvenance(conn, snapshot);
  const ctx = { template: template.text, runId: run.runId, sparqVersion: SPARQ_VERSION };
  const dataset = writeDataset(
    out,
    selectedExamples(conn, ctx),
    {
      'sparq.run_id': run.runId ?? '',
      'sparq.config_hash': run.configHash ?? '',
      'sparq.selection': JSON.stringify({ ...o.plan, filters: o.filters }),
    },
    `sparq version ${SPARQ_VERSION}`,
    (files, distributions) => ({
      plan: o.plan,
      components: selection.components,
      filters: o.filters,
      counts: selection.counts,
      inBand: selection.inBand,
      cells: selection.cells,
      // Timings are left out of the card: the same inputs must give byte-identical files.
      dedup: dedup
        ? { settings: dedup.analysis.settings, summary: withoutTiming(dedup.analysis.summary) }
        : null,
      decontamination: decontamination
        ? {
            settings: decontamination.analysis.settings,
            summary: withoutTiming(decontamination.analysis.summary),
          }
        : null,
      template,
      run,
      exporterVersion: SPARQ_VERSION,
      files,
      distributions,
      command: o.command,
    }),
  );
  return { selection, dataset, dedup, decontamination };
}
