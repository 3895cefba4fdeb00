/**
 * The files `sparq eval`, `sparq compare` and `sparq scaling` write. They are read back by
 * `compare`, `scaling` and the HTML report, so their shape is a contract: fields are only ever
 * added; a change in meaning bumps `schemaVersion`. docs/evaluation.md documents every field.
 */
import type { DecidedSettings } from '../backends/capabilities.js';
import type { InputRejection } from '../backends/types.js';

/** A headline number with its bootstrap confidence interval (95% unless `bootstrap.confidence` says otherwise). */
export interface MetricWithCI {
  value: number;
  /** Percentile bootstrap interval [lo, hi] over items. */
  ci: [number, number];
}

/**
 * Headline metrics, keyed by name: always `pass@1` and `no_answer_rate`; with `samples` K > 1 also
 * `maj@K` and `pass@k` for k = 2, 4, 8, ... up to and including K. Every value is a mean over items.
 */
export type EvalMetrics = Record<string, MetricWithCI>;

export interface BreakdownRow {
  /** The subject or level as the benchmark file writes it; `(none)` for items without one. */
  key: string;
  items: number;
  /** Sum over the group's items of the per-item pass@1 (correct samples / samples): sums to the total's. */
  correctSum: number;
  metrics: EvalMetrics;
}

export interface Breakdowns {
  /** Empty when no item of the benchmark has a subject; otherwise covers every item. */
  subject: BreakdownRow[];
  /** Empty when no item has a level; otherwise covers every item. */
  level: BreakdownRow[];
}

export interface EvalItem {
  id: string;
  subject: string | null;
  level: string | null;
  /** Reference answer from the benchmark file. */
  gold: string;
  /** Per sample: the extracted final answer, or null when none was found. */
  answers: (string | null)[];
  /** Per sample: where the answer was found (`boxed`, `answer-is`, ...), null when none. */
  sources: (string | null)[];
  /** Per sample: the answer checker's verdict against `gold`. */
  correct: boolean[];
  /** Per sample: the checker rule that decided (`exact-string`, `numeric-rational`, `no-answer`, ...). */
  rules: string[];
  /** Per sample: the server's finish reason (`stop`, `length`, ...). */
  finishReasons: string[];
  /** Keys of the cached requests behind the samples (one request with n=K, or one per sample). */
  requestKeys: string[];
  /** Majority vote over the samples that have an answer (equivalent answers pooled). */
  majority: { answer: string | null; votes: number; correct: boolean };
  /** The raw model outputs, only with `sparq eval --save-outputs`. */
  outputs?: string[];
  /**
   * Set when the server would not answer this item (its prompt over the context, or refused
   * while others were answered): every sample counts as wrong, with this reason.
   */
  refused?: { reason: InputRejection; detail: string };
}

export interface EvalFile {
  kind: 'sparq-eval';
  schemaVersion: 1;
  sparqVersion: string;
  /** ISO 8601 time the file was written. */
  createdAt: string;
  model: {
    /** The model name requested from the server. */
    name: string;
    /** `openai` (any OpenAI-compatible server) or `sim` (the simulated model). */
    kind: string;
    /** Backend description for provenance (kind, endpoints); never credentials. */
    backend: string;
    /** The endpoint settings decided at start-up (n>1, JSON schema, context) and whether detected; absent before sparq 0.2. */
    settings?: DecidedSettings;
  };
  benchmark: {
    /** Bundled name (`math500`, ...) or the file's base name without extension. */
    name: string;
    bundled: boolean;
    file: string;
    /** SHA-256 of the whole benchmark file, so two evals of different versions are told apart. */
    sha256: string;
    /** Items evaluated (after --limit). */
    items: number;
    /** Items in the file. */
    totalItems: number;
    limit: number | null;
  };
  prompt: {
    templateRef: string;
    templateHash: string;
    templateFile: string;
    fewShot: { n: number; source: string; ids: string[]; mode: 'inline' | 'turns' } | null;
  };
  sampling: {
    samples: number;
    temperature: number;
    topP: number;
    maxTokens: number;
    seed: number;
  };
  /** Free metadata for scaling analyses; `sparq scaling --x data_size` reads `dataSize`. */
  meta: { dataSize: number | null; modelSize: number | null; label: string | null };
  metrics: EvalMetrics;
  breakdowns: Breakdowns;
  bootstrap: { resamples: number; seed: number; confidence: number; method: 'percentile' };
  /** What this invocation did; a resumed eval answers many requests from its cache. */
  usage: {
    requestsSent: number;
    cacheHits: number;
    promptTokens: number;
    completionTokens: number;
    cacheDir: string | null;
  };
  /** Samples whose output was cut off by max tokens (finish reason `length`). */
  truncatedSamples: number;
  /** Items the server would not answer (see `EvalItem.refused`); counted wrong. */
  refusedItems: number;
  items: EvalItem[];
}

