import { afterEach, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/backends/types.js';
import { SUBJECTS } from '../../src/domain/subjects.js';
import { formatTaxonomy, loadTaxonomy } from '../../src/domain/taxonomy.js';
import { loadTemplate, renderTemplate } from '../../src/prompts/templates.js';
import { loadSeeds } from '../../src/seeds/load.js';
import { BEHAVIOURS, type Behaviour, profileOf, type ServerProfile } from '../../src/sim/behaviour.js';
import { integerToWords } from '../../src/sim/number-words.js';
import {
  defaultSimServerOptions,
  type RunningSimServer,
  type SimServerOptions,
  startSimServer,
} from '../../src/sim/server.js';

const taxonomy = loadTaxonomy('bundled:v1');
const seeds = loadSeeds('bundled:math_train').seeds;
const labelTemplate = loadTemplate('label', null);

const running: RunningSimServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function serve(
  behaviour: Behaviour,
  profile: Partial<ServerProfile> = {},
  options: Partial<SimServerOptions> = {},
): Promise<RunningSimServer> {
  const server = await startSimServer(
    defaultSimServerOptions({ ...options, profile: { ...profileOf(behaviour), ...profile } }),
  );
  running.push(server);
  return server;
}

/** The fields these tests read, of a completion, an error or a model list. */
interface Body {
  model: string;
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number };
  error: { message: string };
  data: Record<string, unknown>[];
  [field: string]: unknown;
}

interface Reply {
  status: number;
  body: Body;
}

async function chat(server: RunningSimServer, request: Record<string, unknown>): Promise<Reply> {
  const res = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'sim-1', temperature: 0.7, seed: 1, ...request }),
  });
  return { status: res.status, body: (await res.json()) as Body };
}

async function get(server: RunningSimServer, path: string): Promise<Reply> {
  const res = await fetch(new URL(path, server.url));
  return { status: res.status, body: (await res.json()) as Body };
}

/** Waits until the clock reads `epochMs`. */
const until = (epochMs: number) => new Promise((resolve) => setTimeout(resolve, epochMs - Date.now()));

const solve = (problem: string): ChatMessage[] => [
  { role: 'user', content: `Solve the problem. Put the final answer in \\boxed{}.\n\nProblem: ${problem}` },
];
const GCD = solve('Find the greatest common divisor of $84$ and $126$.');

const PROBE_SCHEMA = {
  type: 'object',
  properties: { ok: { type: 'string', enum: ['sparq-probe-123'] } },
  required: ['ok'],
  additionalProperties: false,
};
const jsonSchema = (schema: unknown) => ({
  type: 'json_schema',
  json_schema: { name: 'out', schema, strict: true },
});

/** sparq's label schema: one anyOf branch per subject, so that a skill goes with its subject. */
const LABEL_SCHEMA = {
  type: 'object',
  properties: {
    label: {
      anyOf: SUBJECTS.map((subject) => ({
        type: 'object',
        properties: {
          subject: { type: 'string', enum: [subject] },
          skill: { type: 'string', enum: [...taxonomy.skills.get(subject)!] },
        },
        required: ['subject', 'skill'],
        additionalProperties: false,
      })),
    },
  },
  required: ['label'],
  additionalProperties: false,
};

const labelMessages = (problem: string) =>
  renderTemplate(labelTemplate, { skills: formatTaxonomy(taxonomy), problem });

const content = (reply: Reply, i = 0): string => reply.body.choices[i]!.message.content;

function parsesAs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

