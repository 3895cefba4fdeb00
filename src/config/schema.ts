/**
 * The configuration data model. The YAML file, environment variables (SPARQ_SECTION__KEY) and CLI
 * flags are merged in that order of precedence over these defaults, then validated here in one
 * pass so that every problem is reported at once.
 */
import { z } from 'zod';

const positiveInt = z.number().int().positive();

/** Tasks asked and not yet told that a run may hold in memory at once. */
export const MAX_LIVE_TASKS = 1_000_000;

/** A setting sparq can find out from the server itself (see `sparq doctor`); explicit values win. */
function auto<T extends z.ZodType>(value: T) {
  return z.union([z.literal('auto'), value]).default('auto');
}
const probability = z.number().min(0).max(1);
const temperature = z.number().min(0).max(2);

/** Header names that carry credentials: those belong in the environment, never in a config file. */
const SECRET_HEADERS = [
  'authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'proxy-authorization',
  'cookie',
  'x-auth-token',
];

/** Query parameters that carry credentials (API keys, SAS signatures, tokens). */
const SECRET_PARAMS =
  /^(key|api[-_]?key|apikey|token|access[-_]?token|auth|sig|signature|secret|password|code)$/i;

const ENV_NAME = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name such as OPENAI_API_KEY');

/** Endpoints of one model, tried in turn; never with a credential in them. */
const BASE_URLS = z
  .array(
    z
      .url({ protocol: /^https?$/ })
      .refine(
        (u) => {
          const url = new URL(u);
          return url.username === '' && url.password === '';
        },
        {
          // The config is stored with the run and copied into eval files, so a URL is no place for a secret.
          message:
            'credentials must not be written in a URL: set model.api_key_env to the name of an environment variable instead',
        },
      )
      .refine((u) => ![...new URL(u).searchParams.keys()].some((k) => SECRET_PARAMS.test(k)), {
        message:
          'a query parameter of this URL carries a credential: take it out and set model.api_key_env (or model.header_env) to the name of an environment variable that holds it',
      }),
  )
  .min(1);

/** Headers whose values come from environment variables, by name. */
const HEADER_ENV = z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'expected an HTTP header name'), ENV_NAME);

export const BackendSchema = z
  .strictObject({
    /**
     * `openai`: any OpenAI-compatible HTTP server. `openai-batch`: an OpenAI-compatible Batch API
     * (files and batches endpoints at `base_urls[0]`; see `batch`). `sim`: the simulated model, in
     * process (tests, dry runs).
     */
    kind: z.enum(['openai', 'openai-batch', 'sim']).default('openai'),
    base_urls: BASE_URLS.default(['http://127.0.0.1:8000/v1']),
    model: z.string().min(1).default('sim-1'),
    /** Name of the environment variable holding the API key; the key itself is never in the config. */
    api_key_env: ENV_NAME.nullable().default(null),
    /**
     * Headers whose values come from environment variables, by name: `{api-key: AZURE_OPENAI_API_KEY}`
     * (Azure), `{x-goog-api-key: GEMINI_API_KEY}`. The values are never stored.
     */
    header_env: HEADER_ENV.default({}),
    headers: z
      .record(z.string(), z.string())
      .default({})
      .refine((h) => !Object.keys(h).some((k) => SECRET_HEADERS.includes(k.toLowerCase())), {
        message:
          'credentials must not be written in the config: set model.api_key_env (for Authorization: Bearer) or model.header_env ({header: VARIABLE}, for any other header) to the name of an environment variable instead',
      }),
    timeout_ms: positiveInt.default(300_000),
    /** Requests in flight; `auto`: twice the server's slots when it reports them (llama.cpp), else 64. */
    max_concurrency: auto(positiveInt.max(100_000)),
    /** Retries of a request that fails while other requests succeed. */
    max_retries: z.number().int().min(0).default(8),
    retry_base_ms: positiveInt.default(500),
    retry_max_ms: positiveInt.default(60_000),
    /** How long to keep retrying while no request at all succeeds (a restart, a model loading). */
    outage_tolerance_s: z
      .number()
      .min(0)
      .max(7 * 86_400)
      .default(600),
    /**
     * Stop the run when more than this share of the recent requests failed for their input
     * (context exceeded, rejected by the server); below it, each such failure rejects one problem.
     */
    max_failure_share: z.number().gt(0).max(1).default(0.5),
    /** Whether the server honours n>1 in one request (vLLM, SGLang do; llama.cpp server and Ollama do not); `auto` asks it. */
    supports_n: auto(z.boolean()),
    /** Whether the server enforces response_format json_schema (structured outputs); `auto` tests it. */
    json_schema: auto(z.boolean()),
    /**
     * Context length in tokens (prompt + max_tokens must fit); `auto` reads it from the server
     * where it reports one (vLLM, llama.cpp), null for no limit known.
     */
    context_tokens: auto(positiveInt.nullable()),
  })
  .prefault({});

