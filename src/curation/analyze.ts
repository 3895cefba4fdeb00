/**
 * Runs the two pool-wide analyses that selection depends on (duplicate clusters, contamination)
 * when their stored result is missing or stale, and stores the result (analysis-store.ts).
 * Both read the pool through the read-only analysis connection with plain SQL (only the columns
 * they need) up to a fixed snapshot, in one read transaction, so a run that commits a
 * generation meanwhile does not change what they see.
 */

import type { AnalysisConnection } from '../storage/analysis-connection.js';
import { sha256Hex } from '../util/hash.js';
import { type PoolSnapshot, readAnalysis, type StoredAnalysis, saveAnalysis } from './analysis-store.js';
import { NgramIndex } from './decontaminate.js';
import { type DedupDoc, type DedupSettings, findDuplicates } from './dedup/dedup.js';
import type { Banding } from './dedup/minhash-lsh.js';
import { type EvalSet, loadEvalSets } from './eval-sets.js';
import { loadSeedFileDocs } from './seed-docs.js';

/** Bumped when a rule changes, so results computed by an older sparq are recomputed. */
const DEDUP_VERSION = 3;
const DECONTAMINATION_VERSION = 1;

export interface DedupSummary {
  problems: number;
  seedFile: string | null;
  seedFileProblems: number;
  seedFileNote: string | null;
  /** Pool problems that are not their cluster's representative. */
  duplicates: number;
  exactDuplicates: number;
  nearDuplicates: number;
  /** Duplicates whose representative is a seed-file problem outside the pool. */
  duplicatesOfSeedFile: number;
  /** Clusters holding at least one pool problem that is a duplicate. */
  clusters: number;
  largestCluster: number;
  banding: Banding;
  candidatePairs: number;
  /**
   * Candidate pairs not verified again: the run's near-duplicate screen had (see
   * coveringScreens). Absent from results stored by an earlier sparq.
   */
  screenedPairs?: number;
  seconds: number;
}

export interface StoredDedupSettings extends DedupSettings {
  seeds: string | null;
  seedsSha256: string | null;
}

export interface AnalysisOutcome<S, R> {
  analysis: StoredAnalysis<S, R>;
  /** True when the stored result was fresh and nothing was computed. */
  cached: boolean;
  /**
   * Whether the result computed now was kept (false: the run directory cannot be written, it
   * was computed for this command only); null when nothing was computed.
   */
  stored: boolean | null;
}

export interface EnsureOptions {
  /** Recompute even when the stored result is fresh. */
  force?: boolean;
}

function fingerprint(parts: unknown): string {
  return sha256Hex(JSON.stringify(parts)).slice(0, 32);
}

interface PoolRow {
  uid: string;
  problem: string;
  seq: number | null;
  screen: number | null;
}

/**
 * The run's near-duplicate screens whose verdict stands for these settings, and the column that
 * names a problem's screen (NULL before schema 10). A screen stands when it had exactly these
 * settings: the same shingles, MinHash length and threshold, so the same banding, and a pair
 * select's LSH proposes is one the screen proposed too. Pairs it never saw (a seed with a seed,
 * anything with the seed file, problems told before the screen, under another screen or past
 * its candidate bound) are verified as ever (see DedupDoc.screen).
 */
function coveringScreens(
  conn: AnalysisConnection,
  settings: DedupSettings,
): { ids: Set<number>; column: string } {
  const { db } = conn;
  const has = db
    .prepare("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'near_duplicate_screens'")
    .get();
  if (!has) return { ids: new Set(), column: 'NULL' };
  const rows = db
    .prepare(
      'SELECT id FROM main.near_duplicate_screens WHERE num_hashes = ? AND shingle_size = ? AND abs(threshold - ?) < 1e-12',
    )
    .all(settings.numHashes, settings.shingleSize, settings.threshold) as { id: number }[];
  return { ids: new Set(rows.map((r) => r.id)), column: 'near_screen' };
}