describe('n > 1', () => {
  it('vLLM, OpenAI and the default honour it; llama.cpp fails with 500; Ollama answers one choice', async () => {
    for (const behaviour of ['vllm', 'openai', 'default'] as const) {
      const reply = await chat(await serve(behaviour), { messages: GCD, n: 3 });
      expect(reply.status).toBe(200);
      expect(reply.body.choices).toHaveLength(3);
    }
    const llama = await chat(await serve('llamacpp'), { messages: GCD, n: 2 });
    expect(llama).toEqual({
      status: 500,
      body: { error: { code: 500, message: 'Only one completion choice is allowed', type: 'server_error' } },
    });
    const ollama = await chat(await serve('ollama'), { messages: GCD, n: 2 });
    expect(ollama.status).toBe(200);
    expect(ollama.body.choices).toHaveLength(1);
  });

  it('a profile told to reject n>1 (--no-n) answers as llama.cpp does', async () => {
    const reply = await chat(await serve('default', { multipleChoices: 'reject' }), { messages: GCD, n: 2 });
    expect(reply.status).toBe(500);
    expect(reply.body.error.message).toBe('Only one completion choice is allowed');
    expect(
      (await chat(await serve('default', { multipleChoices: 'reject' }), { messages: GCD })).status,
    ).toBe(200);
  });
});

describe('response_format json_schema', () => {
  it('is enforced by vLLM (a probe gets its one valid instance) and ignored by llama.cpp', async () => {
    const request = {
      messages: [{ role: 'user', content: 'Reply with JSON.' }],
      response_format: jsonSchema(PROBE_SCHEMA),
    };
    for (const behaviour of ['vllm', 'openai', 'ollama', 'default'] as const) {
      const reply = await chat(await serve(behaviour), request);
      expect(parsesAs(content(reply))).toEqual({ ok: 'sparq-probe-123' });
    }
    const llama = await chat(await serve('llamacpp'), request);
    expect(llama.status).toBe(200);
    expect(parsesAs(content(llama))).not.toEqual({ ok: 'sparq-probe-123' });
  });

  it('labels under the anyOf schema name a skill of the subject they name, never one off the list', async () => {
    const server = await serve('vllm');
    for (const [i, seed] of seeds.slice(0, 60).entries()) {
      const reply = await chat(server, {
        messages: labelMessages(seed.problem),
        seed: i,
        response_format: jsonSchema(LABEL_SCHEMA),
      });
      const label = parsesAs(content(reply)) as { label: { subject: string; skill: string } };
      expect(Object.keys(label)).toEqual(['label']);
      expect(Object.keys(label.label).sort()).toEqual(['skill', 'subject']);
      expect(taxonomy.skills.get(label.label.subject as never)).toContain(label.label.skill);
    }
  });

  it('labels under the flat schema stay flat', async () => {
    const flat = {
      type: 'object',
      properties: {
        subject: { type: 'string', enum: [...SUBJECTS] },
        skill: { type: 'string', enum: [...new Set([...taxonomy.skills.values()].flat())] },
      },
      required: ['subject', 'skill'],
      additionalProperties: false,
    };
    const reply = await chat(await serve('default'), {
      messages: labelMessages('Find the greatest common divisor of $84$ and $126$.'),
      response_format: jsonSchema(flat),
    });
    expect(parsesAs(content(reply))).toEqual({ subject: 'Number Theory', skill: 'GCD and LCM' });
  });
});

