/**
 * The OpenAI Batch API as the sim server serves it: `/v1/files` (upload with purpose `batch`,
 * list, retrieve, content) and `/v1/batches` (create, retrieve, list, cancel), in the shapes the
 * OpenAI API answers with, so that sparq's API mode takes the turns it will take against a real
 * provider: a batch is `validating`, then `in_progress` for the processing delay, then
 * `completed`, or `expired` with the share of lines it completed (its output and error files hold
 * what it did), or `failed` when the input file is not valid batch input.
 *
 * State lives in memory: a restarted sim server has forgotten its files and batches, as a test
 * of a provider that lost them would want.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type BatchFaults, runBatchLines } from './batch-runner.js';

export interface BatchApiOptions {
  /** Seconds a batch stays in progress before it finishes. */
  delayS: number;
  faults: BatchFaults;
}

export const DEFAULT_BATCH_API: BatchApiOptions = {
  delayS: 0,
  faults: { errorRate: 0, complete: 1, seed: 0 },
};

interface StoredFile {
  id: string;
  filename: string;
  purpose: string;
  bytes: Buffer;
  createdAt: number;
}

interface Batch {
  id: string;
  inputFileId: string;
  endpoint: string;
  completionWindow: string;
  metadata: Record<string, string> | null;
  createdAt: number;
  /** When it leaves `validating` and finishes processing, epoch ms. */
  startsAt: number;
  endsAt: number;
  status:
    | 'validating'
    | 'in_progress'
    | 'finalizing'
    | 'completed'
    | 'expired'
    | 'failed'
    | 'cancelling'
    | 'cancelled';
  outputFileId: string | null;
  errorFileId: string | null;
  counts: { total: number; completed: number; failed: number };
  errors: { object: 'list'; data: { code: string; message: string; line: number | null }[] } | null;
}

export interface BatchApiStats {
  uploads: number;
  batchesCreated: number;
  polls: number;
  downloads: number;
}

type Send = (res: ServerResponse, status: number, value: unknown) => void;

export class SimBatchApi {
  private readonly files = new Map<string, StoredFile>();
  private readonly batches = new Map<string, Batch>();
  private next = 1;
  readonly stats: BatchApiStats = { uploads: 0, batchesCreated: 0, polls: 0, downloads: 0 };

  constructor(
    private readonly options: BatchApiOptions,
    private readonly models: readonly string[],
  ) {}

