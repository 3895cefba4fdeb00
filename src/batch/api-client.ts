/**
 * The client side of an OpenAI-compatible Batch API: files (upload with purpose `batch`, list,
 * download) and batches (create, list, retrieve). Credentials go in the request headers alone
 * (from the environment, as for the HTTP backend) and never into a message.
 *
 * Failures that waiting can fix (429, 5xx, the network) are thrown as `BatchApiUnavailable`, for
 * the caller to try again later; the others say what to fix.
 */
import { createWriteStream, openAsBlob, renameSync, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { classifyStatus } from '../backends/retry.js';
import { UserError } from '../util/errors.js';

export class BatchApiUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchApiUnavailable';
  }
}

/** A batch as the API describes it (the fields sparq reads). */
export interface BatchObject {
  id: string;
  status: string;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  request_counts?: { total?: number; completed?: number; failed?: number };
  errors?: { data?: { code?: string; message?: string; line?: number | null }[] } | null;
}

interface FileObject {
  id: string;
  filename: string;
  purpose: string;
}

interface ListPage<T> {
  data: T[];
  has_more?: boolean;
  last_id?: string;
}

/** Uploads and downloads of batch files, which can be hundreds of MB: at least an hour. */
const TRANSFER_TIMEOUT_MS = 3_600_000;

/** How many pages of a listing are searched for a file or batch a killed process made. */
const MAX_PAGES = 20;

export class BatchApiClient {
  /** Header values that are credentials: never repeated in a message (servers echo a refused key). */
  private readonly secrets: string[];

  /**
   * `baseUrl` ends in `/v1` (model.base_urls[0]); `headers` carry the credentials. `timeoutMs`
   * bounds a call; an upload or a download of a file of up to hundreds of MB gets at least an hour.
   */
  constructor(
    private readonly baseUrl: string,
    private readonly headers: Record<string, string>,
    private readonly timeoutMs: number,
    secrets: readonly string[] = Object.values(headers),
  ) {
    this.secrets = secrets.filter((v) => v.length >= 8).flatMap((v) => [v, v.replace(/^Bearer /, '')]);
  }

  async uploadFile(path: string, filename: string): Promise<FileObject> {
    const form = new FormData();
    form.append('purpose', 'batch');
    form.append('file', await openAsBlob(path), filename);
    return (await this.json('POST', '/files', form, {}, TRANSFER_TIMEOUT_MS)) as FileObject;
  }

  /** An uploaded batch input file by name (one a killed process uploaded before it could record it). */
  async findFile(filename: string): Promise<FileObject | null> {
    const found = await this.search<FileObject>('/files?purpose=batch', (f) => f.filename === filename);
    return found;
  }

  async createBatch(
    inputFileId: string,
    window: string,
    metadata: Record<string, string>,
  ): Promise<BatchObject> {
    const body = JSON.stringify({
      input_file_id: inputFileId,
      endpoint: '/v1/chat/completions',
      completion_window: window,
      metadata,
    });
    return (await this.json('POST', '/batches', body, { 'content-type': 'application/json' })) as BatchObject;
  }

  /** The batch made from an input file (one a killed process created before it could record it). */
  async findBatch(inputFileId: string): Promise<BatchObject | null> {
    // A failed one is not it: a batch over the token quota fails, and is created again.
    return this.search<BatchObject>(
      '/batches?limit=100',
      (b) => b.input_file_id === inputFileId && b.status !== 'failed',
    );
  }

  /** The batch, or null when the API no longer knows it (404). */
  async getBatch(id: string): Promise<BatchObject | null> {
    try {
      return (await this.json('GET', `/batches/${encodeURIComponent(id)}`)) as BatchObject;
    } catch (err) {
      if (err instanceof NotFound) return null;
      throw err;
    }
  }

  /** Downloads a file's content to `dest`, under that name only once complete. */
  async download(fileId: string, dest: string): Promise<void> {
    const res = await this.send(
      'GET',
      `/files/${encodeURIComponent(fileId)}/content`,
      undefined,
      {},
      TRANSFER_TIMEOUT_MS,
    );
    const partial = `${dest}.partial`;
    try {
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        createWriteStream(partial),
      );
    } catch (err) {
      rmSync(partial, { force: true });
      throw new BatchApiUnavailable(`downloading file ${fileId} was cut short: ${(err as Error).message}`);
    }
    renameSync(partial, dest);
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  private async search<T>(path: string, match: (item: T & { id: string }) => boolean): Promise<T | null> {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const list = (await this.json(
        'GET',
        after ? `${path}${sep}after=${encodeURIComponent(after)}` : path,
      )) as ListPage<T & { id: string }>;
      const hit = (list.data ?? []).find(match);
      if (hit) return hit;
      if (!list.has_more || list.data.length === 0) return null;
      after = list.last_id ?? list.data[list.data.length - 1]!.id;
    }
    return null;
  }

  private async json(
    method: string,
    path: string,
    body?: FormData | string,
    extra: Record<string, string> = {},
    timeoutMs = this.timeoutMs,
  ): Promise<unknown> {
    const res = await this.send(method, path, body, extra, timeoutMs);
    const text = await res.text();
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BatchApiUnavailable(`${method} ${this.baseUrl}${path} answered with a body that is not JSON`);
    }
  }

  private async send(
    method: string,
    path: string,
    body?: FormData | string,
    extra: Record<string, string> = {},
    timeoutMs = this.timeoutMs,
  ): Promise<Response> {
    const url = `${this.baseUrl.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...this.headers, ...extra },
        body,
        signal: AbortSignal.timeout(Math.max(this.timeoutMs, timeoutMs)),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
      throw new BatchApiUnavailable(`${method} ${url} failed: ${cause}`);
    }
    if (res.ok) return res;
    const detail = this.redact(errorDetail(await res.text().catch(() => '')));
    const what = `${method} ${url} answered ${res.status}${detail ? `: ${detail}` : ''}`;
    if (res.status === 404) throw new NotFound(what);
    if (classifyStatus(res.status) === 'retry') throw new BatchApiUnavailable(what);
    if (res.status === 401 || res.status === 403)
      throw new UserError(
        `${what}. The API key is missing or refused: check the variable model.api_key_env names`,
        1,
      );
    throw new UserError(
      `${what}. Check model.base_urls (the batch API's base, ending in /v1) and the batch settings`,
      1,
    );
  }
}

class NotFound extends UserError {
  constructor(message: string) {
    super(`${message}. Check model.base_urls: the batch API's base URL, ending in /v1`, 1);
  }
}

function errorDetail(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON
  }
  return body.trim().slice(0, 200);
}