export function ensureDedup(
  conn: AnalysisConnection,
  snapshot: PoolSnapshot,
  settings: DedupSettings,
  options: EnsureOptions & { seeds?: string } = {},
): AnalysisOutcome<StoredDedupSettings, DedupSummary> {
  // Reads inside one read transaction, written after it (writeResults needs it ended).
  const computed = conn.read(() => computeDedup(conn, snapshot, settings, options));
  if (computed.existing) return { analysis: computed.existing, cached: true, stored: null };
  const { analysis, result, count, isPool } = computed;
  const kept = saveAnalysis(conn, analysis, (w, s) => {
    w.exec(`DELETE FROM ${s}.curation_clusters`);
    const insert = w.prepare(
      `INSERT INTO ${s}.curation_clusters (uid, cluster, size, match, similarity, exact) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (let i = 0; i < count; i++) {
      if (!isPool(i)) continue;
      const m = result.match[i]!;
      insert.run(
        result.keys[i]!,
        result.keys[result.root[i]!]!,
        result.size[i]!,
        m >= 0 ? result.keys[m]! : null,
        m >= 0 ? Math.round(result.similarity[i]! * 1e4) / 1e4 : null,
        result.exact[i]!,
      );
    }
  });
  return { analysis: { ...analysis, createdAt: new Date().toISOString() }, cached: false, stored: kept };
}

function computeDedup(
  conn: AnalysisConnection,
  snapshot: PoolSnapshot,
  settings: DedupSettings,
  options: EnsureOptions & { seeds?: string },
) {
  const seedFile = loadSeedFileDocs(conn, snapshot.maxId, options.seeds);
  const stored: StoredDedupSettings = { ...settings, seeds: seedFile.spec, seedsSha256: seedFile.sha256 };
  const print = fingerprint({ v: DEDUP_VERSION, snapshot, stored });
  const existing = readAnalysis<StoredDedupSettings, DedupSummary>(conn, 'dedup');
  if (existing && existing.fingerprint === print && !options.force) return { existing };

  const started = performance.now();
  const { db } = conn;
  const screens = coveringScreens(conn, settings);
  const poolRows = (generationFilter: string) =>
    db
      .prepare(
        `SELECT uid, problem_text(problem) AS problem, seq, ${screens.column} AS screen FROM main.problems WHERE id <= ? AND ${generationFilter} ORDER BY generation, task_index, id`,
      )
      .iterate(snapshot.maxId) as Iterable<PoolRow>;
  const poolDoc = (r: PoolRow): DedupDoc => ({
    key: r.uid,
    text: r.problem,
    // Rows from before task numbers were kept have no place in the told order: never skipped.
    ...(r.seq === null ? {} : { told: r.seq }),
    ...(r.screen !== null && screens.ids.has(Math.abs(r.screen)) ? { screen: r.screen } : {}),
  });
  // Pool order with the seed file's other problems right after the pool's seeds: a seed (the
  // original data) always represents its cluster over anything generated from it.
  function* docs(): Generator<DedupDoc> {
    for (const r of poolRows('generation = 0')) yield poolDoc(r);
    for (const s of seedFile.docs) yield { key: `seedfile:${s.id}`, text: s.problem };
    for (const r of poolRows('generation > 0')) yield poolDoc(r);
  }
  const count = snapshot.count + seedFile.docs.length;
  const result = findDuplicates(docs(), count, settings);

  const summary: DedupSummary = {
    problems: snapshot.count,
    seedFile: seedFile.spec,
    seedFileProblems: seedFile.docs.length,
    seedFileNote: seedFile.note,
    duplicates: 0,
    exactDuplicates: 0,
    nearDuplicates: 0,
    duplicatesOfSeedFile: 0,
    clusters: 0,
    largestCluster: 1,
    banding: result.banding,
    candidatePairs: result.counters.candidatePairs,
    screenedPairs: result.counters.screenedPairs,
    seconds: 0,
  };
  // One flag per document, not a Set of roots: a Set stops at 2^24 entries.
  const rootHasPoolDuplicate = new Uint8Array(count);
  const isPool = (i: number) => !result.keys[i]!.startsWith('seedfile:');
  for (let i = 0; i < count; i++) {
    if (!isPool(i)) continue;
    const root = result.root[i]!;
    if (root === i) continue;
    // Counted only where the pool holds a duplicate: clusters within the seed file alone are
    // the seed data's business, not this pool's.
    if (!rootHasPoolDuplicate[root]) {
      rootHasPoolDuplicate[root] = 1;
      summary.clusters++;
    }
    if (result.size[i]! > summary.largestCluster) summary.largestCluster = result.size[i]!;
    summary.duplicates++;
    if (result.exact[i]) summary.exactDuplicates++;
    else summary.nearDuplicates++;
    if (!isPool(root)) summary.duplicatesOfSeedFile++;
  }
  summary.seconds = (performance.now() - started) / 1000;

  const analysis = { kind: 'dedup' as const, fingerprint: print, settings: stored, summary, snapshot };
  return { existing: null, analysis, result, count, isPool };
}

export interface DecontaminationSettings {
  ngram: number;
  /** Bundled names and/or JSONL paths. */
  sets: string[];
}

export interface DecontaminationSetSummary {
  name: string;
  source: string;
  sha256: string;
  items: number;
  /** Items shorter than n tokens, compared whole (see decontaminate.ts). */
  shortItems: number;
  contaminated: number;
  seeds: number;
  generated: number;
}

export interface DecontaminationSummary {
  problems: number;
  contaminated: number;
  contaminatedSeeds: number;
  contaminatedGenerated: number;
  /** Pool problems shorter than n tokens (compared whole). */
  shortProblems: number;
  ngram: number;
  sets: DecontaminationSetSummary[];
  seconds: number;
}

export interface StoredDecontaminationSettings {
  ngram: number;
  sets: { name: string; source: string; sha256: string }[];
}

export function ensureDecontamination(
  conn: AnalysisConnection,
  snapshot: PoolSnapshot,
  settings: DecontaminationSettings,
  options: EnsureOptions & { loaded?: EvalSet[] } = {},
): AnalysisOutcome<StoredDecontaminationSettings, DecontaminationSummary> {
  // `loaded`: the sets of `settings.sets`, already read by a caller that checks its inputs first.
  const sets = options.loaded ?? loadEvalSets(settings.sets);
  const stored: StoredDecontaminationSettings = {
    ngram: settings.ngram,
    sets: sets.map((s) => ({ name: s.name, source: s.source, sha256: s.sha256 })),
  };
  const print = fingerprint({ v: DECONTAMINATION_VERSION, snapshot, stored });
  const existing = readAnalysis<StoredDecontaminationSettings, DecontaminationSummary>(
    conn,
    'decontamination',
  );
  if (existing && existing.fingerprint === print && !options.force)
    return { analysis: existing, cached: true, stored: null };

  const started = performance.now();
  const index = new NgramIndex(settings.ngram);
  for (const set of sets) index.add(set);
  const { db } = conn;
  const perSet = new Map<string, DecontaminationSetSummary>(
    sets.map((s, i) => [
      s.name,
      {
        name: s.name,
        source: s.source,
        sha256: s.sha256,
        items: s.items.length,
        shortItems: index.setStats[i]!.shortItems,
        contaminated: 0,
        seeds: 0,
        generated: 0,
      },
    ]),
  );
  const summary: DecontaminationSummary = {
    problems: snapshot.count,
    contaminated: 0,
    contaminatedSeeds: 0,
    contaminatedGenerated: 0,
    shortProblems: 0,
    ngram: settings.ngram,
    sets: [],
    seconds: 0,
  };
  const found: {
    uid: string;
    set: string;
    itemId: string;
    matches: number;
    overlap: number;
    ngram: string;
  }[] = [];
  // The pool is read in one read transaction; the results are written after it.
  conn.read(() => {
    const rows = db
      .prepare(
        'SELECT uid, origin, problem_text(problem) AS problem FROM main.problems WHERE id <= ? ORDER BY id',
      )
      .iterate(snapshot.maxId) as Iterable<{ uid: string; origin: string; problem: string }>;
    for (const row of rows) {
      const { short, matches } = index.check(row.problem);
      if (short) summary.shortProblems++;
      if (matches.length === 0) continue;
      const seed = row.origin === 'seed';
      summary.contaminated++;
      if (seed) summary.contaminatedSeeds++;
      else summary.contaminatedGenerated++;
      for (const m of matches) {
        const s = perSet.get(m.set)!;
        s.contaminated++;
        if (seed) s.seeds++;
        else s.generated++;
        found.push({ uid: row.uid, ...m });
      }
    }
  });
  summary.sets = [...perSet.values()];
  summary.seconds = (performance.now() - started) / 1000;

  const analysis = {
    kind: 'decontamination' as const,
    fingerprint: print,
    settings: stored,
    summary,
    snapshot,
  };
  const kept = saveAnalysis(conn, analysis, (w, s) => {
    w.exec(`DELETE FROM ${s}.curation_contamination`);
    const insert = w.prepare(
      `INSERT INTO ${s}.curation_contamination (uid, eval_set, item_id, matches, overlap, ngram) VALUES (?, ?, ?, ?, ?, ?)`,
    );
    for (const f of found)
      insert.run(f.uid, f.set, f.itemId, f.matches, Math.round(f.overlap * 1e4) / 1e4, f.ngram);
  });
  return { analysis: { ...analysis, createdAt: new Date().toISOString() }, cached: false, stored: kept };
}
