/**
 * The stored model responses: the resume cache and the audit trail of a run.
 *
 * Since schema 8 a response is a row of `responses` whose id is its task's number × SLOTS plus
 * a slot. A task's responses sit together, and tasks finish in order within the scheduler's
 * window, so rows are appended near the end of the table: there is no index keyed by the random
 * request hash, whose inserts wrote a page per response once the pool outgrew the page cache
 * (measured: 11× the database's size written). The key is kept as its 32 bytes, the sampling
 * parameters but the seed are shared in `request_kinds`, the time is unix milliseconds, and the
 * body (the choices' JSON) is compressed with the run's dictionary for its purpose (body-codec.ts).
 *
 * `requests` is the layout before: rows of earlier sparq are read from it as they are, and it
 * still takes what has no task number (an eval cache) or a task's responses past SLOTS.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type Database from 'better-sqlite3';
import type { CachedResponse } from '../domain/records.js';
import type { BodyCodec } from './body-codec.js';
import { packHex } from './hex-keys.js';

/**
 * Responses one task can keep in `responses`: k solve requests, a mutation and label re-asks fit
 * many times over. Part of schema 8 (response ids and the request_log view are made with it):
 * changing it needs a migration.
 */
export const SLOTS = 4096;

type Row = Record<string, unknown>;

interface RequestKind {
  purpose: string;
  model: string;
  templateRef: string | null;
  /** The sampling parameters without seed and sample index, as JSON. */
  paramsJson: string;
}

export class ResponseTable {
  private readonly kinds = new Map<number, RequestKind>();
  private readonly kindIds = new Map<string, number>();
  private readonly stmt: Record<string, Database.Statement>;
  /** Whether `requests` has rows to look in (runs of earlier sparq, eval caches). */
  private legacyRows: boolean;
  private readonly allKinds: Database.Statement;