export const SeedsSchema = z
  .strictObject({
    /** A JSONL file in the seed schema, or `bundled:math_train` for the MATH train split shipped with sparq. */
    path: z.string().min(1).default('bundled:math_train'),
    /**
     * Use a random sample of this many seeds (drawn with the run seed); null uses them all. A
     * sample, not all 7,498 MATH problems, so that generated problems soon dominate the pool and
     * the archive has empty cells left to fill: the growth a first run is meant to show.
     */
    sample: positiveInt.nullable().default(200),
    /** Skip malformed lines (and report how many) instead of failing. */
    skip_invalid: z.boolean().default(false),
  })
  .prefault({});

export const GenerationSchema = z
  .strictObject({
    batch_size: positiveInt.default(64),
    /** Relative weights of the mutation operators. */
    operators: z
      .strictObject({
        vary: z.number().min(0).default(0.4),
        harder: z.number().min(0).default(0.4),
        combine: z.number().min(0).default(0.2),
      })
      .prefault({})
      .refine((o) => o.vary + o.harder + o.combine > 0, {
        message: 'at least one operator weight must be > 0',
      }),
    temperature: temperature.default(1.0),
    top_p: probability.default(0.95),
    max_tokens: positiveInt.default(2048),
    /** Generated problems longer than this are rejected (reason: too_long). */
    max_problem_chars: positiveInt.default(3000),
    /**
     * Generated problems at least this similar (word-shingle Jaccard) to a problem already in the
     * pool are rejected when told (reason: near_duplicate); null turns the screen off.
     */
    near_duplicate_threshold: z.number().gt(0).max(1).nullable().default(0.8),
  })
  .prefault({});

export const SolverSchema = z
  .strictObject({
    k: positiveInt.default(8),
    temperature: temperature.default(0.7),
    top_p: probability.default(0.95),
    max_tokens: positiveInt.default(2048),
    /** A majority at least this large that disagrees with the reference marks the reference disputed. */
    disputed_majority: z.number().gt(0.5).max(1).default(0.6),
    /**
     * Attempts cut at max_tokens: `exclude` leaves them out of the solve-rate and the vote (a
     * problem all of whose attempts were cut is unverified); `wrong` counts them as wrong answers.
     */
    truncated: z.enum(['exclude', 'wrong']).default('exclude'),
    /**
     * Attempts that end without stating a final answer (malformed content): `exclude` leaves them
     * out like cut ones (a problem none of whose attempts could count is unverified, reason
     * `no_answer`); `wrong` counts them as wrong answers.
     */
    no_answer: z.enum(['exclude', 'wrong']).default('exclude'),
    adaptive: z
      .strictObject({
        enabled: z.boolean().default(false),
        round_size: positiveInt.default(4),
        max_k: positiveInt.default(32),
        /** Confidence of the Wilson interval that must fall inside one difficulty band to stop early. */
        confidence: z.number().gt(0.5).lt(1).default(0.9),
      })
      .prefault({}),
  })
  .prefault({});

export const LabelingSchema = z
  .strictObject({
    temperature: temperature.default(0),
    max_tokens: positiveInt.default(64),
    /** Times a label reply that breaks the requested format is asked again before it is kept as malformed. */
    malformed_retries: z.number().int().min(0).max(5).default(1),
  })
  .prefault({});

