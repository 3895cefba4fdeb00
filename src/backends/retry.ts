/**
 * Retry policy for model endpoints: which failures are worth retrying and how long to wait.
 * Pure functions, so the policy is unit-tested without a network.
 */

export type FailureClass = 'retry' | 'fatal';

/** HTTP statuses that retrying can fix: rate limits, overload and server faults. */
export function classifyStatus(status: number): FailureClass {
  if (status === 408 || status === 409 || status === 425 || status === 429) return 'retry';
  if (status >= 500) return 'retry';
  return 'fatal';
}

/**
 * Exponential backoff with full jitter (AWS architecture blog): wait a uniform random time in
 * [0, min(max, base * 2^attempt)], which spreads retries of many clients hitting one server.
 * `random` is injected so tests are deterministic.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Longest Retry-After we honour, so a misconfigured server cannot park a run for a day. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000;

/**
 * Retry-After is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). Returns milliseconds to
 * wait, or null when the header is absent or unreadable.
 */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.min(MAX_RETRY_AFTER_MS, Math.round(Number(text) * 1000));
  const date = Date.parse(text);
  if (Number.isNaN(date)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - now));
}

/**
 * The wait before the next attempt: the server's Retry-After when it gave one (plus a little
 * jitter so that clients told the same time do not return in lockstep), else backoff.
 */
export function nextDelay(
  attempt: number,
  retryAfterMs: number | null,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  if (retryAfterMs !== null) return retryAfterMs + Math.floor(random() * Math.min(1000, baseMs));
  return backoffDelay(attempt, baseMs, maxMs, random);
}

const RETRYABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RESPONSE_STATUS_CODE',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** Network-level errors (connection reset, refused, socket closed, timeouts) are retryable. */
export function isRetryableNetworkError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return code !== undefined && RETRYABLE_ERROR_CODES.has(code);
}
