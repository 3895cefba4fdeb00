/**
 * The model gateway as a run or an eval uses it, built from the `model` settings: a cache in
 * front, an online dispatcher behind (retry policy, concurrency limit by priority), one ledger
 * counting what was spent.
 */
import type { ModelSettings } from '../../backends/capabilities.js';
import type { ModelBackend } from '../../backends/types.js';
import type { CachedResponse } from '../../domain/records.js';
import { FailureMonitor } from './failure-monitor.js';
import { type Dispatcher, ModelGateway, type ResponseCache } from './gateway.js';
import { SpendLedger } from './ledger.js';
import { OnlineDispatcher, type RetrySettings } from './online.js';
import type { RequestTally } from './tally.js';

export { FailureMonitor } from './failure-monitor.js';
export {
  type CallSpec,
  type CallUsage,
  type Dispatcher,
  type ModelCall,
  ModelGateway,
  type ResponseCache,
} from './gateway.js';
export { emptySpend, type Spend, SpendLedger } from './ledger.js';
export { OnlineDispatcher, type RetrySettings } from './online.js';
export { type RequestOutcome, RequestTally } from './tally.js';

export interface Gateway {
  gateway: ModelGateway;
  ledger: SpendLedger;
  /** Requests in flight right now. */
  inFlight(): number;
  /** Requests under way: in flight, waiting for a slot or for a retry. */
  busy(): number;
}

export function createGateway(
  config: ModelSettings,
  backend: ModelBackend,
  cache: ResponseCache,
  onRetry?: RetrySettings['onRetry'],
  /** A ledger shared with another gateway (the judge's, so the run's spend includes it). */
  ledger: SpendLedger = new SpendLedger(),
  tally: RequestTally | null = null,
): Gateway {
  const dispatcher = new OnlineDispatcher(
    backend,
    retrySettings(config, onRetry),
    config.max_concurrency,
    ledger,
  );
  return gatewayOver(config, dispatcher, cache, ledger, tally, {
    inFlight: () => dispatcher.limiter.inFlight,
    busy: () => dispatcher.active,
  });
}

/**
 * The gateway of a run in batch mode: the same cache and failure monitor in front, the batch
 * dispatcher behind (it counts in `ledger`, which must be the one it was made with).
 */
export function createBatchGateway(
  config: ModelSettings,
  dispatcher: Dispatcher,
  cache: ResponseCache,
  ledger: SpendLedger,
  tally: RequestTally | null = null,
): Gateway {
  return gatewayOver(config, dispatcher, cache, ledger, tally, { inFlight: () => 0, busy: () => 0 });
}

/** The cache and the failure monitor in front of `dispatcher`. */
function gatewayOver(
  config: ModelSettings,
  dispatcher: Dispatcher,
  cache: ResponseCache,
  ledger: SpendLedger,
  tally: RequestTally | null,
  counts: Pick<Gateway, 'inFlight' | 'busy'>,
): Gateway {
  const monitor = new FailureMonitor(config.max_failure_share);
  return {
    gateway: new ModelGateway(dispatcher, cache, ledger, {
      contextTokens: config.context_tokens,
      monitor,
      tally,
    }),
    ledger,
    ...counts,
  };
}

export function retrySettings(
  config: Pick<ModelSettings, 'max_retries' | 'retry_base_ms' | 'retry_max_ms' | 'outage_tolerance_s'>,
  onRetry?: RetrySettings['onRetry'],
): RetrySettings {
  return {
    maxRetries: config.max_retries,
    baseMs: config.retry_base_ms,
    maxMs: config.retry_max_ms,
    outageToleranceMs: config.outage_tolerance_s * 1000,
    onRetry,
  };
}

/** A cache that lives as long as the process: for an eval run with --no-cache. */
export class MemoryCache implements ResponseCache {
  private readonly map = new Map<string, CachedResponse>();
  getResponse(key: string, _task: number | null) {
    return this.map.get(key);
  }
  putResponse(response: CachedResponse) {
    this.map.set(response.key, response);
  }
}
