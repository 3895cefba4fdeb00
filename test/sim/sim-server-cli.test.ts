import { describe, expect, it } from 'vitest';
import { runCli, startSimServerProcess } from '../helpers/cli.js';

async function getJson(url: string): Promise<unknown> {
  return await (await fetch(url)).json();
}

describe('sparq sim-server profile flags', () => {
  it('--behave picks the profile and the other flags override its fields', async () => {
    const server = await startSimServerProcess(['--behave', 'llamacpp', '--context', '100', '--slots', '2']);
    try {
      expect(await getJson(new URL('/props', server.url).href)).toMatchObject({
        default_generation_settings: { n_ctx: 100 },
        total_slots: 2,
      });
    } finally {
      await server.stop();
    }
    const unlimited = await startSimServerProcess(['--behave', 'vllm', '--context', '0', '--no-n']);
    try {
      expect(await getJson(`${unlimited.url}/models`)).toMatchObject({ data: [{ max_model_len: null }] });
      const res = await fetch(`${unlimited.url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'sim-1', n: 2, messages: [{ role: 'user', content: 'What is 1+1?' }] }),
      });
      expect(res.status).toBe(500);
    } finally {
      await unlimited.stop();
    }
  });

  it('rejects bad values with the flag, what it expects and what was given', () => {
    for (const [args, message] of [
      [['--behave', 'tgi'], /--behave expects one of default, vllm, llamacpp, ollama, openai, got "tgi"/],
      [['--context-overflow', 'drop'], /--context-overflow expects one of reject, truncate, got "drop"/],
      [['--outage', '30'], /--outage expects <start_s>:<duration_s>.*got "30"/],
      [['--outage', '30:-1'], /--outage duration_s expects a number in \[0, 86400\], got "-1"/],
      [['--slots', '1.5'], /--slots expects an integer/],
    ] as const) {
      const r = runCli(['sim-server', '--port', '0', ...args]);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
