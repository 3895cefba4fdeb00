/**
 * One round of a run in batch mode. It begins by finishing what a killed process left half done
 * and reading the files that came back. The scheduler then runs every task as far as the answers
 * allow, and the round ends by forgetting the requests now answered and writing the deferred
 * ones into new files.
 */
import type { BatchConfig } from '../config/schema.js';
import type { SpendLedger } from '../engine/gateway/ledger.js';
import type { BatchFileRow, BatchStore } from '../storage/batch-store.js';
import type { RunStore } from '../storage/run-store.js';
import { BatchDispatcher } from './dispatcher.js';
import {
  type FileLimits,
  type ReturnedSummary,
  readReturnedFiles,
  recoverBatchFiles,
  writeBatchFiles,
} from './files.js';
import type { LineResult } from './format.js';

export interface BatchRoundReport {
  returned: ReturnedSummary;
  /** Requests answered from the returned files in this round. */
  answered: number;
  written: BatchFileRow[];
  /** Files whose output has not come back, the ones just written included. */
  waiting: BatchFileRow[];
}

export interface BatchModelSettings {
  model: string;
  supportsN: boolean;
  jsonSchema: boolean;
  maxRetries: number;
}

export class BatchRound {
  private dispatcher: BatchDispatcher | null = null;
  private results: LineResult[] = [];
  private returned: ReturnedSummary = { files: 0, answers: 0, errors: 0, unreadable: 0, ignored: 0 };

  constructor(
    private readonly runDir: string,
    readonly store: BatchStore,
    private readonly model: BatchModelSettings,
    private readonly batch: BatchConfig,
  ) {}

  /** Finishes what a killed process left half done, then reads what has come back. */
  async begin(): Promise<ReturnedSummary> {
    recoverBatchFiles(this.runDir, this.store);
    const read = await readReturnedFiles(this.runDir, this.store);
    this.results = read.results;
    this.returned = read.summary;
    return read.summary;
  }

  /** The round's dispatcher, counting in the run's ledger (made once per round). */
  dispatcherFor(ledger: SpendLedger): BatchDispatcher {
    this.dispatcher = new BatchDispatcher(this.store, ledger, this.model, this.results);
    this.results = [];
    return this.dispatcher;
  }

  /** Requests of this round that cannot be answered before the next. */
  blocked(): number {
    return this.dispatcher?.blocked() ?? 0;
  }

  activity(): number {
    return this.dispatcher?.activity() ?? 0;
  }

  /**
   * Ends the round: the answers used are in the cache once the store is flushed, so their
   * requests are forgotten; files all of whose requests are answered are done; what was deferred
   * goes into new files.
   */
  end(runStore: RunStore): BatchRoundReport {
    const d = this.dispatcher;
    if (!d) throw new Error('a batch round ended before it began');
    runStore.flush();
    const { answered, rejections, asked } = d.outcome();
    this.store.answered(answered);
    this.store.rejected(rejections);
    const limits: FileLimits = { lines: this.batch.file_lines, bytes: this.batch.file_bytes };
    const written = writeBatchFiles(this.runDir, this.store, d.toWrite(), {
      model: this.model.model,
      jsonSchema: this.model.jsonSchema,
      limits,
    });
    // After the writing: a request sent again belongs to its new file from then on.
    this.store.forgetUnasked(asked);
    this.store.retireAnswered();
    this.dispatcher = null;
    return {
      returned: this.returned,
      answered: answered.length,
      written,
      waiting: this.store.files(['waiting']),
    };
  }
}
