/**
 * A run is a long-lived process whose live heap is small (under 70 MB: mostly compiled code and the
 * answer checker's engine) but which allocates fast. On a machine with plenty of memory V8 then
 * lets the heap grow to about 4x the live size between major collections, so RSS settles near
 * 400 MB. A growth factor of 2 holds it under 300 MB for ~5% more CPU (see README, Benchmarks).
 */
import { setFlagsFromString } from 'node:v8';

export const RUN_HEAP_GROWING_PERCENT = 100;

/**
 * Applies the run's heap growth factor unless the user chose their own (`--heap-growing-percent`
 * in NODE_OPTIONS or node's own flags; 0 restores V8's adaptive sizing), which always wins. V8
 * reads this flag each time it sizes the heap after a major collection, so setting it once the
 * process is running takes effect.
 */
export function limitHeapGrowth(env: NodeJS.ProcessEnv = process.env): boolean {
  const chosen = [...process.execArgv, env.NODE_OPTIONS ?? ''].join(' ');
  if (/heap[-_]growing[-_]percent/.test(chosen)) return false;
  setFlagsFromString(`--heap-growing-percent=${RUN_HEAP_GROWING_PERCENT}`);
  return true;
}
