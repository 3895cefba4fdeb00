/** Spend in money: one rule for status and the report, batch tokens at the batch discount. */
import { describe, expect, it } from 'vitest';
import { costOf, formatMoney } from '../../src/engine/cost.js';
import { runCost } from '../../src/engine/status.js';

const pricing = { prompt_per_million: 2, completion_per_million: 8, batch_discount: 0.5, currency: 'USD' };

describe('cost', () => {
  it('prices prompt and completion tokens per million, batch tokens at the discount', () => {
    const online = costOf(
      { promptTokens: 1_000_000, completionTokens: 500_000, batchPromptTokens: 0, batchCompletionTokens: 0 },
      pricing,
    );
    expect(online.amount).toBeCloseTo(2 + 4, 10);
    expect(online.batchAmount).toBe(0);
    const mixed = costOf(
      {
        promptTokens: 1_000_000,
        completionTokens: 500_000,
        batchPromptTokens: 500_000,
        batchCompletionTokens: 500_000,
      },
      pricing,
    );
    // Online: 0.5M prompt = 1; batch: (0.5M prompt = 1 + 0.5M completion = 4) at half = 2.5.
    expect(mixed.amount).toBeCloseTo(3.5, 10);
    expect(mixed.batchAmount).toBeCloseTo(2.5, 10);
  });

  it('shows small amounts with enough digits', () => {
    expect(formatMoney(12.345, 'USD')).toBe('12.35 USD');
    expect(formatMoney(0, 'EUR')).toBe('0.00 EUR');
    expect(formatMoney(0.0123, 'USD')).toBe('0.0123 USD');
    expect(formatMoney(0.000042, 'USD')).toBe('0.000042 USD');
  });

  it('is read from the run’s configuration, none without pricing', () => {
    const counters = { prompt_tokens: 2_000_000, completion_tokens: 0 };
    expect(runCost(JSON.stringify({ pricing }), counters)?.amount).toBeCloseTo(4, 10);
    expect(runCost(JSON.stringify({ pricing: null }), counters)).toBeNull();
    expect(runCost(JSON.stringify({}), counters)).toBeNull();
    expect(runCost(null, counters)).toBeNull();
  });
});
