/**
 * Scaling analysis over eval files: each file is one point (x = training-set size or model size,
 * y = a metric such as pass@1), points are grouped into one series per benchmark, and each series
 * gets the fits of fit.ts. The x value comes from the eval file's metadata (`sparq eval
 * --data-size N` / `--model-size N`) or from a `FILE=x` argument, which wins.
 */
import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { type FitResult, fitLogLinear, fitPowerLaw, fitPowerLawOffset, logGrid, type XY } from './fit.js';
import type { EvalFile, ScalingFile, ScalingFit, ScalingPoint } from './types.js';

export type ScalingAxis = 'data_size' | 'model_size';

export interface ScalingInput {
  file: string;
  data: EvalFile;
  /** From a `FILE=x` argument; null reads the file's metadata. */
  x: number | null;
}

const MULTIPLIERS: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, g: 1e9, t: 1e12 };

/**
 * A size as people write them: `8000`, `8e3`, `8k`, `7B`, `1.5M` (k, M, B/G, T; case-insensitive).
 * Returns null for anything else, including 0 and negatives: sizes sit on a log axis.
 */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kmbgt]?)\s*$/i.exec(text);
  if (!m) return null;
  const value = Number(m[1]) * (m[2] ? MULTIPLIERS[m[2].toLowerCase()]! : 1);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * Splits `FILE=x`; a plain file has x null. The last `=` separates, and an existing file whose
 * name contains `=` is taken as a file.
 */
export function parseScalingArg(arg: string): { file: string; x: number | null } {
  const eq = arg.lastIndexOf('=');
  if (eq <= 0 || existsSync(arg)) return { file: arg, x: null };
  const x = parseSize(arg.slice(eq + 1));
  if (x === null)
    throw new UserError(`"${arg}": the value after "=" must be a positive size such as 8000, 8k or 7B`);
  return { file: arg.slice(0, eq), x };
}

const FITTERS: { model: ScalingFit['model']; run: (points: XY[]) => FitResult }[] = [
  { model: 'power_law_offset', run: fitPowerLawOffset },
  { model: 'power_law', run: fitPowerLaw },
  { model: 'log_linear', run: fitLogLinear },
];

export function buildScaling(
  inputs: readonly ScalingInput[],
  axis: ScalingAxis,
  metric: string,
  stamp: { sparqVersion: string; createdAt: string },
): ScalingFile {
  const missing: string[] = [];
  const points: ScalingPoint[] = [];
  for (const input of inputs) {
    const fromMeta = axis === 'data_size' ? input.data.meta.dataSize : input.data.meta.modelSize;
    const x = input.x ?? fromMeta;
    if (x === null) {
      missing.push(input.file);
      continue;
    }
    const m = input.data.metrics[metric];
    if (!m)
      throw new UserError(
        `${input.file} has no metric "${metric}"; it has ${Object.keys(input.data.metrics).join(', ')}`,
      );
    points.push({ series: input.data.benchmark.name, x, y: m.value, ci: m.ci, file: input.file });
  }
  if (missing.length > 0) {
    const flag = axis === 'data_size' ? '--data-size' : '--model-size';
    throw new UserError(
      `no ${axis} for ${missing.join(', ')}: evaluate with \`sparq eval ... ${flag} N\`, or pass FILE=N to sparq scaling`,
    );
  }
  const seriesNames = [...new Set(points.map((p) => p.series))];
  if (!seriesNames.some((s) => new Set(points.filter((p) => p.series === s).map((p) => p.x)).size >= 2))
    throw new UserError(`scaling needs at least two evals of one benchmark at different ${axis} values`);

  const fits: ScalingFit[] = [];
  const skipped: ScalingFile['skipped'] = [];
  for (const series of seriesNames) {
    const own = points.filter((p) => p.series === series).sort((p, q) => p.x - q.x);
    const xy = own.map((p) => ({ x: p.x, y: p.y }));
    const lo = own[0]!.x;
    const hi = own[own.length - 1]!.x;
    for (const { model, run } of FITTERS) {
      let result: FitResult;
      try {
        result = run(xy);
      } catch (err) {
        skipped.push({ series, model, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      fits.push({
        name: `${series} ${model.replace(/_/g, ' ')}`,
        series,
        model,
        formula: result.formula,
        params: result.params,
        r2: result.r2,
        residuals: result.residuals,
        curve: logGrid(lo, hi).map((x) => ({ x, y: result.predict(x) })),
        ...(result.warning ? { warning: result.warning } : {}),
      });
    }
  }
  return {
    kind: 'sparq-scaling',
    schemaVersion: 1,
    sparqVersion: stamp.sparqVersion,
    createdAt: stamp.createdAt,
    x: axis,
    y: metric,
    points: points.sort((p, q) => p.series.localeCompare(q.series) || p.x - q.x),
    fits,
    skipped,
  };
}
