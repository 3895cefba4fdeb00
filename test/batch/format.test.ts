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
const ID = `${KEY}~1`;
const line = (o: Record<string, unknown>) => JSON.stringify({ id: 'batch_req_1', custom_id: ID, ...o });

describe('custom ids', () => {
  it('are the request key and the number of the file it went out in', () => {
    expect(customId(KEY, 1)).toBe(ID);
    expect(parseCustomId(`${KEY}~12`)).toEqual({ key: KEY, file: 12 });
    for (const other of ['request-1', KEY, `${KEY}~0`, `${KEY}~x`, `${KEY.slice(2)}~1`, 7])
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
    expect(r).toMatchObject({ kind: 'result', result: { ok: true, key: KEY, file: 1 } });
    if (r.kind === 'result' && r.result.ok) {
      expect(r.result.response.choices[0]!.text).toBe('x = 3');
      expect(r.result.response.usage).toEqual({ promptTokens: 10, completionTokens: 4 });
    }
  });

  it('reads errors: an error object, a non-200 status, a body that is no completion', () => {
    const cases: [Record<string, unknown>, number | null, RegExp][] = [
      [
        { response: null, error: { code: 'server_error', message: 'overloaded' } },
        null,
        /server_error: overloaded/,
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

  it('reads a line the batch never reached (expired, cancelled) as no answer, not as a failure', () => {
    for (const code of ['batch_expired', 'batch_cancelled'])
      expect(parseOutputLine(line({ response: null, error: { code, message: 'not reached' } }))).toEqual({
        kind: 'unanswered',
        key: KEY,
        file: 1,
      });
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
    file: 1,
    response: {
      choices: [{ text: 'a', finishReason: 'stop' }],
      usage: { promptTokens: 5, completionTokens: 2 },
      model: 'm',
    },
  };
  const fail = (status: number | null): LineResult => ({
    ok: false,
    key: KEY,
    file: 1,
    status,
    message: `status ${status}`,
  });

  it('answers from a returned file and counts the tokens', async () => {
    const { d, ledger } = setup([ok]);
    if (!ok.ok) throw new Error('unreachable');
    await expect(d.dispatch(request, 0, new AbortController().signal, KEY)).resolves.toEqual(ok.response);
    expect(ledger.totals()).toMatchObject({ requestsSent: 1, promptTokens: 5, completionTokens: 2 });
    expect(d.outcome().answered).toEqual([KEY]);
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
    const e = await four.d.dispatch(request, 0, new AbortController().signal, KEY).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ModelCallError);
    expect((e as ModelCallError).inputRejection).toBe('server_rejected');
    const worn = setup([fail(503)], 0);
    await expect(worn.d.dispatch(request, 0, new AbortController().signal, KEY)).rejects.toThrow(
      /failed in 1 batch files \(model.max_retries is 0\)/,
    );
  });

  it('keeps a rejection, so that the task asked again in a later round meets it without a request', async () => {
    const signal = new AbortController().signal;
    const { d, store } = setup([fail(400)]);
    await expect(d.dispatch(request, 0, signal, KEY)).rejects.toThrow(
      /answered this request with status 400/,
    );
    store.rejected(d.outcome().rejections);
    const later = new BatchDispatcher(
      store,
      new SpendLedger(),
      { model: 'm', supportsN: true, maxRetries: 2 },
      [],
    );
    await expect(later.dispatch(request, 0, signal, KEY)).rejects.toThrow(/status 400/);
    expect(later.toWrite()).toEqual([]);
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
    await expect(d.dispatch({ ...request, n: 4 }, 0, new AbortController().signal, KEY)).rejects.toThrow(
      /model.supports_n to false/,
    );
  });
});
