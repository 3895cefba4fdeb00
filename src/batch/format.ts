/**
 * The OpenAI Batch file format, shared by the OpenAI and Together batch APIs, OpenRouter and
 * `vllm run-batch`:
 *
 * - input, one request a line: `{"custom_id", "method": "POST", "url": "/v1/chat/completions", "body"}`;
 * - output (and the error file), one result a line:
 *   `{"id", "custom_id", "response": {"status_code", "request_id", "body"} | null, "error": {"code", "message"} | null}`.
 *
 * A request's custom_id is its request key and the number of the file it is in, `KEY~N`, so
 * that any output line names the request it answers and the file it was sent in, and ids stay
 * unique across all of a run's files however often a request is sent again.
 */
import { completionFrom, MalformedResponseError } from '../backends/chat-wire.js';
import type { ChatResponse } from '../backends/types.js';

export const CHAT_URL = '/v1/chat/completions';

export function customId(key: string, file: number): string {
  return `${key}~${file}`;
}

/** The request key and file number a custom_id names; null for one sparq did not write. */
export function parseCustomId(id: unknown): { key: string; file: number } | null {
  if (typeof id !== 'string') return null;
  const m = /^([0-9a-f]{64})~([1-9]\d{0,8})$/.exec(id);
  return m ? { key: m[1]!, file: Number(m[2]) } : null;
}

/** One input line, without its newline; `body` is the request's JSON body as it would be sent. */
export function inputLine(id: string, body: string): string {
  return `{"custom_id":${JSON.stringify(id)},"method":"POST","url":"${CHAT_URL}","body":${body}}`;
}

/** What one output or error line says about one request. */
export type LineResult =
  | { ok: true; key: string; file: number; response: ChatResponse }
  | { ok: false; key: string; file: number; status: number | null; message: string };

export type ParsedLine =
  | { kind: 'result'; result: LineResult }
  /** Not JSON, or not an output line: a file cut short ends this way. */
  | { kind: 'unreadable'; reason: string }
  /** A well-formed line for a request sparq did not write. */
  | { kind: 'foreign'; customId: string }
  /** The batch ended (expired, cancelled) before it reached the request: it goes out again, no failure. */
  | { kind: 'unanswered'; key: string; file: number };

/** Error codes of lines a batch never reached (the OpenAI Batch API writes them to its error file). */
const NOT_REACHED = new Set(['batch_expired', 'batch_cancelled']);

/** Reads one line of an output or error file. */
export function parseOutputLine(line: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { kind: 'unreadable', reason: 'not JSON' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    return { kind: 'unreadable', reason: 'not a JSON object' };
  const o = json as { custom_id?: unknown; response?: unknown; error?: unknown };
  if (typeof o.custom_id !== 'string') return { kind: 'unreadable', reason: 'no custom_id' };
  const id = parseCustomId(o.custom_id);
  if (!id) return { kind: 'foreign', customId: o.custom_id };
  const fail = (status: number | null, message: string): ParsedLine => ({
    kind: 'result',
    result: { ok: false, ...id, status, message },
  });
  const code = (o.error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && NOT_REACHED.has(code)) return { kind: 'unanswered', ...id };
  const response = o.response as { status_code?: unknown; body?: unknown } | null | undefined;
  const status = typeof response?.status_code === 'number' ? response.status_code : null;
  if (o.error !== null && o.error !== undefined) return fail(status, errorText(o.error));
  if (!response || typeof response !== 'object')
    return fail(null, 'the line has neither a response nor an error');
  if (status !== 200) return fail(status, `status ${status ?? 'missing'}: ${errorText(response.body)}`);
  try {
    return { kind: 'result', result: { ok: true, ...id, response: completionFrom(response.body) } };
  } catch (err) {
    if (err instanceof MalformedResponseError) return fail(status, `malformed completion: ${err.message}`);
    throw err;
  }
}

/** The message of an error object as the APIs write it (`{code, message}`, or a body with `error`). */
function errorText(value: unknown): string {
  if (typeof value === 'string') return value.slice(0, 300);
  const v = value as { message?: unknown; code?: unknown; error?: unknown } | null | undefined;
  if (v?.error !== undefined) return errorText(v.error);
  const message = typeof v?.message === 'string' ? v.message : JSON.stringify(value ?? null);
  const code = typeof v?.code === 'string' || typeof v?.code === 'number' ? `${v.code}: ` : '';
  return `${code}${message}`.slice(0, 300);
}
