/**
 * Worker-thread entry for `CheckerPool`: one `AnswerChecker` per thread, warmed up before it
 * reports ready so that engine start-up never counts against a check's time limit.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AnswerChecker, type CheckerOptions } from './checker.js';
import type { FromWorker, PoolVerdict, ToWorker } from './pool.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

const checker = new AnswerChecker((workerData ?? {}) as CheckerOptions);
// Creates the CAS engine and exercises the symbolic path once.
checker.check('x^2+2x+1', '(x+1)^2');
checker.clearCache();

/**
 * Results go back in small groups: one message per pair costs more than a typical check. A group
 * is sent as soon as it is 1 ms old, so the pool's per-check timer (which restarts on every
 * message) still measures about one check.
 */
const FLUSH_MS = 1;

port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'chunk') return;
  let from = 0;
  let buffer: PoolVerdict[] = [];
  let since = performance.now();
  const flush = () => {
    if (buffer.length > 0) {
      const reply: FromWorker = { type: 'results', from, verdicts: buffer };
      port.postMessage(reply);
      from += buffer.length;
      buffer = [];
    }
    since = performance.now();
  };
  for (const item of msg.items) {
    buffer.push(
      item.extract
        ? checker.checkOutput(item.gold, item.predicted)
        : checker.check(item.gold, item.predicted),
    );
    if (performance.now() - since >= FLUSH_MS) flush();
  }
  flush();
});

const ready: FromWorker = { type: 'ready' };
port.postMessage(ready);
