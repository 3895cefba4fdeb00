import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyStatus,
  isRetryableNetworkError,
  MAX_RETRY_AFTER_MS,
  nextDelay,
  parseRetryAfter,
} from '../../src/backends/retry.js';

describe('retry policy', () => {
  it('retries rate limits and server faults, not client errors', () => {
    for (const s of [429, 500, 502, 503, 504, 408]) expect(classifyStatus(s)).toBe('retry');
    for (const s of [400, 401, 403, 404, 422]) expect(classifyStatus(s)).toBe('fatal');
  });

  it('backoff grows exponentially up to the cap, with full jitter', () => {
    expect(backoffDelay(0, 500, 60_000, () => 0.999)).toBe(499);
    expect(backoffDelay(3, 500, 60_000, () => 0.999)).toBe(3996);
    expect(backoffDelay(20, 500, 60_000, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, 500, 60_000, () => 0)).toBe(0);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:30 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('999999', now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it('honours Retry-After over backoff, adding a little jitter', () => {
    expect(nextDelay(4, 3000, 500, 60_000, () => 0)).toBe(3000);
    expect(nextDelay(4, 3000, 500, 60_000, () => 0.5)).toBe(3250);
    expect(nextDelay(1, null, 500, 60_000, () => 0.5)).toBe(500);
  });

  it('network errors are retryable, programming errors are not', () => {
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryableNetworkError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' }))).toBe(true);
    expect(isRetryableNetworkError(new TypeError('x'))).toBe(false);
  });
});