// ---------------------------------------------------------------------------------------------

export interface PairedMetric {
  name: string;
  a: number;
  b: number;
  /** b - a with its paired bootstrap interval. */
  diff: MetricWithCI;
  /** Two-sided bootstrap p-value of "no difference" (share of resamples on the other side of 0, doubled). */
  pBootstrap: number;
}

export interface McNemarResult {
  /** Which per-item binary outcome was tested: the single sample, or the majority vote. */
  outcome: string;
  bothCorrect: number;
  /** Items only A gets right. */
  onlyA: number;
  /** Items only B gets right. */
  onlyB: number;
  bothWrong: number;
  test: 'exact-binomial' | 'chi-square-cc' | 'none';
  statistic: number | null;
  pValue: number;
}

export interface CompareBenchmark {
  benchmark: { name: string; sha256: string };
  a: { file: string; model: string; label: string | null; items: number };
  b: { file: string; model: string; label: string | null; items: number };
  commonItems: number;
  onlyInA: number;
  onlyInB: number;
  metrics: PairedMetric[];
  mcnemar: McNemarResult;
  /** `b-better`, `a-better` or `no-significant-difference` at `alpha`, from McNemar's test. */
  verdict: 'b-better' | 'a-better' | 'no-significant-difference';
  /** Settings that differ between the two evals (template, sampling...): legitimate, but say so. */
  warnings: string[];
}

export interface CompareFile {
  kind: 'sparq-compare';
  schemaVersion: 1;
  sparqVersion: string;
  createdAt: string;
  alpha: number;
  bootstrap: { resamples: number; seed: number; confidence: number; method: 'percentile' };
  benchmarks: CompareBenchmark[];
  /** Benchmarks evaluated on one side only (directories compared). */
  unmatched: { side: 'a' | 'b'; file: string; benchmark: string }[];
}

// ---------------------------------------------------------------------------------------------

export interface ScalingPoint {
  series: string;
  x: number;
  /** The metric (accuracy) at x. */
  y: number;
  ci: [number, number] | null;
  file: string;
}

export interface ScalingFit {
  /** `<series> <model>`, what the report draws in its legend. */
  name: string;
  series: string;
  model: 'power_law' | 'power_law_offset' | 'log_linear';
  formula: string;
  params: Record<string, number>;
  /** R² of the fitted accuracy against the measured accuracy (same value on the error scale). */
  r2: number;
  /** Measured minus fitted accuracy, one per point in `x` order. */
  residuals: { x: number; residual: number }[];
  /** The fitted curve sampled on a log grid over the x range, for plotting. */
  curve: { x: number; y: number }[];
  /** Why this fit should not be trusted as it stands, when it should not. */
  warning?: string;
}

export interface ScalingFile {
  kind: 'sparq-scaling';
  schemaVersion: 1;
  sparqVersion: string;
  createdAt: string;
  /** `data_size` or `model_size`. */
  x: string;
  /** The metric on the y axis, e.g. `pass@1`. */
  y: string;
  points: ScalingPoint[];
  fits: ScalingFit[];
  /** Fits that could not be made (too few points, an error of 0 on a log scale...), with why. */
  skipped: { series: string; model: string; reason: string }[];
}
