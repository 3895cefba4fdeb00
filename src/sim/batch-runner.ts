/**
 * Runs an OpenAI Batch input file through the simulated model the way `vllm run-batch` and the
 * batch APIs do: one output line per input line, in the same order, `{"id", "custom_id",
 * "response": {"status_code", "request_id", "body"}, "error"}`. A line the model cannot take (not
 * JSON, a wrong url, a model it does not serve, a bad body) gets an error line, as vLLM writes.
 *
 * Faults, for tests of what sparq does with them: a share of lines fails (HTTP 500, or an error
 * object with no response, as a batch API writes into its error file), and a batch can stop
 * early (an expired batch returns the lines it completed). Which lines fail is drawn per
 * custom_id from the seed, so a request sent again under a new id may succeed.
 */
import { Rng } from '../util/hash.js';
import { simulateCompletion } from './model.js';
import { validate } from './server.js';
import { completionBody } from './wire.js';

export interface BatchFaults {
  /** Share of lines answered with an error. */
  errorRate: number;
  /** Share of the lines processed before the batch stops (1: all of them). */
  complete: number;
  seed: number;
}

export const NO_BATCH_FAULTS: BatchFaults = { errorRate: 0, complete: 1, seed: 0 };

export interface BatchRunOutput {
  /** Lines for the output file (answers, and per-line errors vLLM-style when `separateErrors` is off). */
  output: string[];
  /** Lines for the error file (`separateErrors`: the failed lines, as the OpenAI Batch API splits them). */
  errors: string[];
  /** Input lines processed (less than all when the batch stopped early). */
  processed: number;
  total: number;
}

export function runBatchLines(
  lines: readonly string[],
  options: {
    models: readonly string[];
    faults: BatchFaults;
    separateErrors: boolean;
    /**
     * The error code the lines a batch did not reach get, in the error file, as the OpenAI Batch
     * API writes them (`batch_expired`, `batch_cancelled`); absent: no line, as vLLM stops.
     */
    notReached?: 'batch_expired' | 'batch_cancelled';
  },
): BatchRunOutput {
  const inputs = lines.filter((l) => l.trim() !== '');
  // Rounded up: an expired batch of one line that never completes any would be no test of sparq.
  const stopAt = Math.min(inputs.length, Math.ceil(inputs.length * options.faults.complete));
  const out: BatchRunOutput = { output: [], errors: [], processed: 0, total: inputs.length };
  for (let i = 0; i < stopAt; i++) {
    const { line, failed } = runLine(inputs[i]!, i, options);
    (failed && options.separateErrors ? out.errors : out.output).push(line);
    out.processed++;
  }
  if (options.notReached)
    for (let i = stopAt; i < inputs.length; i++) {
      const customId = (() => {
        try {
          return (JSON.parse(inputs[i]!) as { custom_id?: unknown }).custom_id ?? null;
        } catch {
          return null;
        }
      })();
      out.errors.push(
        JSON.stringify({
          id: `batch_req_sim_${i}`,
          custom_id: customId,
          response: null,
          error: { code: options.notReached, message: 'The batch ended before this request was executed.' },
        }),
      );
    }
  return out;
}

function runLine(
  text: string,
  index: number,
  options: { models: readonly string[]; faults: BatchFaults },
): { line: string; failed: boolean } {
  const id = `batch_req_sim_${index}`;
  let input: { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
  try {
    input = JSON.parse(text) as typeof input;
  } catch {
    return failure(id, null, 400, 'the line is not valid JSON');
  }
  const customId = typeof input.custom_id === 'string' ? input.custom_id : null;
  if (customId === null) return failure(id, null, 400, 'the line has no custom_id');
  if (input.method !== 'POST' || input.url !== '/v1/chat/completions')
    return failure(
      id,
      customId,
      400,
      `only POST /v1/chat/completions is supported, not ${String(input.method)} ${String(input.url)}`,
    );
  const body = input.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object') return failure(id, customId, 400, 'the line has no body');
  if (!options.models.includes(String(body.model)))
    return failure(id, customId, 404, `The model \`${String(body.model)}\` does not exist.`);
  const request = validate(body);
  if (typeof request === 'string') return failure(id, customId, 400, request);
  const rng = Rng.from(options.faults.seed, customId);
  if (rng.next() < options.faults.errorRate)
    return rng.next() < 0.5
      ? failure(id, customId, 500, 'Internal server error (injected)')
      : {
          line: JSON.stringify({
            id,
            custom_id: customId,
            response: null,
            error: { code: 'server_error', message: 'The request could not be processed (injected)' },
          }),
          failed: true,
        };
  const completion = simulateCompletion(request, String(body.model));
  const response = {
    status_code: 200,
    request_id: `req_sim_${index}`,
    body: JSON.parse(
      completionBody({
        id: `chatcmpl-batch-${index}`,
        model: String(body.model),
        choices: completion.choices,
        usage: completion.usage,
      }),
    ) as unknown,
  };
  return { line: JSON.stringify({ id, custom_id: customId, response, error: null }), failed: false };
}

function failure(id: string, customId: string | null, status: number, message: string) {
  return {
    line: JSON.stringify({
      id,
      custom_id: customId,
      response: {
        status_code: status,
        request_id: `req_sim_${id}`,
        body: { error: { message, type: 'invalid_request_error' } },
      },
      error: null,
    }),
    failed: true,
  };
}
