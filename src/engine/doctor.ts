/**
 * Finding out what an endpoint can do, with a few small requests, before a run or an eval sends
 * thousands: whether it honours n>1 (vLLM and SGLang do; llama.cpp answers 500; some servers drop
 * n and return one choice), whether it enforces a JSON schema (some accept one and ignore it),
 * which models it serves, its context length and slots where it reports them (vLLM's
 * `max_model_len`, llama.cpp's GET /props), and the latency of a short request.
 *
 * At start-up the server may still be loading its model (llama.cpp answers 503; vLLM refuses
 * connections until it is ready) or restarting: the first request waits for it within
 * model.outage_tolerance_s, saying so at once, so that a wrong URL is noticed too.
 */
import { Pool } from 'undici';
import {
  BATCH_CAPABILITIES,
  type Capabilities,
  type DecidedSettings,
  decideSettings,
  keepForResume,
  type ModelSettings,
  modelSettings,
  type NSupport,
  REQUESTS_PER_SLOT,
  type SchemaSupport,
  SIM_CAPABILITIES,
} from '../backends/capabilities.js';
import { OpenAIHttpBackend, requestHeaders } from '../backends/openai-http.js';
import { type ChatRequest, type ChatResponse, type ModelBackend, ModelCallError } from '../backends/types.js';
import type { BackendConfig } from '../config/schema.js';
import { UserError } from '../util/errors.js';
import { type JsonSchema, schemaViolation } from '../util/json-schema.js';
import { sleep } from '../util/sleep.js';
import { SpendLedger } from './gateway/ledger.js';
import { OnlineDispatcher } from './gateway/online.js';

export interface DoctorReport {
  endpoint: string;
  capabilities: Capabilities;
  decided: DecidedSettings;
  /** What each probe saw, in words. */
  observations: string[];
  /** Things the user should look at: a model the server does not list, silent truncation. */
  warnings: string[];
}

export interface DoctorOptions {
  env?: NodeJS.ProcessEnv;
  /** Test every capability, not only those the configuration leaves on `auto`. */
  all?: boolean;
  /** Told while the first request waits for the server. */
  onWait?: (message: string) => void;
  signal?: AbortSignal;
}

const GET_TIMEOUT_MS = 10_000;

export async function runDoctor(config: BackendConfig, options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const base = config.base_urls[0]!;
  const headers = requestHeaders(config, env);
  const observations: string[] = [];
  const warnings: string[] = [];
  const backend = new OpenAIHttpBackend(
    {
      ...config,
      supports_n: true,
      json_schema: true,
      max_concurrency: 2,
      context_tokens: null,
      timeout_ms: Math.min(config.timeout_ms, 120_000),
    },
    env,
  );
  const pool = new Pool(new URL(base).origin, {
    connections: 2,
    headersTimeout: GET_TIMEOUT_MS,
    bodyTimeout: GET_TIMEOUT_MS,
  });
  try {
    const found: Capabilities = {
      n: null,
      schema: null,
      servedModels: null,
      reportedModel: null,
      contextTokens: null,
      contextSource: null,
      slots: null,
      server: null,
      latencyMs: null,
    };
    const listModels = () => getJson(pool, `${pathOf(base)}/models`, headers, options.signal);
    // The chat first: a server still loading answers 503 on its other routes too.
    const first = await firstAnswer(backend, config, listModels, options);
    found.reportedModel = first.model || null;
    readModelList(await listModels(), config.model, found, observations);
    readLlamaCppProps(await getJson(pool, '/props', headers, options.signal), found, observations);
    if (found.slots !== null && config.base_urls.length > 1) {
      // Only the first server was asked; the others are taken to be like it.
      found.slots *= config.base_urls.length;
      observations.push(
        `${config.base_urls.length} base URLs: ${found.slots} slots in all, if the servers are alike`,
      );
    }
    // Timed on a second request: the first also paid for the connection and any warm-up.
    const sentAt = performance.now();
    await backend.send(tiny(), options.signal).catch(() => undefined);
    found.latencyMs = Math.round(performance.now() - sentAt);
    observations.push(`a short request answered in ${found.latencyMs} ms`);

    const probe = new OnlineDispatcher(
      backend,
      { maxRetries: 2, baseMs: 250, maxMs: 2_000, outageToleranceMs: config.outage_tolerance_s * 1000 },
      2,
      new SpendLedger(),
    );
    if (options.all || config.supports_n === 'auto')
      found.n = await probeN(probe, observations, options.signal);
    if (options.all || config.json_schema === 'auto')
      found.schema = await probeSchema(probe, observations, options.signal);

    if (found.servedModels && !found.servedModels.includes(config.model))
      warnings.push(
        `the server lists ${found.servedModels.map((m) => `"${m}"`).join(', ')}, not "${config.model}" (model.model)${found.server === 'llama.cpp' ? ': llama.cpp answers to any name, so the name sparq records would be wrong' : ''}`,
      );
    if (
      found.slots !== null &&
      typeof config.max_concurrency === 'number' &&
      config.max_concurrency > found.slots * REQUESTS_PER_SLOT * 2
    )
      warnings.push(
        `model.max_concurrency is ${config.max_concurrency} but the server decodes ${found.slots} request(s) at a time: the rest wait in its queue, and model.timeout_ms counts the wait; ${found.slots * REQUESTS_PER_SLOT} (or auto) keeps every slot busy`,
      );
    if (found.contextTokens === null && config.context_tokens === 'auto')
      warnings.push(
        found.server === 'ollama'
          ? "Ollama cuts prompts beyond its num_ctx without saying so: set model.context_tokens to the model's num_ctx so that sparq keeps requests inside it"
          : 'the server does not report its context length: set model.context_tokens if requests may not fit',
      );
    return {
      endpoint: base,
      capabilities: found,
      decided: decideSettings(config, found),
      observations,
      warnings,
    };
  } finally {
    await backend.close();
    await pool.close().catch(() => undefined);
  }
}

