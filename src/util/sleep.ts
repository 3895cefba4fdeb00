/** Waits `ms`, or rejects with the signal's reason as soon as it aborts; no listener outlives it. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    // Even a zero wait goes through the timer queue: a request failing at once (a local error)
    // and retrying in microtasks alone would starve every timer, other requests' included.
    if (ms <= 0) return setImmediate(resolve);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
