/**
 * The configuration as it may be kept in a run: header values blanked, since a header (a cookie,
 * a custom token) can carry a secret; a resumed run takes its headers from the configuration again.
 */
import type { SparqConfig } from './schema.js';

export const REDACTED = '[redacted]';

export function storableConfig(config: SparqConfig): SparqConfig {
  const headers = Object.fromEntries(Object.keys(config.model.headers).map((k) => [k, REDACTED]));
  return { ...config, model: { ...config.model, headers } };
}
