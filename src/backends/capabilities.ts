/**
 * What an endpoint can do, as found out by asking it (src/engine/doctor.ts), and the model
 * settings a run uses once every `auto` in the configuration has been decided. Explicit settings
 * always win over what was detected; what was detected is recorded with the run.
 */
import type { BackendConfig } from '../config/schema.js';

/** What the server did with a request for n=2 choices. */
export type NSupport = 'honoured' | 'rejected' | 'dropped';
/** What the server did with a JSON-schema response format. */
export type SchemaSupport = 'enforced' | 'ignored' | 'rejected';

export interface Capabilities {
  /** Null when not tested (the setting was explicit). */
  n: NSupport | null;
  schema: SchemaSupport | null;
  /** Model ids listed by GET /v1/models; null when the server does not list them. */
  servedModels: string[] | null;
  /** The model name the server put in its reply. */
  reportedModel: string | null;
  /** Context length in tokens (per slot for llama.cpp), where the server reports one. */
  contextTokens: number | null;
  /** Where the context length came from, e.g. `max_model_len (GET /v1/models)`. */
  contextSource: string | null;
  /** Parallel decoding slots, where the server reports them (llama.cpp `total_slots`). */
  slots: number | null;
  /** The server software, guessed from what it reports (`vllm`, `llama.cpp`, `ollama`, ...). */
  server: string | null;
  /** Wall time of one short request, ms. */
  latencyMs: number | null;
}

/** The model settings with every `auto` decided: what backends, gateway and scheduler read. */
export type ModelSettings = Omit<
  BackendConfig,
  'supports_n' | 'json_schema' | 'max_concurrency' | 'context_tokens'
> & {
  supports_n: boolean;
  json_schema: boolean;
  max_concurrency: number;
  context_tokens: number | null;
};

/** One decided setting and whether it was configured or detected, as recorded with the run. */
export interface Decided<T> {
  value: T;
  source: 'configured' | 'detected' | 'default';
}

export interface DecidedSettings {
  supports_n: Decided<boolean>;
  json_schema: Decided<boolean>;
  max_concurrency: Decided<number>;
  context_tokens: Decided<number | null>;
}

/** Requests in flight when neither the configuration nor the server says. */
export const DEFAULT_CONCURRENCY = 64;
/** Requests in flight per server slot: one decoding, one queued so the slot never idles between requests. */
export const REQUESTS_PER_SLOT = 2;

/** Capabilities of the in-process simulated model, which supports everything. */
export const SIM_CAPABILITIES: Capabilities = {
  n: 'honoured',
  schema: 'enforced',
  servedModels: null,
  reportedModel: null,
  contextTokens: null,
  contextSource: null,
  slots: null,
  server: 'sparq sim (in process)',
  latencyMs: null,
};

/**
 * What `auto` means in batch mode, where no server answers until the files are run: n>1 is
 * honoured by `vllm run-batch` and the OpenAI Batch API; a JSON schema is not assumed (set
 * model.json_schema: true where the runner enforces it); no context length is known.
 */
export const BATCH_CAPABILITIES: Capabilities = {
  ...SIM_CAPABILITIES,
  schema: null,
  server: 'batch files',
};

export function decideSettings(config: BackendConfig, found: Capabilities): DecidedSettings {
  const pick = <T>(configured: T | 'auto', detected: T | null, fallback: T): Decided<T> =>
    configured !== 'auto'
      ? { value: configured, source: 'configured' }
      : detected !== null
        ? { value: detected, source: 'detected' }
        : { value: fallback, source: 'default' };
  return {
    // Untested means the server failed neither way: the conservative choice costs only speed.
    supports_n: pick(config.supports_n, found.n === null ? null : found.n === 'honoured', false),
    json_schema: pick(config.json_schema, found.schema === null ? null : found.schema === 'enforced', false),
    max_concurrency: pick(
      config.max_concurrency,
      found.slots === null ? null : found.slots * REQUESTS_PER_SLOT,
      DEFAULT_CONCURRENCY,
    ),
    context_tokens: pick(config.context_tokens, found.contextTokens, null),
  };
}

export function modelSettings(config: BackendConfig, decided: DecidedSettings): ModelSettings {
  return {
    ...config,
    supports_n: decided.supports_n.value,
    json_schema: decided.json_schema.value,
    max_concurrency: decided.max_concurrency.value,
    context_tokens: decided.context_tokens.value,
  };
}

/** The settings `config` leads to against an endpoint found to behave as `found`. */
export function settingsFor(config: BackendConfig, found: Capabilities): ModelSettings {
  return modelSettings(config, decideSettings(config, found));
}

/** Settings that change what a run computes (request keys, prompts): fixed when a run starts. */
const FIXED_FOR_A_RUN = ['supports_n', 'json_schema', 'context_tokens'] as const;

/**
 * A resumed run keeps the settings it started with wherever the configuration still says
 * `auto`, so that it goes on computing exactly what it would have; what the server does now
 * differently is returned, to be said. Concurrency may follow the server.
 */
export function keepForResume(
  config: BackendConfig,
  now: DecidedSettings,
  started: DecidedSettings,
): { decided: DecidedSettings; differs: string[] } {
  const decided = { ...now };
  const differs: string[] = [];
  for (const key of FIXED_FOR_A_RUN) {
    if (config[key] !== 'auto') continue;
    const before = started[key] as Decided<never>;
    if (before.value !== now[key].value)
      differs.push(`${key} would now be ${String(now[key].value)}; the run keeps ${String(before.value)}`);
    (decided as Record<string, Decided<unknown>>)[key] = before;
  }
  return { decided, differs };
}