describe('the context window', () => {
  const promptTokens = async () =>
    (await chat(await serve('default'), { messages: GCD })).body.usage.prompt_tokens as number;

  it('vLLM refuses a prompt plus max_tokens past max_model_len with its own message', async () => {
    const p = await promptTokens();
    const server = await serve('vllm', { contextTokens: p + 50 });
    expect(await chat(server, { messages: GCD, max_tokens: 80 })).toEqual({
      status: 400,
      body: {
        object: 'error',
        message: `This model's maximum context length is ${p + 50} tokens. However, you requested ${p + 80} tokens (${p} in the messages, 80 in the completion). Please reduce the length of the messages or completion.`,
        type: 'BadRequestError',
        param: null,
        code: 400,
      },
    });
    expect((await chat(server, { messages: GCD, max_tokens: 50 })).status).toBe(200);
    // Without max_tokens the output may fill what the prompt leaves, and ends "length" there.
    const open = await chat(await serve('vllm', { contextTokens: p + 5 }), { messages: GCD });
    expect(open.status).toBe(200);
    expect(open.body.choices[0]!.finish_reason).toBe('length');
    expect(open.body.usage.completion_tokens).toBeLessThanOrEqual(5);
  });

  it('OpenAI refuses a prompt past the window', async () => {
    const p = await promptTokens();
    const reply = await chat(await serve('openai', { contextTokens: p - 1 }), { messages: GCD });
    expect(reply).toEqual({
      status: 400,
      body: {
        error: {
          message: `This model's maximum context length is ${p - 1} tokens. However, your messages resulted in ${p} tokens. Please reduce the length of the messages.`,
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      },
    });
  });

  it('llama.cpp without context shift: 400 for a prompt that fills the window, 500 after generating to its end', async () => {
    const p = await promptTokens();
    expect(await chat(await serve('llamacpp', { contextTokens: p }), { messages: GCD })).toEqual({
      status: 400,
      body: {
        error: {
          code: 400,
          message: 'the request exceeds the available context size, try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: p,
          n_ctx: p,
        },
      },
    });
    const tight = await serve('llamacpp', { contextTokens: p + 5 }, { latency: { kind: 'fixed', ms: 80 } });
    const started = Date.now();
    expect(await chat(tight, { messages: GCD })).toEqual({
      status: 500,
      body: { error: { code: 500, message: 'context shift is disabled', type: 'server_error' } },
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    const capped = await chat(tight, { messages: GCD, max_tokens: 3 });
    expect(capped.status).toBe(200);
    expect(capped.body.choices[0]!.finish_reason).toBe('length');
    expect(capped.body.usage.completion_tokens).toBeLessThanOrEqual(3);
  });

  it('with truncation (Ollama, llama.cpp context shift) the prompt is cut and the reply still comes', async () => {
    const long = solve(`${'Consider the following carefully. '.repeat(40)}What is $2+3$?`);
    for (const [behaviour, overflow] of [
      ['ollama', 'truncate'],
      ['llamacpp', 'truncate'],
    ] as const) {
      const reply = await chat(await serve(behaviour, { contextTokens: 120, contextOverflow: overflow }), {
        messages: long,
      });
      expect(reply.status).toBe(200);
      const { prompt_tokens, completion_tokens } = reply.body.usage;
      expect(prompt_tokens).toBeLessThanOrEqual(120);
      expect(prompt_tokens + completion_tokens).toBeLessThanOrEqual(120);
      expect(content(reply).length).toBeGreaterThan(0);
    }
  });

  it('max_tokens ends the output with "length" and bounds completion_tokens', async () => {
    const reply = await chat(await serve('default'), { messages: GCD, max_tokens: 4 });
    expect(reply.body.choices[0]!.finish_reason).toBe('length');
    expect(reply.body.usage.completion_tokens).toBeLessThanOrEqual(4);
  });
});

describe('model names', () => {
  it('each server refuses an unknown model in its words; llama.cpp serves any name and echoes it', async () => {
    expect(await chat(await serve('vllm'), { messages: GCD, model: 'x' })).toEqual({
      status: 404,
      body: {
        object: 'error',
        message: 'The model `x` does not exist.',
        type: 'NotFoundError',
        param: null,
        code: 404,
      },
    });
    expect(await chat(await serve('ollama'), { messages: GCD, model: 'x' })).toEqual({
      status: 404,
      body: {
        error: {
          message: 'model "x" not found, try pulling it first',
          type: 'api_error',
          param: null,
          code: null,
        },
      },
    });
    const openai = await chat(await serve('openai'), { messages: GCD, model: 'x' });
    expect(openai.status).toBe(404);
    const byDefault = await chat(await serve('default'), { messages: GCD, model: 'x' });
    expect(byDefault.status).toBe(404);
    expect(byDefault.body.error.message).toBe('The model `x` does not exist. This server serves `sim-1`.');
    const llama = await chat(await serve('llamacpp'), { messages: GCD, model: 'anything-goes' });
    expect(llama.status).toBe(200);
    expect(llama.body.model).toBe('anything-goes');
  });

  it('a server of several models answers to each and lists them all: a judge beside the model', async () => {
    const server = await serve('vllm', {}, { models: ['sim-1', 'judge-1'] });
    const judge = await chat(server, { messages: GCD, model: 'judge-1' });
    expect(judge.status).toBe(200);
    expect(judge.body.model).toBe('judge-1');
    expect((await chat(server, { messages: GCD, model: 'sim-1' })).body.model).toBe('sim-1');
    expect((await chat(server, { messages: GCD, model: 'other' })).status).toBe(404);
    const listed = (await get(server, '/v1/models')).body.data.map((m) => m.id);
    expect(listed).toEqual(['sim-1', 'judge-1']);
  });

  it('answers a judge prompt with a verdict', async () => {
    const server = await serve('default', {}, { models: ['sim-1', 'judge-1'] });
    const ask = (reference: string, solution: string) =>
      chat(server, {
        model: 'judge-1',
        temperature: 0,
        messages: renderTemplate(loadTemplate('judge'), {
          problem: 'What is 5 + 7?',
          reference,
          response: solution,
        }),
      });
    expect((await ask('12', 'So the answer is twelve.')).body.choices[0]!.message.content).toBe('EQUIVALENT');
    expect((await ask('12', 'So the answer is thirteen.')).body.choices[0]!.message.content).toBe(
      'DIFFERENT',
    );
    // Like a judge model it errs now and then (2% of prompts), the same way for the same prompt.
    let right = 0;
    for (let n = 1; n <= 100; n++) {
      const said = n % 2 === 0 ? n : n + 1;
      const reply = (await ask(String(n), `So the answer is ${integerToWords(said)}.`)).body.choices[0]!
        .message.content;
      if ((reply === 'EQUIVALENT') === (said === n)) right++;
    }
    expect(right).toBeGreaterThanOrEqual(90);
  });
});

describe('model discovery', () => {
  it('GET /v1/models in each server shape, and llama.cpp /props', async () => {
    const vllm = (await get(await serve('vllm'), '/v1/models')).body;
    expect(vllm.object).toBe('list');
    expect(vllm.data[0]).toMatchObject({
      id: 'sim-1',
      object: 'model',
      owned_by: 'vllm',
      root: 'sim-1',
      parent: null,
      max_model_len: 4096,
    });
    expect(Number.isInteger(vllm.data[0]!.created)).toBe(true);
    expect(vllm.data[0]!.permission).toHaveLength(1);

    const llamaServer = await serve('llamacpp');
    const llama = (await get(llamaServer, '/v1/models')).body;
    expect(llama.data[0]).toMatchObject({ id: 'sim-1', object: 'model', owned_by: 'llamacpp' });
    expect(llama.data[0]!.meta).toMatchObject({ n_ctx_train: 32768, n_vocab: 151936 });
    const props = await get(llamaServer, '/props');
    expect(props.status).toBe(200);
    expect(props.body).toMatchObject({
      default_generation_settings: { n_ctx: 4096 },
      total_slots: 4,
      model_path: '/models/sim-1.gguf',
      build_info: 'b4800-sim',
    });
    expect(await get(llamaServer, '/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get(await serve('vllm'), '/props')).status).toBe(404);

    for (const [behaviour, owner] of [
      ['ollama', 'library'],
      ['openai', 'system'],
      ['default', 'sparq-sim'],
    ] as const) {
      const body = (await get(await serve(behaviour), '/v1/models')).body;
      expect(body).toEqual({
        object: 'list',
        data: [{ id: 'sim-1', object: 'model', created: body.data[0]!.created, owned_by: owner }],
      });
      expect(Number.isInteger(body.data[0]!.created)).toBe(true);
    }
  });
});

describe('slots', () => {
  it('processes at most N requests at once and queues the rest in order', async () => {
    const server = await serve('llamacpp', {}, { latency: { kind: 'fixed', ms: 100 } });
    const started = Date.now();
    const replies = await Promise.all(
      Array.from({ length: 6 }, (_, i) => chat(server, { messages: GCD, seed: i })),
    );
    expect(replies.every((r) => r.status === 200)).toBe(true);
    // Two waves of 100 ms: the queue time is part of the wait, as on a real server.
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    const stats = server.stats();
    expect(stats.maxInFlight).toBeLessThanOrEqual(4);
    expect(stats.maxQueued).toBe(2);
    expect(stats.queued).toBe(0);
  });

  it('a client that leaves the queue gives its place up', async () => {
    const server = await serve('default', { slots: 1 }, { latency: { kind: 'fixed', ms: 150 } });
    const first = chat(server, { messages: GCD });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const leaving = fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'sim-1', messages: GCD }),
      signal: AbortSignal.timeout(50),
    });
    await expect(leaving).rejects.toThrow();
    expect((await first).status).toBe(200);
    expect(server.stats()).toMatchObject({ queued: 0, maxQueued: 1 });
    expect((await chat(server, { messages: GCD })).status).toBe(200);
  });
});

describe('loading and outages', () => {
  it('answers 503 "Loading model" on every route while loading, then serves', async () => {
    const server = await serve('llamacpp', { loadingMs: 600 });
    const started = Date.now();
    const loading = { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } };
    expect(await get(server, '/health')).toEqual({ status: 503, body: loading });
    expect(await chat(server, { messages: GCD })).toEqual({ status: 503, body: loading });
    expect((await get(await serve('vllm', { loadingMs: 600 }), '/v1/models')).status).toBe(503);
    await until(started + 650);
    expect((await get(server, '/health')).status).toBe(200);
    expect((await chat(server, { messages: GCD })).status).toBe(200);
  });

  it('outage(): connections drop and are refused, then the same port serves again', async () => {
    const server = await serve('vllm', {}, { latency: { kind: 'fixed', ms: 200 } });
    expect((await get(server, '/health')).status).toBe(200);
    const inFlight = chat(server, { messages: GCD });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const back = server.outage(300);
    await expect(inFlight).rejects.toThrow();
    await expect(get(server, '/health')).rejects.toThrow();
    await back;
    expect((await chat(server, { messages: GCD })).status).toBe(200);
  });

  it('a scheduled outage starts and ends by itself', async () => {
    const server = await serve('default', { outage: { startMs: 300, durationMs: 600 } });
    const started = Date.now();
    expect((await get(server, '/health')).status).toBe(200);
    await until(started + 450);
    await expect(get(server, '/health')).rejects.toThrow();
    await until(started + 1000);
    expect((await get(server, '/health')).status).toBe(200);
  });
});

