/**
 * `sparq select`, minus the flag parsing: check the inputs, bring the analyses the filters need
 * up to date (duplicates, contamination), run the strategy, stream the export. Every input is
 * validated before the first expensive step, so a typo fails in milliseconds.
 */
import { basename } from 'node:path';
import { SqliteRunStore } from '../storage/sqlite-store.js';
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

export function readProvenance(store: SqliteRunStore, snapshot: PoolSnapshot): RunProvenance {
  const config = store.latestConfig();
  const parsed = config
    ? (JSON.parse(config.configJson) as {
        model?: { model?: string };
        seeds?: { path?: string };
        solver?: { k?: number };
      })
    : null;
  return {
    runId: store.getMeta('run_id') ?? null,
    runDir: basename(store.dir),
    configHash: config?.configHash ?? null,
    model: parsed?.model?.model ?? null,
    runSparqVersion: config?.sparqVersion ?? null,
    seeds: parsed?.seeds?.path ?? null,
    solverK: parsed?.solver?.k ?? null,
    generations: store.generations().length,
    poolProblems: snapshot.count,
  };
}

export function selectAndExport(o: SelectOptions): SelectOutcome {
  const template = loadTemplate(o.templateFile);
  const out = checkOutDir(o.outDir, o.force);
  const store = SqliteRunStore.open(o.runDir, { create: false });
  try {
    const snapshot = poolSnapshot(store.db);
    if (snapshot.count === 0) throw new UserError(`run ${o.runDir} has no problems yet: nothing to select`);
    // Read (and so check) the evaluation sets before the duplicate analysis, which can take minutes.
    const evalSets = o.filters.includeContaminated ? null : loadEvalSets(o.decontamination.sets);

    const dedup = o.filters.includeDuplicates
      ? null
      : ensureDedup(store, snapshot, o.dedup, o.seeds === undefined ? {} : { seeds: o.seeds });
    if (dedup) {
      const m = dedup.analysis.summary;
      o.log(
        `duplicates: ${num(m.duplicates)} of ${num(m.problems)} problems (${num(m.exactDuplicates)} exact, ${num(m.nearDuplicates)} near, ${num(m.duplicatesOfSeedFile)} of seed-file problems)${dedup.cached ? ' [stored result]' : ` [${m.seconds.toFixed(1)} s]`}`,
      );
      if (m.seedFileNote) o.log(`warning: ${m.seedFileNote}`);
      if (dedup.schema === 'temp')
        o.log('note: the run database is read-only; the duplicate analysis was not stored');
    }
    const decontamination = evalSets
      ? ensureDecontamination(store, snapshot, o.decontamination, { loaded: evalSets })
      : null;
    if (decontamination) {
      const m = decontamination.analysis.summary;
      o.log(
        `contaminated: ${num(m.contaminated)} of ${num(m.problems)} problems (${m.ngram}-gram overlap with ${m.sets.map((s) => s.name).join(', ')})${decontamination.cached ? ' [stored result]' : ` [${m.seconds.toFixed(1)} s]`}`,
      );
      if (decontamination.schema === 'temp')
        o.log('note: the run database is read-only; the contamination analysis was not stored');
    }

    const selection = runSelection(store.db, o.plan, o.filters, snapshot);
    o.log(
      `selected ${num(selection.selected)} of ${num(selection.counts.eligible)} qualifying problems (${selection.components.map((c) => `${c.strategy} ${num(c.n)}`).join(', ')}); cells covered ${num(selection.cells.selected)}/${num(selection.cells.eligible)}`,
    );

    createOutDir(out);
    const run = readProvenance(store, snapshot);
    const ctx = { template: template.text, runId: run.runId, sparqVersion: SPARQ_VERSION };
    const dataset = writeDataset(
      out,
      selectedExamples(store.db, ctx),
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
  } finally {
    store.close();
  }
}
