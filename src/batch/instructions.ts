/**
 * What `sparq run` says when a batch round ends with files out: which files wait, and how to run
 * them (vllm run-batch, a batch API, the simulated model), then to run the same command again.
 */
import type { BatchFileRow } from '../storage/batch-store.js';
import { batchPaths } from './files.js';

/** The exit code of a run that waits for batch files (EX_TEMPFAIL: try again later). */
export const WAITING_EXIT_CODE = 75;

export function waitingMessage(
  runDir: string,
  written: readonly BatchFileRow[],
  waiting: readonly BatchFileRow[],
  model: string,
): string {
  // Paths under the run directory as the user gave it, to paste as they are.
  const shown = (path: string) => path;
  const lines: string[] = [];
  if (written.length > 0) {
    const requests = written.reduce((s, f) => s + f.lines, 0);
    const bytes = written.reduce((s, f) => s + f.bytes, 0);
    lines.push(
      `batch: wrote ${written.length} file(s), ${requests.toLocaleString('en-US')} requests, ${(bytes / 1e6).toFixed(1)} MB`,
    );
  }
  lines.push(
    `batch: waiting for ${waiting.length} file(s); put each one's output beside it as NAME.output.jsonl:`,
  );
  const first = waiting.slice(0, 20);
  for (const f of first) {
    const p = batchPaths(runDir, f.name);
    lines.push(`  ${shown(p.input)}  (${f.lines} requests)`);
  }
  if (waiting.length > first.length) lines.push(`  ... and ${waiting.length - first.length} more`);
  const p = batchPaths(runDir, waiting[0]!.name);
  lines.push(
    'Run them with, for example:',
    `  vllm run-batch -i ${shown(p.input)} -o ${shown(p.output)} --model ${model}`,
    `  a batch API: upload the file (purpose "batch"), create a batch for /v1/chat/completions, and save its output file as ${shown(p.output)} (an error file as ${shown(p.errors)}); model.kind: openai-batch does this for you`,
    `  the simulated model: sparq sim-batch ${shown(p.input)} ${shown(p.output)}`,
    `then run \`sparq run ${runDir}\` again to continue (exit code ${WAITING_EXIT_CODE} means waiting).`,
  );
  return lines.join('\n');
}
