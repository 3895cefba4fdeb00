/**
 * Spend in money: tokens at the configured prices (`pricing`), the tokens answered through batch
 * files at the batch discount. Pure, so status, the report and tests agree on one rule.
 */
import type { PricingConfig } from '../config/schema.js';

export interface TokenSpend {
  promptTokens: number;
  completionTokens: number;
  /** The part of the tokens above answered through batch files. */
  batchPromptTokens: number;
  batchCompletionTokens: number;
}

export interface Cost {
  amount: number;
  /** The part of `amount` spent at the batch price. */
  batchAmount: number;
  currency: string;
  batchDiscount: number;
}

export function costOf(spend: TokenSpend, pricing: PricingConfig): Cost {
  const price = (prompt: number, completion: number) =>
    (prompt * pricing.prompt_per_million + completion * pricing.completion_per_million) / 1e6;
  const online = price(
    spend.promptTokens - spend.batchPromptTokens,
    spend.completionTokens - spend.batchCompletionTokens,
  );
  const batch = price(spend.batchPromptTokens, spend.batchCompletionTokens) * (1 - pricing.batch_discount);
  return {
    amount: online + batch,
    batchAmount: batch,
    currency: pricing.currency,
    batchDiscount: pricing.batch_discount,
  };
}

/** `12.34 USD`, with more digits for small amounts so that a test run does not read 0.00. */
export function formatMoney(amount: number, currency: string): string {
  const digits = amount === 0 || amount >= 1 ? 2 : Math.min(6, 2 - Math.floor(Math.log10(amount)));
  return `${amount.toFixed(digits)} ${currency}`;
}