  constructor(
    db: Database.Database,
    private readonly codec: BodyCodec,
  ) {
    this.stmt = {
      inTask: db.prepare('SELECT * FROM responses WHERE id BETWEEN ? AND ? AND key = ?'),
      allInTask: db.prepare('SELECT * FROM responses WHERE id BETWEEN ? AND ? ORDER BY id'),
      hasInTask: db.prepare('SELECT 1 FROM responses WHERE id BETWEEN ? AND ? AND key = ?'),
      hasLegacy: db.prepare('SELECT 1 FROM requests WHERE key = ?'),
      lastSlot: db.prepare('SELECT MAX(id) AS id FROM responses WHERE id BETWEEN ? AND ?'),
      insert: db.prepare(
        `INSERT INTO responses (id, key, kind, seed, sample, body, prompt_tokens, completion_tokens, latency_ms, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      addKind: db.prepare(
        'INSERT INTO request_kinds (purpose, model, template_ref, params_json) VALUES (?, ?, ?, ?)',
      ),
      legacy: db.prepare('SELECT * FROM requests WHERE key = ?'),
      putLegacy: db.prepare(
        `INSERT OR IGNORE INTO requests (key, purpose, model, template_ref, params_json, response_json, prompt_tokens, completion_tokens, latency_ms, created_at)
         VALUES (@key, @purpose, @model, @templateRef, @params, @response, @promptTokens, @completionTokens, @latencyMs, @createdAt)`,
      ),
    };
    this.allKinds = db.prepare('SELECT * FROM request_kinds');
    this.load();
    this.legacyRows = db.prepare('SELECT 1 FROM requests LIMIT 1').get() !== undefined;
  }

  /**
   * Reads the request kinds again: after a write transaction rolled back (kinds it added are
   * gone), or when a row names one this connection has not seen (another connection wrote it).
   */
  load(): void {
    this.kinds.clear();
    this.kindIds.clear();
    for (const row of this.allKinds.all() as Row[]) this.rememberKind(row);
  }

  get(key: string, task: number | null): CachedResponse | undefined {
    if (task !== null) {
      const row = this.stmt.inTask!.get(...slotRange(task), packHex(key)) as Row | undefined;
      if (row) return this.fromRow(key, task, row);
    }
    if (!this.legacyRows) return undefined;
    const row = this.stmt.legacy!.get(key) as Row | undefined;
    return row ? fromLegacyRow(key, task, row) : undefined;
  }

  /** Every response stored for a task, in the order they were written. */
  ofTask(task: number): CachedResponse[] {
    const rows = this.stmt.allInTask!.all(...slotRange(task)) as Row[];
    return rows.map((row) => this.fromRow((row.key as Buffer).toString('hex'), task, row));
  }

  private has(key: string, task: number | null): boolean {
    if (task !== null && this.stmt.hasInTask!.get(...slotRange(task), packHex(key))) return true;
    return this.legacyRows && this.stmt.hasLegacy!.get(key) !== undefined;
  }

  /** Writes one response unless one with its key is stored already (the caller holds the transaction). */
  put(r: CachedResponse, now: Date): void {
    if (this.has(r.key, r.task)) return;
    const choices = JSON.stringify(r.choices);
    const slot = r.task === null ? null : this.nextSlot(r.task);
    if (slot === null) {
      this.stmt.putLegacy!.run({
        key: r.key,
        purpose: r.purpose,
        model: r.model,
        templateRef: r.templateRef,
        params: JSON.stringify(r.params),
        response: deflateRawSync(Buffer.from(choices, 'utf8')),
        promptTokens: r.promptTokens,
        completionTokens: r.completionTokens,
        latencyMs: r.latencyMs,
        createdAt: now.toISOString(),
      });
      this.legacyRows = true;
      return;
    }
    const { seed, sample, ...shared } = r.params;
    this.stmt.insert!.run(
      slot,
      packHex(r.key),
      this.kindId({
        purpose: r.purpose,
        model: r.model,
        templateRef: r.templateRef,
        paramsJson: JSON.stringify(shared),
      }),
      seed ?? null,
      sample ?? null,
      this.codec.encode(r.purpose, choices),
      r.promptTokens,
      r.completionTokens,
      r.latencyMs,
      now.getTime(),
    );
  }

  /** The id for the task's next response, or null when its slots are used up. */
  private nextSlot(task: number): number | null {
    const [first, end] = slotRange(task);
    const last = (this.stmt.lastSlot!.get(first, end) as { id: number | null }).id;
    if (last === null) return first;
    return last < end ? last + 1 : null;
  }

  private kindId(kind: RequestKind): number {
    const name = kindName(kind);
    let id = this.kindIds.get(name);
    if (id === undefined) {
      id = Number(
        this.stmt.addKind!.run(kind.purpose, kind.model, kind.templateRef, kind.paramsJson).lastInsertRowid,
      );
      this.kinds.set(id, kind);
      this.kindIds.set(name, id);
    }
    return id;
  }

  private rememberKind(row: Row): void {
    const kind: RequestKind = {
      purpose: row.purpose as string,
      model: row.model as string,
      templateRef: (row.template_ref as string | null) ?? null,
      paramsJson: row.params_json as string,
    };
    const id = row.id as number;
    this.kinds.set(id, kind);
    this.kindIds.set(kindName(kind), id);
  }

  private fromRow(key: string, task: number, row: Row): CachedResponse {
    if (!this.kinds.has(row.kind as number)) this.load();
    const kind = this.kinds.get(row.kind as number);
    if (!kind)
      throw new Error(`response ${row.id} refers to request kind ${row.kind}, which the run does not have`);
    const params = JSON.parse(kind.paramsJson) as CachedResponse['params'];
    if (row.seed !== null) params.seed = row.seed as number;
    params.sample = (row.sample as number | null) ?? null;
    return {
      key,
      task,
      purpose: kind.purpose,
      model: kind.model,
      templateRef: kind.templateRef,
      params,
      choices: JSON.parse(this.codec.decode(row.body as Buffer)),
      promptTokens: row.prompt_tokens as number,
      completionTokens: row.completion_tokens as number,
      latencyMs: row.latency_ms as number,
    };
  }
}

/** The first and last response id of a task. */
function slotRange(task: number): [number, number] {
  return [task * SLOTS, task * SLOTS + SLOTS - 1];
}

function kindName(kind: RequestKind): string {
  return JSON.stringify([kind.purpose, kind.model, kind.templateRef, kind.paramsJson]);
}

function fromLegacyRow(key: string, task: number | null, row: Row): CachedResponse {
  const stored = row.response_json;
  return {
    key,
    task,
    purpose: row.purpose as string,
    model: row.model as string,
    templateRef: (row.template_ref as string | null) ?? null,
    params: JSON.parse(row.params_json as string),
    // Deflated since schema 7; JSON text before.
    choices: JSON.parse(
      Buffer.isBuffer(stored) ? inflateRawSync(stored).toString('utf8') : (stored as string),
    ),
    promptTokens: row.prompt_tokens as number,
    completionTokens: row.completion_tokens as number,
    latencyMs: row.latency_ms as number,
  };
}
