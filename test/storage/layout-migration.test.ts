/**
 * A run written by sparq 0.2.0 (schema 7: hex keys, a `requests` table keyed by the request hash,
 * a column per problem field), killed mid-run, opens and resumes with this sparq. The fixture
 * (test/fixtures/schema-7-run/sparq.db) was made by that version with the in-process sim and
 * the config below, killed with kill -9 after its seeds were committed and while 2 seeds and 24
 * mutations had responses stored but not committed.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { requestKey } from '../../src/backends/request-key.js';
import { SimBackend } from '../../src/backends/sim-backend.js';
import type { ChatRequest, ChatResponse } from '../../src/backends/types.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { executeRun } from '../../src/engine/execute.js';
import { problemTextHash } from '../../src/engine/mutation-output.js';
import { readRunStatus } from '../../src/engine/status.js';
import { BodyCodec } from '../../src/storage/body-codec.js';
import { unpackHex } from '../../src/storage/hex-keys.js';
import { SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { registerProblemText } from '../../src/storage/problem-rows.js';
import { SqliteRunStore } from '../../src/storage/sqlite-store.js';
import { readStoredConfig } from '../../src/storage/stored-config.js';
import { tempDir } from '../helpers/cli.js';
import { poolContent } from '../helpers/pool.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'schema-7-run', 'sparq.db');

const config = ConfigSchema.parse({
  seeds: { sample: 10 },
  solver: { k: 4 },
  generation: { batch_size: 12 },
  budget: { generations: 2 },
  scheduler: { commit_tasks: 8 },
});

function fixtureCopy(): string {
  const dir = join(tempDir(), 'run');
  mkdirSync(dir);
  copyFileSync(FIXTURE, join(dir, 'sparq.db'));
  return dir;
}

/** The responses a run stored, by request key, as the model sent them. */
function storedResponses(dir: string): Map<string, ChatResponse> {
  const db = new Database(join(dir, 'sparq.db'), { readonly: true });
  const keys = (db.prepare('SELECT key FROM requests').all() as { key: string }[]).map((r) => r.key);
  db.close();
  const store = SqliteRunStore.openReadOnly(dir);
  const out = new Map<string, ChatResponse>();
  for (const key of keys) {
    const r = store.getResponse(key, null)!;
    out.set(key, {
      choices: r.choices,
      usage: { promptTokens: r.promptTokens, completionTokens: r.completionTokens },
      model: r.model,
    });
  }
  store.close();
  return out;
}

/** The sim, but answering the requests in `answered` as given. */
class ReplayingSim extends SimBackend {
  constructor(private readonly answered: Map<string, ChatResponse>) {
    super();
  }

  override async send(request: ChatRequest): Promise<ChatResponse> {
    return this.answered.get(requestKey(this.model, request)) ?? super.send(request);
  }
}

describe('a run in the layout of sparq 0.2.0', () => {
  it('is read as it is, before any upgrade', () => {
    const dir = fixtureCopy();
    const store = SqliteRunStore.openReadOnly(dir);
    const seeds = [...store.iterateProblems()];
    expect(seeds).toHaveLength(8);
    for (const p of seeds) {
      expect(p.textHash).toMatch(/^[0-9a-f]{32}$/);
      expect(p.solution.length).toBeGreaterThan(0);
      expect(p.solveKeys.every((k) => /^[0-9a-f]{64}$/.test(k))).toBe(true);
      expect(p.attempts).toHaveLength(4);
      expect(store.hasProblemText(p.textHash, p.seq + 1)).toBe(true);
    }
    expect(readRunStatus(store).problems.total).toBe(8);
    store.close();
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    db.close();
  });

  it('gives a resume its stored configuration from the run as it is, without an upgraded copy', () => {
    const dir = fixtureCopy();
    const stored = readStoredConfig(dir);
    expect(stored.committed).toBe(true);
    expect(JSON.parse(stored.configJson!)).toMatchObject({
      seeds: { sample: 10 },
      generation: { batch_size: 12 },
    });
    expect(JSON.parse(stored.firstDetected!)).toHaveProperty('settings');
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(7);
    db.close();
  });

  it('resumes with this sparq to the pool an uninterrupted run of this sparq makes, replaying its stored responses', async () => {
    const dir = fixtureCopy();
    // The uninterrupted run meets the model the fixture met: its sim (of sparq 0.2.0) answered
    // the requests the fixture stored; this sparq's sim answers the rest, in both runs.
    const answered = storedResponses(dir);
    await executeRun(dir, config, { backend: new SimBackend(), quiet: true });
    const fresh = join(tempDir(), 'run');
    await executeRun(fresh, config, { backend: new ReplayingSim(answered), quiet: true });
    expect(poolContent(dir)).toEqual(poolContent(fresh));

    const store = SqliteRunStore.openReadOnly(dir);
    // The responses stored before the kill were answered from the old table, not asked again.
    expect(store.counters().cache_hits).toBeGreaterThanOrEqual(2 * 2 + 24);
    // Old rows and new rows side by side, both read whole.
    const all = [...store.iterateProblems()];
    expect(all.length).toBe(readRunStatus(store).problems.total);
    expect(all.filter((p) => p.origin !== 'seed').length).toBeGreaterThan(0);
    for (const p of all) expect(p.attempts.every((a) => p.solveKeys.includes(a.requestKey))).toBe(true);
    store.close();
    const db = new Database(join(dir, 'sparq.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // The fixture's problem texts stay plain, those told since are compressed (schema 12); SQL
    // reads both through problem_text(), as curation does.
    const layouts = db
      .prepare('SELECT typeof(problem) AS t, COUNT(*) AS n FROM problems GROUP BY t ORDER BY t')
      .all();
    expect(layouts).toEqual([
      { t: 'blob', n: all.length - 8 },
      { t: 'text', n: 8 },
    ]);
    registerProblemText(db, new BodyCodec(db));
    const texts = db.prepare('SELECT uid, problem_text(problem) AS text, text_hash FROM problems').all() as {
      uid: string;
      text: string;
      text_hash: unknown;
    }[];
    const byUid = new Map(all.map((p) => [p.uid, p.problem]));
    for (const r of texts) {
      expect(r.text).toBe(byUid.get(r.uid));
      // The hash was taken of the text as the model wrote it, before it was stored.
      expect(problemTextHash(r.text)).toBe(unpackHex(r.text_hash));
    }
    const legacy = (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
    const compact = (db.prepare('SELECT COUNT(*) AS n FROM responses').get() as { n: number }).n;
    expect(legacy).toBe(20 + 24);
    expect(compact).toBeGreaterThan(0);
    expect((db.prepare('SELECT COUNT(*) AS n FROM request_log').get() as { n: number }).n).toBe(
      legacy + compact,
    );
    db.close();
  });
});
