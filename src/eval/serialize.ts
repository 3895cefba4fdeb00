/**
 * Eval files as JSON that people can read and diff: the header pretty-printed, each item on one
 * line. Pretty-printing the items too would put every verdict of every sample on its own line
 * (MATH at 8 samples: hundreds of thousands of lines).
 */
import type { EvalFile } from './types.js';

export function serializeEvalFile(result: EvalFile): string {
  const { items, ...head } = result;
  const headJson = JSON.stringify({ ...head, items: [] }, null, 2);
  if (!headJson.endsWith('"items": []\n}')) throw new Error('unexpected JSON layout');
  const body = items.map((it) => `    ${JSON.stringify(it)}`).join(',\n');
  return `${headJson.slice(0, -'[]\n}'.length)}[\n${body}\n  ]\n}\n`;
}
