/**
 * The model gateway as a run or an eval uses it, built from the `model` settings: a cache in
 * front, an online dispatcher behind (retry policy, concurrency limit by priority), one ledger
 * counting what was spent.
 */
import type { ModelBackend } from '../../backends/types.js';
import type { BackendConfig } from '../../config/schema.js';
import type { CachedResponse } from '../../domain/records.js';
import { ModelGateway, type ResponseCache } from './gateway.js';
import { SpendLedger } from './ledger.js';
import { OnlineDispatcher, type RetrySettings } from './online.js';

export {
  type CallSpec,
  type CallUsage,
  type ModelCall,
  ModelGateway,
  type ResponseCache,
} from './gateway.js';
export { emptySpend, type Spend, SpendLedger } from './ledger.js';

export interface Gateway {
  gateway: ModelGateway;
  ledger: SpendLedger;
  /** Requests in flight right now. */
  inFlight(): number;
}

export function createGateway(
  config: BackendConfig,
  backend: ModelBackend,
  cache: ResponseCache,
  onRetry?: RetrySettings['onRetry'],
): Gateway {
  const ledger = new SpendLedger();
  const dispatcher = new OnlineDispatcher(
    backend,
    { maxRetries: config.max_retries, baseMs: config.retry_base_ms, maxMs: config.retry_max_ms, onRetry },
    config.max_concurrency,
    ledger,
  );
  return {
    gateway: new ModelGateway(dispatcher, cache, ledger),
    ledger,
    inFlight: () => dispatcher.limiter.inFlight,
  };
}

/** A cache that lives as long as the process: for an eval run with --no-cache. */
export class MemoryCache implements ResponseCache {
  private readonly map = new Map<string, CachedResponse>();
  getResponse(key: string) {
    return this.map.get(key);
  }
  putResponse(response: CachedResponse) {
    this.map.set(response.key, response);
  }
}