/**
 * The model judge: asked whether an attempt's answer is the reference only when the rules
 * cannot decide (no answer the rules can read, prose, an undecided comparison). The endpoint
 * settings left out are those of `model`: a server or API that serves both needs only `model`.
 */
export const JudgeSchema = z.strictObject({
  /** The judge model's name as its server knows it, e.g. a verifier model served by vLLM. */
  model: z.string().min(1),
  kind: z.enum(['openai', 'sim']).optional(),
  base_urls: BASE_URLS.optional(),
  api_key_env: ENV_NAME.nullable().optional(),
  header_env: HEADER_ENV.optional(),
  timeout_ms: positiveInt.optional(),
  /** Judge requests in flight at most (they are few: the rules decide nearly every attempt). */
  max_concurrency: positiveInt.max(100_000).default(16),
  /** Room for the one-word verdict, and for a model that reasons before it. */
  max_tokens: positiveInt.default(512),
  /** Characters of the attempt's end shown to the judge; its final answer is there. */
  response_chars: positiveInt.max(200_000).default(4000),
});

export const VerifierSchema = z
  .strictObject({
    /** null: the rules alone decide, and what they cannot decide is not correct. */
    judge: JudgeSchema.nullable().default(null),
  })
  .prefault({});

export const ArchiveSchema = z
  .strictObject({
    /** Top-c problems kept per cell. */
    cell_capacity: positiveInt.default(5),
    /** Add a difficulty-band dimension to the (subject x skill) cells. */
    difficulty_dimension: z.boolean().default(false),
    /** Solve-rate cut points of the difficulty bands, strictly increasing inside (0,1). */
    difficulty_bands: z
      .array(z.number().gt(0).lt(1))
      .min(1)
      .default([0.25, 0.5, 0.75])
      .refine((b) => b.every((x, i) => i === 0 || x > b[i - 1]!), {
        message: 'expected strictly increasing cut points',
      }),
  })
  .prefault({});

export const SelectionSchema = z
  .strictObject({
    strategy: z.enum(['uniform', 'curiosity', 'frontier']).default('uniform'),
    /** Solve-rate band [min, max] that the frontier strategy prefers for parents. */
    frontier: z
      .tuple([probability, probability])
      .default([0.2, 0.8])
      .refine(([lo, hi]) => lo < hi, { message: 'expected [min, max] with min < max' }),
  })
  .prefault({});

export const BudgetSchema = z
  .strictObject({
    // 0 evaluates the seeds alone (generation 0) and asks no mutation.
    generations: z.number().int().min(0).nullable().default(30),
    problems: positiveInt.nullable().default(null),
    requests: positiveInt.nullable().default(null),
    tokens: positiveInt.nullable().default(null),
  })
  .prefault({});

/**
 * Batch mode: requests go into OpenAI Batch input files (DIR/batches/NAME.jsonl) instead of being
 * sent one by one, and their answers come back from the matching output files.
 */
export const BatchSchema = z
  .strictObject({
    /** Write the files and exit with code 75 until their outputs are there (run them with `vllm run-batch`, Slurm, Ray, a batch API). */
    files: z.boolean().default(false),
    /** Requests one round trip carries at most: the default window is sized so that a round fills it. */
    max_requests: positiveInt.max(10_000_000).default(50_000),
    /** Lines of one input file at most (OpenAI and Together: 50,000). */
    file_lines: positiveInt.default(50_000),
    /** Bytes of one input file at most (OpenAI: 200 MB, Together: 100 MB). */
    file_bytes: positiveInt.min(4096).default(190_000_000),
    /** `model.kind: openai-batch`: the first wait between two polls of a batch, doubled up to `poll_max_s`. */
    poll_initial_s: z.number().positive().max(86_400).default(10),
    poll_max_s: z.number().positive().max(86_400).default(600),
    /** `model.kind: openai-batch`: the completion window asked for (the only one OpenAI offers is 24h). */
    completion_window: z
      .string()
      .regex(/^\d+h$/, 'expected hours, such as 24h')
      .default('24h'),
  })
  .prefault({});