const tiny = (extra: Partial<ChatRequest> = {}): ChatRequest => ({
  messages: [{ role: 'user', content: 'Reply with the single word: ready' }],
  n: 1,
  temperature: 0,
  // Room for a reasoning model's thinking before its reply.
  maxTokens: 256,
  seed: 1,
  ...extra,
});

/**
 * The first answer, waiting for a server that is loading or restarting (503, connections
 * refused, no answer in time) within model.outage_tolerance_s; other transient errors (429,
 * 500) are retried model.max_retries times.
 */
async function firstAnswer(
  backend: ModelBackend,
  config: BackendConfig,
  listModels: () => Promise<unknown>,
  options: DoctorOptions,
): Promise<ChatResponse> {
  const started = Date.now();
  const tolerance = config.outage_tolerance_s * 1000;
  let told = '';
  for (let attempt = 1; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      return await backend.send(tiny(), options.signal);
    } catch (err) {
      if (!(err instanceof ModelCallError) || options.signal?.aborted) throw err;
      const starting =
        err.status === 503 ||
        err.status === 502 ||
        err.status === 504 ||
        err.fault === 'network' ||
        err.fault === 'timeout';
      const waited = Date.now() - started;
      if (!err.retryable || (starting ? waited >= tolerance : attempt > config.max_retries)) {
        const served = err.status === 404 ? servedModelsHint(await listModels()) : '';
        const running =
          err.fault === 'network'
            ? '\nIs the server running at that address? Start it (or fix model.base_urls), then run the same command again; `sparq doctor --base-url URL --model NAME` checks an endpoint.'
            : '';
        throw new UserError(
          `the model endpoint ${config.base_urls[0]} did not answer a test request${starting ? ` within ${Math.round(waited / 1000)} s (model.outage_tolerance_s is ${config.outage_tolerance_s})` : ''}: ${err.message}${served}${running}`,
          1,
        );
      }
      const message = starting
        ? `waiting up to ${config.outage_tolerance_s} s (model.outage_tolerance_s) for ${config.base_urls[0]} to answer (${err.message}); Ctrl-C to stop`
        : `retrying the test request (${err.message})`;
      if (message !== told) options.onWait?.(message);
      told = message;
      await sleep(err.retryAfterMs ?? Math.min(500 * 2 ** (attempt - 1), 5_000), options.signal);
    }
  }
}

function servedModelsHint(listing: unknown): string {
  const data = (listing as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length === 0) return '';
  const ids = data.map((m) => JSON.stringify(String((m as { id?: unknown })?.id)));
  return `\nThe server serves: ${ids.join(', ')} (set model.model / --model to one of them).`;
}

async function probeN(
  probe: OnlineDispatcher,
  observations: string[],
  signal?: AbortSignal,
): Promise<NSupport> {
  try {
    const response = await probe.dispatch(tiny({ n: 2, temperature: 1 }), 0, signal);
    observations.push(`n=2: ${response.choices.length} choices`);
    return 'honoured';
  } catch (err) {
    if (!(err instanceof ModelCallError)) throw err;
    const dropped = !err.retryable && err.fault === 'malformed_response';
    observations.push(`n=2: ${dropped ? 'one choice came back (n ignored)' : `refused (${err.message})`}`);
    return dropped ? 'dropped' : 'rejected';
  }
}

