/**
 * Which configuration changes a resumed run may take. Budgets and endpoint settings can change
 * freely (more generations, another server); anything that changes what the run computes (seed,
 * operators, k, archive, prompts, model) would make the resumed pool a mix of two experiments.
 */
import type { SparqConfig } from '../config/schema.js';

const FREE = [
  'budget.',
  'model.base_urls',
  'model.api_key_env',
  'model.headers',
  'model.header_env',
  'model.timeout_ms',
  'model.max_concurrency',
  'model.max_retries',
  'model.retry_base_ms',
  'model.retry_max_ms',
  'model.outage_tolerance_s',
  'model.max_failure_share',
  // The judge's endpoint, not which judge: another judge model would decide differently.
  'verifier.judge.base_urls',
  'verifier.judge.api_key_env',
  'verifier.judge.header_env',
  'verifier.judge.timeout_ms',
  'verifier.judge.max_concurrency',
  // How requests travel (sent now or through batch files) does not change what they are.
  'batch.',
  'pricing',
  'metrics.',
  'scheduler.commit_tasks',
  'scheduler.commit_seconds',
  'log_level',
];

function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, JSON.stringify(value));
}

/** Keys whose value differs between the stored and the requested configuration and may not change. */
export function lockedChanges(
  stored: SparqConfig,
  requested: SparqConfig,
): { key: string; from: string; to: string }[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(stored, '', a);
  flatten(requested, '', b);
  // A batch API is the same model behind another door: switching between the two computes the same.
  for (const m of [a, b]) if (m.get('model.kind') === '"openai-batch"') m.set('model.kind', '"openai"');
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys]
    .filter((k) => a.get(k) !== b.get(k) && !FREE.some((f) => k === f || k.startsWith(f)))
    .sort()
    .map((key) => ({ key, from: a.get(key) ?? 'unset', to: b.get(key) ?? 'unset' }));
}