/** Prometheus metrics of a running run (GET /metrics). */
export const MetricsSchema = z
  .strictObject({
    /** Serve GET /metrics on this port while the run runs (`--metrics-port`); null: not served. */
    port: z.number().int().min(0).max(65535).nullable().default(null),
    /** The address to serve on: loopback unless the metrics are meant to be seen from elsewhere. */
    host: z.string().min(1).default('127.0.0.1'),
  })
  .prefault({});

/** What the model costs, to show spend in money (status, the report); null: tokens only. */
export const PricingSchema = z.strictObject({
  /** Price of a million prompt (input) tokens, in `currency`. */
  prompt_per_million: z.number().min(0),
  /** Price of a million completion (output) tokens. */
  completion_per_million: z.number().min(0),
  /** Share taken off the price of requests answered through batch files (OpenAI, Together: 0.5). */
  batch_discount: z.number().min(0).max(1).default(0.5),
  currency: z.string().min(1).max(8).default('USD'),
});

export const SchedulerSchema = z.preprocess(
  // `scheduler: generations` is shorthand for `scheduler: { kind: generations }`.
  (v) => (typeof v === 'string' ? { kind: v } : v),
  z
    .strictObject({
      /** `steady`: a window of live tasks, no barriers. `generations`: one epoch at a time (a barrier after each). */
      kind: z.enum(['steady', 'generations']).default('steady'),
      /** Live tasks (asked, not yet told); null derives it from model.max_concurrency, solver.k and model.supports_n. */
      window: positiveInt.max(MAX_LIVE_TASKS).nullable().default(null),
      /** Commit the told prefix every this many tasks ... */
      commit_tasks: positiveInt.default(1024),
      /** ... or every this many seconds, whichever comes first. */
      commit_seconds: z.number().positive().max(3600).default(5),
    })
    .prefault({}),
);

export const ConfigSchema = z
  .strictObject({
    /** Master seed: parent selection, operator choice, seed sampling and sampling seeds derive from it. */
    seed: z.number().int().min(0).default(0),
    model: BackendSchema,
    seeds: SeedsSchema,
    generation: GenerationSchema,
    solver: SolverSchema,
    labeling: LabelingSchema,
    verifier: VerifierSchema,
    archive: ArchiveSchema,
    selection: SelectionSchema,
    budget: BudgetSchema,
    scheduler: SchedulerSchema,
    batch: BatchSchema,
    pricing: PricingSchema.nullable().default(null),
    metrics: MetricsSchema,
    /** Skill taxonomy file (YAML), or `bundled:v1`. */
    taxonomy: z.string().min(1).default('bundled:v1'),
    /** Folder with prompt templates that override the bundled ones (same file names). */
    prompts_dir: z.string().min(1).nullable().default(null),
    log_level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .superRefine((c, ctx) => {
    if (c.batch.files && c.model.kind === 'sim')
      ctx.addIssue({
        code: 'custom',
        path: ['batch', 'files'],
        message:
          'batch files are for another program to run (vllm run-batch, `sparq sim-batch`, a batch API), but model.kind sim answers in process: set model.kind to openai and model.model to the model that will answer them',
      });
    // With barriers, a whole generation is asked at once and held in memory (~1 KB a task).
    if (c.scheduler.kind === 'generations' && c.generation.batch_size > MAX_LIVE_TASKS)
      ctx.addIssue({
        code: 'custom',
        path: ['generation', 'batch_size'],
        message: `with scheduler: generations a whole generation is held in memory at once, so at most ${MAX_LIVE_TASKS.toLocaleString('en-US')} tasks (about 1 KB each); use scheduler: steady, whose window does not grow with batch_size`,
      });
  });

export type SparqConfig = z.infer<typeof ConfigSchema>;
export type BackendConfig = z.infer<typeof BackendSchema>;
export type JudgeConfig = z.infer<typeof JudgeSchema>;
export type BatchConfig = z.infer<typeof BatchSchema>;
export type PricingConfig = z.infer<typeof PricingSchema>;

/** Whether a run's requests go through batch files (file mode, or a batch API). */
export function batchMode(config: Pick<SparqConfig, 'model' | 'batch'>): 'files' | 'api' | null {
  if (config.model.kind === 'openai-batch') return 'api';
  return config.batch.files ? 'files' : null;
}
