/**
 * The OpenAI Batch format as sparq writes and reads it, and the batch dispatcher's rules for each
 * kind of line: an answer, a line to retry, a line that rejects its problem, a missing line.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ModelCallError } from '../../src/backends/types.js';
import { BatchDispatcher } from '../../src/batch/dispatcher.js';
import {
  customId,
  inputLine,
  type LineResult,
  parseCustomId,
  parseOutputLine,
} from '../../src/batch/format.js';
import { SpendLedger } from '../../src/engine/gateway/ledger.js';
import { BatchStore } from '../../src/storage/batch-store.js';

const KEY = 'ab'.repeat(32);
const completion = {
  id: 'c',
  object: 'chat.completion',
  choices: [{ index: 0, message: { role: 'assistant', content: 'x = 3' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 10, completion_tokens: 4 },
};
const line = (o: Record<string, unknown>) => JSON.stringify({ id: 'batch_req_1', custom_id: KEY, ...o });

describe('custom ids', () => {
  it('are the request key, with the resend number after the first send', () => {
    expect(customId(KEY, 0)).toBe(KEY);
    expect(customId(KEY, 3)).toBe(`${KEY}~3`);
    expect(parseCustomId(`${KEY}~3`)).toEqual({ key: KEY, send: 3 });
    expect(parseCustomId(KEY)).toEqual({ key: KEY, send: 0 });
    for (const other of ['request-1', `${KEY}~0`, `${KEY}~x`, KEY.slice(2), 7])
      expect(parseCustomId(other)).toBeNull();
  });

  it('an input line is one JSON object with the four fields the APIs require', () => {
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi\n"there"' }] });
    const parsed = JSON.parse(inputLine(KEY, body)) as Record<string, unknown>;
    expect(parsed).toEqual({
      custom_id: KEY,
      method: 'POST',
      url: '/v1/chat/completions',
      body: JSON.parse(body),
    });
    expect(inputLine(KEY, body)).not.toContain('\n');
  });
});

describe('output lines', () => {
  it('reads an answer as vllm run-batch and the OpenAI Batch API write it', () => {
    const r = parseOutputLine(
      line({ response: { status_code: 200, request_id: 'r', body: completion }, error: null }),
    );
    expect(r).toMatchObject({ kind: 'result', result: { ok: true, key: KEY, send: 0 } });
    if (r.kind === 'result' && r.result.ok) {
      expect(r.result.response.choices[0]!.text).toBe('x = 3');
      expect(r.result.response.usage).toEqual({ promptTokens: 10, completionTokens: 4 });
    }
  });

  it('reads errors: an error object, a non-200 status, a body that is no completion', () => {
    const cases: [Record<string, unknown>, number | null, RegExp][] = [
      [
        { response: null, error: { code: 'batch_expired', message: 'expired' } },
        null,
        /batch_expired: expired/,
      ],
      [
        { response: { status_code: 500, body: { error: { message: 'boom' } } }, error: null },
        500,
        /status 500: boom/,
      ],
      [
        { response: { status_code: 400, body: { error: { message: 'maximum context length' } } } },
        400,
        /context length/,
      ],
      [{ response: { status_code: 200, body: { choices: [] } }, error: null }, 200, /malformed completion/],
    ];
    for (const [o, status, message] of cases) {
      const r = parseOutputLine(line(o));
      expect(r.kind).toBe('result');
      if (r.kind === 'result' && !r.result.ok) {
        expect(r.result.status).toBe(status);
        expect(r.result.message).toMatch(message);
      } else throw new Error(`expected an error for ${JSON.stringify(o)}`);
    }
  });

  it('tells a line cut short, and a line for a request sparq did not write, from a result', () => {
    expect(parseOutputLine('{"id":"batch_req_1","custom_id":"ab').kind).toBe('unreadable');
    expect(parseOutputLine('[1,2]').kind).toBe('unreadable');
    expect(parseOutputLine('{"response":{}}').kind).toBe('unreadable');
    expect(parseOutputLine(JSON.stringify({ custom_id: 'request-1', response: null, error: null }))).toEqual({
      kind: 'foreign',
      customId: 'request-1',
    });
  });
});

describe('the batch dispatcher', () => {
  const request = { messages: [{ role: 'user' as const, content: 'q' }], n: 1, temperature: 0 };
  function setup(results: LineResult[], maxRetries = 2) {
    const store = new BatchStore(new Database(':memory:'));
    store.addFile({ id: 1, name: 'batch-00001', lines: 1, bytes: 10 }, [
      { key: KEY, failures: 0, lastError: null },
    ]);
    store.setState(1, 'returned');
    const ledger = new SpendLedger();
    const d = new BatchDispatcher(store, ledger, { model: 'm', supportsN: true, maxRetries }, results);
    return { d, store, ledger };
  }
  const ok: LineResult = {
    ok: true,
    key: KEY,
    send: 0,
    response: {
      choices: [{ text: 'a', finishReason: 'stop' }],
      usage: { promptTokens: 5, completionTokens: 2 },
      model: 'm',
    },
  };
  const fail = (status: number | null): LineResult => ({
    ok: false,
    key: KEY,
    send: 0,
    status,
    message: `status ${status}`,
  });

  it('answers from a returned file and counts the tokens', async () => {
    const { d, ledger } = setup([ok]);
    await expect(d.dispatch(request, 0, undefined, KEY)).resolves.toEqual(ok.response);
    expect(ledger.totals()).toMatchObject({ requestsSent: 1, promptTokens: 5, completionTokens: 2 });
    expect(d.answeredKeys()).toEqual([KEY]);
  });

  it('defers a 5xx line for the next file, with its failure counted', () => {
    const { d, ledger } = setup([fail(500)]);
    void d.dispatch(request, 3, new AbortController().signal, KEY);
    expect(d.toWrite()).toEqual([
      expect.objectContaining({ key: KEY, priority: 3, failures: 1, lastError: 'status 500' }),
    ]);
    expect(ledger.totals()).toMatchObject({ retries: 1, faults: { http_5xx: 1 } });
  });

  it('rejects the problem of a 4xx line, and of a line that failed more than model.max_retries times', async () => {
    const four = setup([fail(400)]);
    const e = await four.d.dispatch(request, 0, undefined, KEY).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelCallError);
    expect((e as ModelCallError).inputRejection).toBe('server_rejected');
    const worn = setup([fail(503)], 0);
    await expect(worn.d.dispatch(request, 0, undefined, KEY)).rejects.toThrow(
      /failed in 1 batch files \(model.max_retries is 0\)/,
    );
  });

  it('sends a request missing from its returned file again, and waits for one whose file is still out', () => {
    const { d, store } = setup([]);
    void d.dispatch(request, 0, new AbortController().signal, KEY);
    expect(d.toWrite().map((r) => r.key)).toEqual([KEY]);
    const other = 'cd'.repeat(32);
    store.addFile({ id: 2, name: 'batch-00002', lines: 1, bytes: 10 }, [
      { key: other, failures: 0, lastError: null },
    ]);
    const waiting = new BatchDispatcher(
      store,
      new SpendLedger(),
      { model: 'm', supportsN: true, maxRetries: 2 },
      [],
    );
    const controller = new AbortController();
    const pending = waiting.dispatch(request, 0, controller.signal, other);
    expect(waiting.toWrite()).toEqual([]);
    expect(waiting.blocked()).toBe(1);
    controller.abort(new Error('round ended'));
    return expect(pending).rejects.toThrow('round ended');
  });

  it('refuses a batch that ignored n, saying to set model.supports_n', async () => {
    const { d } = setup([ok]);
    await expect(d.dispatch({ ...request, n: 4 }, 0, undefined, KEY)).rejects.toThrow(
      /model.supports_n to false/,
    );
  });
});
