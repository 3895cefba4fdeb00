/**
 * The seed problems a run started from, for deduplication "against the seeds". Seeds sampled
 * into the pool are already pool problems (generation 0); the rest of the seed file is added as
 * outside documents, so a generated problem that copies an unsampled MATH train problem is a
 * duplicate too. The file is the run's `seeds.path` unless the user names another (or `none`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadSeeds } from '../seeds/load.js';
import { type AnalysisConnection, latestRunConfig } from '../storage/analysis-connection.js';
import { errorMessage, UserError } from '../util/errors.js';

export interface SeedFileDocs {
  /** The seed spec as given (`bundled:math_train` or a path), or null when none is used. */
  spec: string | null;
  sha256: string | null;
  /** Seed problems of the file that are not in the pool, in file order. */
  docs: { id: string; problem: string }[];
  /** Why the run's seed file is not used, when it could not be read. */
  note: string | null;
}

/** The run's seed spec from its latest configuration snapshot. */
export function runSeedSpec(conn: AnalysisConnection): string | null {
  const config = latestRunConfig(conn);
  if (!config) return null;
  const seeds = (JSON.parse(config.configJson) as { seeds?: { path?: unknown } }).seeds;
  return typeof seeds?.path === 'string' ? seeds.path : null;
}

/**
 * `override`: undefined = the run's seed file (a warning-level note when unreadable: a run moved
 * to another machine must still be curatable); 'none' = no seed file; anything else = that spec,
 * which must load.
 */
export function loadSeedFileDocs(conn: AnalysisConnection, maxId: number, override?: string): SeedFileDocs {
  if (override === 'none') return { spec: null, sha256: null, docs: [], note: null };
  const spec = override ?? runSeedSpec(conn);
  if (spec === null) return { spec: null, sha256: null, docs: [], note: 'the run records no seed file' };
  let loaded: ReturnType<typeof loadSeeds>;
  let bytes: Buffer;
  try {
    loaded = loadSeeds(spec, { skipInvalid: true });
    bytes = readFileSync(loaded.file);
  } catch (err) {
    if (override !== undefined) throw err instanceof UserError ? err : new UserError(errorMessage(err));
    return {
      spec: null,
      sha256: null,
      docs: [],
      note: `the run's seed file ${spec} could not be read (${errorMessage(err)}); deduplicated against the pool's seeds only (use --seeds to name it)`,
    };
  }
  const inPool = new Set(
    (
      conn.db
        .prepare(
          "SELECT seed_id FROM main.problems WHERE origin = 'seed' AND seed_id IS NOT NULL AND id <= ?",
        )
        .all(maxId) as { seed_id: string }[]
    ).map((r) => r.seed_id),
  );
  return {
    spec,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    docs: loaded.seeds.filter((s) => !inPool.has(s.id)).map((s) => ({ id: s.id, problem: s.problem })),
    note: null,
  };
}
