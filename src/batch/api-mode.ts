/**
 * API mode (`model.kind: openai-batch`): the files a round wrote are uploaded and a batch is
 * created for each; the batches are polled with backoff until each has ended, and their output
 * and error files are downloaded beside the inputs, where the next round reads them as in file
 * mode.
 *
 * Every id is recorded in the run database as soon as the API returns it. A process killed
 * between an upload (or a batch creation) and its record finds it again by name (or by input
 * file) before doing it again, so nothing is uploaded or created twice.
 *
 * Batches that end `expired` or `cancelled` return what they completed (the rest goes out
 * again); one that `failed` over the provider's quota of enqueued tokens is created again at a
 * later poll; one that `failed` validation would fail again, so the run stops and says why. A
 * batch the API no longer knows is treated as expired with nothing completed.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { ProgressReporter } from '../engine/progress.js';
import type { BatchFileRow, BatchStore } from '../storage/batch-store.js';
import { UserError } from '../util/errors.js';
import { sleep } from '../util/sleep.js';
import { type BatchApiClient, BatchApiUnavailable, type BatchObject } from './api-client.js';
import { batchPaths } from './files.js';

const ENDED = new Set(['completed', 'expired', 'cancelled', 'failed']);

export interface ApiModeSettings {
  runId: string;
  completionWindow: string;
  pollInitialS: number;
  pollMaxS: number;
  /** How long the API may be unreachable (429, 5xx, the network) before the run stops. */
  outageToleranceS: number;
}

export async function awaitBatches(
  runDir: string,
  store: BatchStore,
  client: BatchApiClient,
  settings: ApiModeSettings,
  progress: ProgressReporter,
  logger: Logger,
  signal?: AbortSignal,
): Promise<void> {
  let delayS = settings.pollInitialS;
  let unreachableSince: number | null = null;
  for (;;) {
    try {
      const open = await pollOnce(runDir, store, client, settings, logger);
      unreachableSince = null;
      if (open.length === 0) return;
      const states = new Map<string, number>();
      for (const b of open) states.set(b.status, (states.get(b.status) ?? 0) + 1);
      progress.line(
        `batch: ${open.length} batch(es) not ended (${[...states].map(([s, n]) => `${n} ${s}`).join(', ')}); next poll in ${Math.round(delayS)} s`,
      );
    } catch (err) {
      if (!(err instanceof BatchApiUnavailable)) throw err;
      unreachableSince ??= Date.now();
      if (Date.now() - unreachableSince > settings.outageToleranceS * 1000)
        throw new UserError(
          `the batch API has not answered for ${settings.outageToleranceS} s (model.outage_tolerance_s): ${err.message}. The files and batch ids are kept: run the same command again to go on polling`,
          1,
        );
      progress.warn(`batch: ${err.message}; trying again in ${Math.round(delayS)} s`);
      logger.warn({ event: 'batch_api_unavailable', message: err.message }, 'batch API unavailable');
    }
    await sleep(delayS * 1000, signal);
    delayS = Math.min(settings.pollMaxS, delayS * 2);
  }
}

/** Submits what is not submitted, polls what is out, downloads what ended; returns the batches still open. */
async function pollOnce(
  runDir: string,
  store: BatchStore,
  client: BatchApiClient,
  settings: ApiModeSettings,
  logger: Logger,
): Promise<BatchObject[]> {
  const open: BatchObject[] = [];
  for (const file of store.files(['waiting'])) {
    const batch = file.remote.batchId
      ? await client.getBatch(file.remote.batchId)
      : await submit(runDir, store, client, file, settings, logger);
    if (!batch) {
      logger.warn(
        { event: 'batch_lost', file: file.name, batch: file.remote.batchId },
        'batch unknown to the API',
      );
      writeFileSync(batchPaths(runDir, file.name).output, '');
      store.setRemote(file.id, { status: 'lost' });
      continue;
    }
    store.setRemote(file.id, {
      status: batch.status,
      outputFileId: batch.output_file_id,
      errorFileId: batch.error_file_id,
    });
    if (!ENDED.has(batch.status)) {
      open.push(batch);
      continue;
    }
    if (batch.status === 'failed') {
      const first = batch.errors?.data?.[0];
      // Over the provider's quota of enqueued tokens: the same file goes in again later.
      if (first?.code === 'token_limit_exceeded') {
        logger.warn(
          { event: 'batch_quota', file: file.name, batch: batch.id },
          'batch over the enqueued-token limit',
        );
        store.setRemote(file.id, { batchId: null, status: null });
        open.push(batch);
        continue;
      }
      throw new UserError(
        `batch ${batch.id} (${file.name}.jsonl) failed validation${first ? ` at line ${first.line ?? '?'}: ${first.code ?? ''} ${first.message ?? ''}` : ''}; sending it again would fail the same way. Check model.model and the limits of the provider (batch.file_lines, batch.file_bytes)`,
        1,
      );
    }
    await download(runDir, file, batch, client);
    logger.info(
      {
        event: 'batch_ended',
        file: file.name,
        batch: batch.id,
        status: batch.status,
        counts: batch.request_counts,
      },
      'batch ended',
    );
  }
  return open;
}

async function submit(
  runDir: string,
  store: BatchStore,
  client: BatchApiClient,
  file: BatchFileRow,
  settings: ApiModeSettings,
  logger: Logger,
): Promise<BatchObject> {
  const uploadName = `sparq-${settings.runId}-${file.name}.jsonl`;
  let fileId = file.remote.fileId;
  if (!fileId) {
    fileId =
      (await client.findFile(uploadName))?.id ??
      (await client.uploadFile(batchPaths(runDir, file.name).input, uploadName)).id;
    store.setRemote(file.id, { fileId });
    logger.info({ event: 'batch_uploaded', file: file.name, fileId }, 'batch file uploaded');
  }
  const batch =
    (await client.findBatch(fileId)) ??
    (await client.createBatch(fileId, settings.completionWindow, {
      sparq_run: settings.runId,
      sparq_file: file.name,
    }));
  store.setRemote(file.id, { batchId: batch.id, status: batch.status });
  logger.info({ event: 'batch_created', file: file.name, batch: batch.id }, 'batch created');
  return batch;
}

/** The output and error files beside the input; an empty output when the batch ended with neither. */
async function download(runDir: string, file: BatchFileRow, batch: BatchObject, client: BatchApiClient) {
  const paths = batchPaths(runDir, file.name);
  if (batch.error_file_id && !existsSync(paths.errors))
    await client.download(batch.error_file_id, paths.errors);
  if (batch.output_file_id) {
    if (!existsSync(paths.output)) await client.download(batch.output_file_id, paths.output);
  } else if (!existsSync(paths.output)) writeFileSync(paths.output, '');
}