  /** Answers the request if it is the batch API's; false if it is not. */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    body: () => Promise<Buffer>,
    send: Send,
  ): Promise<boolean> {
    const method = req.method ?? 'GET';
    const reply = (status: number, value: unknown) => {
      send(res, status, value);
      return true;
    };
    if (path === '/v1/files' && method === 'POST') {
      const uploaded = await this.upload(req.headers['content-type'] ?? '', await body());
      return reply(uploaded.status, uploaded.value);
    }
    if (path === '/v1/files' && method === 'GET') {
      const purpose = new URL(req.url ?? '/', 'http://x').searchParams.get('purpose');
      const data = [...this.files.values()].filter((f) => !purpose || f.purpose === purpose).map(fileObject);
      return reply(200, { object: 'list', data, has_more: false });
    }
    let m = /^\/v1\/files\/([^/]+)(\/content)?$/.exec(path);
    if (m && method === 'GET') {
      const file = this.files.get(m[1]!);
      if (!file) return reply(404, invalid(`No such File object: ${m[1]}`));
      if (!m[2]) return reply(200, fileObject(file));
      this.stats.downloads++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.length });
      res.end(file.bytes);
      return true;
    }
    if (path === '/v1/batches' && method === 'POST') {
      const created = this.create(await body());
      return reply(created.status, created.value);
    }
    if (path === '/v1/batches' && method === 'GET') {
      const data = [...this.batches.values()].reverse().map((b) => this.batchObject(b));
      return reply(200, { object: 'list', data, has_more: false });
    }
    m = /^\/v1\/batches\/([^/]+)(\/cancel)?$/.exec(path);
    if (!m) return false;
    const batch = this.batches.get(m[1]!);
    if (!batch) return reply(404, invalid(`No such Batch object: ${m[1]}`));
    if (m[2] && method === 'POST') {
      this.advance(batch);
      if (['validating', 'in_progress', 'finalizing'].includes(batch.status)) this.finish(batch, 'cancelled');
      return reply(200, this.batchObject(batch));
    }
    if (m[2] || method !== 'GET') return false;
    this.stats.polls++;
    return reply(200, this.batchObject(batch));
  }

  private async upload(type: string, raw: Buffer): Promise<{ status: number; value: unknown }> {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), { headers: { 'content-type': type } }).formData();
    } catch {
      return { status: 400, value: invalid('the body is not multipart/form-data with a file and a purpose') };
    }
    const purpose = form.get('purpose');
    const file = form.get('file');
    if (purpose !== 'batch') return { status: 400, value: invalid("'purpose' must be 'batch'") };
    if (!file || typeof file === 'string')
      return { status: 400, value: invalid("a 'file' part is required") };
    const stored: StoredFile = {
      id: `file-sim${String(this.next++).padStart(6, '0')}`,
      filename: file.name || 'upload.jsonl',
      purpose,
      bytes: Buffer.from(await file.arrayBuffer()),
      createdAt: Math.floor(Date.now() / 1000),
    };
    this.files.set(stored.id, stored);
    this.stats.uploads++;
    return { status: 200, value: fileObject(stored) };
  }

  private create(raw: Buffer): { status: number; value: unknown } {
    let body: {
      input_file_id?: unknown;
      endpoint?: unknown;
      completion_window?: unknown;
      metadata?: unknown;
    };
    try {
      body = JSON.parse(raw.toString('utf8')) as typeof body;
    } catch {
      return { status: 400, value: invalid('Request body is not valid JSON.') };
    }
    const input = typeof body.input_file_id === 'string' ? this.files.get(body.input_file_id) : undefined;
    if (!input)
      return {
        status: 400,
        value: invalid(`input_file_id ${String(body.input_file_id)} is not an uploaded file`),
      };
    if (body.endpoint !== '/v1/chat/completions')
      return { status: 400, value: invalid("only endpoint '/v1/chat/completions' is supported") };
    if (body.completion_window !== '24h')
      return { status: 400, value: invalid("completion_window must be '24h'") };
    const now = Date.now();
    const delayMs = this.options.delayS * 1000;
    const batch: Batch = {
      id: `batch_sim${String(this.next++).padStart(6, '0')}`,
      inputFileId: input.id,
      endpoint: body.endpoint,
      completionWindow: body.completion_window,
      metadata: (body.metadata as Record<string, string> | undefined) ?? null,
      createdAt: Math.floor(now / 1000),
      startsAt: now + delayMs / 4,
      endsAt: now + delayMs,
      status: 'validating',
      outputFileId: null,
      errorFileId: null,
      counts: { total: 0, completed: 0, failed: 0 },
      errors: null,
    };
    this.batches.set(batch.id, batch);
    this.stats.batchesCreated++;
    return { status: 200, value: this.batchObject(batch) };
  }

  /** Moves a batch along its clock: validating, in progress, then its end. */
  private advance(b: Batch): void {
    const now = Date.now();
    if (b.status === 'validating' && now >= b.startsAt) {
      const lines = this.files
        .get(b.inputFileId)!
        .bytes.toString('utf8')
        .split('\n')
        .filter((l) => l.trim());
      const bad = lines.findIndex((l) => !validInput(l));
      if (bad >= 0) {
        b.status = 'failed';
        b.errors = {
          object: 'list',
          data: [
            { code: 'invalid_request', message: 'The line is not a valid batch request.', line: bad + 1 },
          ],
        };
        return;
      }
      b.counts.total = lines.length;
      b.status = 'in_progress';
    }
    if (b.status === 'in_progress' && now >= b.endsAt)
      this.finish(b, this.options.faults.complete < 1 ? 'expired' : 'completed');
  }

  /** Runs the batch (as far as it gets) and stores its output and error files. */
  private finish(b: Batch, status: 'completed' | 'expired' | 'cancelled'): void {
    const lines = this.files.get(b.inputFileId)!.bytes.toString('utf8').split('\n');
    const faults = status === 'cancelled' ? { ...this.options.faults, complete: 0 } : this.options.faults;
    const out = runBatchLines(lines, {
      models: this.models,
      faults,
      separateErrors: true,
      ...(status === 'completed' ? {} : { notReached: `batch_${status}` as const }),
    });
    b.counts = { total: out.total, completed: out.output.length, failed: out.processed - out.output.length };
    const store = (suffix: string, content: string[]) => {
      if (content.length === 0) return null;
      const file: StoredFile = {
        id: `file-sim${String(this.next++).padStart(6, '0')}`,
        filename: `${b.id}_${suffix}.jsonl`,
        purpose: 'batch_output',
        bytes: Buffer.from(content.map((l) => `${l}\n`).join('')),
        createdAt: Math.floor(Date.now() / 1000),
      };
      this.files.set(file.id, file);
      return file.id;
    };
    b.outputFileId = store('output', out.output);
    b.errorFileId = store('error', out.errors);
    // A batch that finished every line before its window closed completed.
    b.status = status === 'expired' && out.processed === out.total ? 'completed' : status;
  }

  private batchObject(b: Batch) {
    this.advance(b);
    return {
      id: b.id,
      object: 'batch',
      endpoint: b.endpoint,
      errors: b.errors,
      input_file_id: b.inputFileId,
      completion_window: b.completionWindow,
      status: b.status,
      output_file_id: b.outputFileId,
      error_file_id: b.errorFileId,
      created_at: b.createdAt,
      request_counts: b.counts,
      metadata: b.metadata,
    };
  }
}

function validInput(line: string): boolean {
  try {
    const o = JSON.parse(line) as { custom_id?: unknown; method?: unknown; url?: unknown; body?: unknown };
    return typeof o.custom_id === 'string' && o.method === 'POST' && typeof o.url === 'string' && !!o.body;
  } catch {
    return false;
  }
}

function fileObject(f: StoredFile) {
  return {
    id: f.id,
    object: 'file',
    bytes: f.bytes.length,
    created_at: f.createdAt,
    filename: f.filename,
    purpose: f.purpose,
  };
}

function invalid(message: string) {
  return { error: { message, type: 'invalid_request_error', param: null, code: null } };
}
