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

port.on('message', (msg: ToWorker) => {
  if (msg.type !== 'chunk') return;
  msg.items.forEach((item, k) => {
    const verdict: PoolVerdict = item.extract
      ? checker.checkOutput(item.gold, item.predicted)
      : checker.check(item.gold, item.predicted);
    const reply: FromWorker = { type: 'result', k, verdict };
    port.postMessage(reply);
  });
});

const ready: FromWorker = { type: 'ready' };
port.postMessage(ready);