async function probeSchema(
  probe: OnlineDispatcher,
  observations: string[],
  signal?: AbortSignal,
): Promise<SchemaSupport> {
  // One allowed value that no model would write unasked: only an enforced schema produces it.
  const token = `sparq-probe-${Math.floor(Math.random() * 1e6)}`;
  const schema: JsonSchema = {
    type: 'object',
    properties: { ok: { type: 'string', enum: [token] } },
    required: ['ok'],
    additionalProperties: false,
  };
  try {
    const response = await probe.dispatch(
      tiny({
        messages: [{ role: 'user', content: 'What colour is the sky on a clear day? Answer in one word.' }],
        maxTokens: 512,
        responseFormat: { type: 'json_schema', name: 'sparq_probe', schema },
      }),
      0,
      signal,
    );
    const text = response.choices[0]?.text ?? '';
    let problem: string | null;
    try {
      problem = schemaViolation(JSON.parse(text), schema);
    } catch {
      problem = 'not JSON';
    }
    observations.push(
      problem === null
        ? 'JSON schema: the reply followed it'
        : `JSON schema: accepted, but the reply did not follow it (${problem}: ${JSON.stringify(text.slice(0, 60))})`,
    );
    return problem === null ? 'enforced' : 'ignored';
  } catch (err) {
    if (!(err instanceof ModelCallError)) throw err;
    observations.push(`JSON schema: refused (${err.message})`);
    return 'rejected';
  }
}

function readModelList(listing: unknown, wanted: string, found: Capabilities, observations: string[]): void {
  const data = (listing as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) {
    observations.push('GET /models: no model list');
    return;
  }
  const models = data.filter((m): m is Record<string, unknown> => m !== null && typeof m === 'object');
  found.servedModels = models.map((m) => String(m.id));
  const owners = new Set(models.map((m) => String(m.owned_by ?? '')));
  found.server = owners.has('vllm')
    ? 'vllm'
    : owners.has('llamacpp')
      ? 'llama.cpp'
      : owners.has('library')
        ? 'ollama'
        : owners.has('sglang')
          ? 'sglang'
          : null;
  const entry = models.find((m) => m.id === wanted) ?? (models.length === 1 ? models[0] : undefined);
  const maxLen = Number(entry?.max_model_len);
  if (Number.isInteger(maxLen) && maxLen > 0) {
    found.contextTokens = maxLen;
    found.contextSource = 'max_model_len (GET /models)';
  }
  observations.push(`GET /models: ${found.servedModels.map((m) => JSON.stringify(m)).join(', ') || 'none'}`);
}

function readLlamaCppProps(props: unknown, found: Capabilities, observations: string[]): void {
  const p = props as { default_generation_settings?: { n_ctx?: unknown }; total_slots?: unknown } | null;
  const nCtx = Number(p?.default_generation_settings?.n_ctx);
  const slots = Number(p?.total_slots);
  if (!Number.isInteger(nCtx) || nCtx <= 0) return;
  found.server = 'llama.cpp';
  // /props reports the context of one slot: what a single request can use.
  found.contextTokens = nCtx;
  found.contextSource = 'n_ctx per slot (GET /props)';
  if (Number.isInteger(slots) && slots > 0) found.slots = slots;
  observations.push(`GET /props: n_ctx ${nCtx} per slot, ${Number.isInteger(slots) ? slots : '?'} slot(s)`);
}

/** A GET that may fail: most servers have only some of these routes. */
async function getJson(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<unknown> {
  try {
    const res = await pool.request({ method: 'GET', path, headers, signal });
    const text = await res.body.text();
    if (res.statusCode !== 200) return null;
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function pathOf(base: string): string {
  return new URL(base).pathname.replace(/\/+$/, '');
}

export interface PreparedModel {
  settings: ModelSettings;
  decided: DecidedSettings;
  /** Null when nothing was asked: the in-process simulator, or a backend handed in by a test. */
  report: DoctorReport | null;
}

/**
 * The model settings a run or an eval uses: every `auto` decided by asking the server (or, for
 * the in-process simulator and backends handed in directly, by what they say of themselves).
 */
export async function prepareModel(
  config: BackendConfig,
  options: DoctorOptions & {
    backend?: ModelBackend;
    /** What a resumed run decided when it started: kept wherever the configuration says auto. */
    startedWith?: DecidedSettings | null;
    /** Batch mode: no endpoint is asked; the batch defaults decide every `auto`. */
    batch?: boolean;
  } = {},
): Promise<PreparedModel> {
  let report: DoctorReport | null = null;
  let decided: DecidedSettings;
  if (options.batch) {
    // Nothing answers until the files are run: what batch runners and APIs are known to do.
    decided = decideSettings(config, BATCH_CAPABILITIES);
  } else if (options.backend || config.kind === 'sim') {
    const known: Capabilities = options.backend
      ? {
          ...SIM_CAPABILITIES,
          n: options.backend.supportsN ? 'honoured' : 'rejected',
          server: options.backend.description,
        }
      : SIM_CAPABILITIES;
    decided = decideSettings(config, known);
  } else {
    report = await runDoctor(config, options);
    decided = report.decided;
  }
  if (options.startedWith) {
    const kept = keepForResume(config, decided, options.startedWith);
    decided = kept.decided;
    if (report && kept.differs.length > 0)
      report.warnings.push(
        `the endpoint differs from when this run started (${kept.differs.join('; ')}), so that the run goes on computing the same; start a new run directory to use the new settings`,
      );
  }
  return { settings: modelSettings(config, decided), decided, report };
}
