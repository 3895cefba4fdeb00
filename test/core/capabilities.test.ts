import { describe, expect, it } from 'vitest';
import {
  type Capabilities,
  decideSettings,
  keepForResume,
  SIM_CAPABILITIES,
} from '../../src/backends/capabilities.js';
import { BackendSchema } from '../../src/config/schema.js';

const llamaCpp: Capabilities = {
  ...SIM_CAPABILITIES,
  n: 'rejected',
  schema: 'ignored',
  contextTokens: 4096,
  contextSource: 'n_ctx per slot (GET /props)',
  slots: 4,
  server: 'llama.cpp',
};

describe('deciding the model settings', () => {
  it('auto takes what was detected; explicit values win; untested falls back to the safe default', () => {
    const auto = decideSettings(BackendSchema.parse({}), llamaCpp);
    expect(auto).toEqual({
      supports_n: { value: false, source: 'detected' },
      json_schema: { value: false, source: 'detected' },
      max_concurrency: { value: 8, source: 'detected' },
      context_tokens: { value: 4096, source: 'detected' },
    });
    const explicit = decideSettings(
      BackendSchema.parse({ supports_n: true, max_concurrency: 32, context_tokens: null }),
      llamaCpp,
    );
    expect(explicit.supports_n).toEqual({ value: true, source: 'configured' });
    expect(explicit.max_concurrency).toEqual({ value: 32, source: 'configured' });
    expect(explicit.context_tokens).toEqual({ value: null, source: 'configured' });
    const untested = decideSettings(BackendSchema.parse({}), {
      ...llamaCpp,
      n: null,
      schema: null,
      slots: null,
    });
    expect(untested.supports_n).toEqual({ value: false, source: 'default' });
    expect(untested.max_concurrency).toEqual({ value: 64, source: 'default' });
  });

  it('a resumed run keeps what it started with where the configuration says auto, and says what differs', () => {
    const config = BackendSchema.parse({});
    const started = decideSettings(config, llamaCpp);
    const now = decideSettings(config, { ...llamaCpp, n: 'honoured', contextTokens: 8192, slots: 8 });
    const kept = keepForResume(config, now, started);
    expect(kept.decided.supports_n.value).toBe(false);
    expect(kept.decided.context_tokens.value).toBe(4096);
    // Concurrency follows the server: it does not change what is computed.
    expect(kept.decided.max_concurrency.value).toBe(16);
    expect(kept.differs).toEqual([
      'supports_n would now be true; the run keeps false',
      'context_tokens would now be 8192; the run keeps 4096',
    ]);
    const explicit = keepForResume(BackendSchema.parse({ supports_n: true }), now, started);
    expect(explicit.decided.supports_n).toEqual({ value: true, source: 'detected' });
  });
});