/** Parses a server-sent event stream into its data payloads. */
function sseData(text: string): string[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      expect(block.startsWith('data: ')).toBe(true);
      return block.slice('data: '.length);
    });
}

describe('stream: true', () => {
  it('sends server-sent events whose deltas add up to the non-streamed reply', async () => {
    const server = await serve('vllm');
    const request = { model: 'sim-1', messages: GCD, n: 2, temperature: 0.7, seed: 3 };
    const whole = await chat(server, request);
    const res = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ ...request, stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const data = sseData(await res.text());
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
    const texts = ['', ''];
    const finish: (string | null)[] = [null, null];
    for (const chunk of chunks) {
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        texts[choice.index] += choice.delta.content ?? '';
        if (choice.finish_reason) finish[choice.index] = choice.finish_reason;
      }
    }
    expect(texts).toEqual([content(whole, 0), content(whole, 1)]);
    expect(finish).toEqual(['stop', 'stop']);
    expect(chunks.at(-1).usage).toEqual(whole.body.usage);
  });

  it('streams in every profile', async () => {
    for (const behaviour of BEHAVIOURS) {
      const res = await fetch(`${(await serve(behaviour)).url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'sim-1', messages: GCD, stream: true }),
      });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const data = sseData(await res.text());
      expect(data.at(-1)).toBe('[DONE]');
      expect(data.some((d) => d.includes('"usage"'))).toBe(false);
    }
  });
});

describe('fault injection', () => {
  it('works on top of a profile', async () => {
    const server = await serve(
      'llamacpp',
      {},
      { faults: { ...defaultSimServerOptions().faults, http500: 1 } },
    );
    const reply = await chat(server, { messages: GCD });
    expect(reply.status).toBe(500);
    expect(reply.body.error.message).toMatch(/injected/);
    expect(server.stats().faults.http500).toBe(1);
  });
});
