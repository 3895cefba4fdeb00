import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { requestHeaders } from '../../src/backends/openai-http.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { STARTER_CONFIG } from '../../src/config/starter.js';
import { storableConfig } from '../../src/config/storable.js';
import { runCli, tempDir } from '../helpers/cli.js';

function withFile(yaml: string): string {
  const file = join(tempDir(), 'sparq.yaml');
  writeFileSync(file, yaml);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('defaults validate, and the starter config is exactly the defaults', () => {
    const defaults = loadConfig({});
    expect(defaults).toEqual(ConfigSchema.parse({}));
    expect(ConfigSchema.parse(parseYaml(STARTER_CONFIG))).toEqual(defaults);
  });

  it('reads values from the file', () => {
    const config = loadConfig({
      file: withFile(
        'seed: 7\nsolver:\n  k: 16\nmodel:\n  base_urls: [http://gpu1:8000/v1, http://gpu2:8000/v1]\n',
      ),
    });
    expect(config.seed).toBe(7);
    expect(config.solver.k).toBe(16);
    expect(config.model.base_urls).toHaveLength(2);
    expect(config.solver.temperature).toBe(0.7);
  });

  it('an empty file means all defaults', () => {
    expect(loadConfig({ file: withFile('') })).toEqual(loadConfig({}));
  });

  it('environment overrides the file and flags override the environment', () => {
    const file = withFile('solver:\n  k: 4\n');
    const env = { SPARQ_SOLVER__K: '6', SPARQ_MODEL__MAX_CONCURRENCY: '9' };
    expect(loadConfig({ file, env }).solver.k).toBe(6);
    const config = loadConfig({
      file,
      env,
      overrides: [{ path: 'solver.k', value: '12', flag: '--set solver.k=12' }],
    });
    expect(config.solver.k).toBe(12);
    expect(config.model.max_concurrency).toBe(9);
  });

  it('a numeric-looking model name from a flag stays text', () => {
    expect(
      loadConfig({ overrides: [{ path: 'model.model', value: '405', flag: '--model' }] }).model.model,
    ).toBe('405');
  });

  it('wrong type: names the key, what was expected, what was found and the line', () => {
    const [p] = problemsOf(() => loadConfig({ file: withFile('solver:\n  k: lots\n') }));
    expect(p).toMatch(/^solver\.k: expected a number, found the text "lots" \(.*sparq\.yaml:2\)$/);
  });

  it('non-integer', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('solver:\n  k: 2.5\n') }))[0]).toMatch(
      /solver\.k: expected an integer, found the number 2\.5/,
    );
  });

  it('out of range', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('solver:\n  temperature: 3\n') }))[0]).toMatch(
      /solver\.temperature: expected a number <= 2, found the number 3/,
    );
    expect(problemsOf(() => loadConfig({ file: withFile('model:\n  max_concurrency: 0\n') }))[0]).toMatch(
      /model\.max_concurrency: expected a number > 0/,
    );
  });

  it('unknown key (a typo) is reported with its line', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('solver:\n  kk: 3\n') }))[0]).toMatch(
      /solver\.kk: unknown key \(.*:2\)/,
    );
  });

  it('bad enum lists the choices', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('selection:\n  strategy: greedy\n') }))[0]).toMatch(
      /selection\.strategy: expected one of "uniform", "curiosity", "frontier", found the text "greedy"/,
    );
  });

  it('bad URL', () => {
    expect(
      problemsOf(() => loadConfig({ file: withFile('model:\n  base_urls: [localhost:8000]\n') }))[0],
    ).toMatch(/model\.base_urls\.0: expected an http\(s\) URL/);
  });

  it('empty list', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('model:\n  base_urls: []\n') }))[0]).toMatch(
      /model\.base_urls: expected a list with >= 1 item/,
    );
  });

  it('inconsistent ranges', () => {
    expect(
      problemsOf(() => loadConfig({ file: withFile('selection:\n  frontier: [0.9, 0.1]\n') }))[0],
    ).toMatch(/selection\.frontier: expected \[min, max\] with min < max/);
    expect(
      problemsOf(() => loadConfig({ file: withFile('archive:\n  difficulty_bands: [0.5, 0.2]\n') }))[0],
    ).toMatch(/strictly increasing/);
  });

  it('credentials in headers are refused without echoing them', () => {
    const [p] = problemsOf(() =>
      loadConfig({ file: withFile('model:\n  headers:\n    Authorization: Bearer sk-live-123\n') }),
    );
    expect(p).toMatch(/model\.headers: credentials must not be written in the config.*api_key_env/);
    expect(p).not.toContain('sk-live-123');
  });

  it('credentials in a base URL are refused without echoing them', () => {
    const [p] = problemsOf(() =>
      loadConfig({ file: withFile('model:\n  base_urls: [http://me:sk-live-456@127.0.0.1:8000/v1]\n') }),
    );
    expect(p).toMatch(/model\.base_urls\.0: credentials must not be written in a URL.*api_key_env/);
    expect(p).not.toContain('sk-live-456');
  });

  it('a credential in a URL query, a cookie header, or a key pasted as a variable name: refused, never echoed', () => {
    const [query] = problemsOf(() =>
      loadConfig({ file: withFile('model:\n  base_urls: ["https://x.example/v1?api_key=sk-live-777"]\n') }),
    );
    expect(query).toMatch(
      /model\.base_urls\.0: a query parameter of this URL carries a credential.*api_key_env/,
    );
    expect(query).not.toContain('sk-live-777');
    const [cookie] = problemsOf(() =>
      loadConfig({ file: withFile('model:\n  headers:\n    Cookie: session=sk-live-555\n') }),
    );
    expect(cookie).not.toContain('sk-live-555');
    const [pasted] = problemsOf(() =>
      loadConfig({ file: withFile('model:\n  api_key_env: sk-proj-AbC123-live\n') }),
    );
    expect(pasted).toMatch(/model\.api_key_env: expected an environment variable name/);
    expect(pasted).not.toContain('AbC123');
  });

  it('header_env takes header values from the environment; a missing variable is named', () => {
    const config = loadConfig({
      file: withFile('model:\n  header_env:\n    api-key: AZURE_OPENAI_API_KEY\n'),
    });
    expect(requestHeaders(config.model, { AZURE_OPENAI_API_KEY: 'az-123' })).toMatchObject({
      'api-key': 'az-123',
    });
    expect(() => requestHeaders(config.model, {})).toThrow(
      /AZURE_OPENAI_API_KEY is not set \(model\.header_env names it for the api-key header\)/,
    );
  });

  it('header values are not kept with the run', () => {
    const config = loadConfig({ file: withFile('model:\n  headers:\n    X-Team: research-7\n') });
    expect(JSON.stringify(storableConfig(config))).not.toContain('research-7');
    expect(storableConfig(config).model.headers).toEqual({ 'X-Team': '[redacted]' });
  });

  it('a configuration that validates key by key but cannot fit in memory is refused up front', () => {
    const [p] = problemsOf(() =>
      loadConfig({ file: withFile('scheduler: generations\ngeneration:\n  batch_size: 50000000\n') }),
    );
    expect(p).toMatch(
      /generation\.batch_size: with scheduler: generations .* at most 1,000,000 tasks.*found the number 50000000/,
    );
    expect(
      loadConfig({ file: withFile('generation:\n  batch_size: 50000000\n') }).generation.batch_size,
    ).toBe(50_000_000);
  });

  it('an invalid api_key_env name', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('model:\n  api_key_env: "my key"\n') }))[0]).toMatch(
      /model\.api_key_env: expected an environment variable name/,
    );
  });

  it('values from the environment are never echoed (they may be secrets)', () => {
    const problems = problemsOf(() =>
      loadConfig({ env: { SPARQ_API_TOKEN: 'sk-secret-999', SPARQ_SOLVER__K: 'sk-secret-888' } }),
    );
    expect(problems.join('\n')).not.toMatch(/sk-secret/);
    expect(problems.join('\n')).toMatch(
      /api_token: unknown key \(from environment variable SPARQ_API_TOKEN\)/,
    );
    expect(problems.join('\n')).toMatch(
      /solver\.k: expected a number \(from environment variable SPARQ_SOLVER__K\)/,
    );
  });

  it("a value from a resumed run's stored configuration says it came from there, until overridden", () => {
    const stored = { solver: { k: 0 }, labeling: { colour: 'red' } };
    const label = 'the configuration stored with the run in runs/a';
    const problems = problemsOf(() => loadConfig({ base: stored, baseLabel: label }));
    expect(problems.join('\n')).toMatch(
      /solver\.k: expected .*\(from the configuration stored with the run in runs\/a\)/,
    );
    expect(problems.join('\n')).toMatch(
      /colour: unknown key \(from the configuration stored with the run in runs\/a\)/,
    );
    const fixed = problemsOf(() =>
      loadConfig({
        base: stored,
        baseLabel: label,
        overrides: [{ path: 'solver.k', value: '0', flag: '--set solver.k=0' }],
      }),
    );
    expect(fixed.join('\n')).toMatch(/solver\.k: expected .*\(from --set solver\.k=0\)/);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() =>
      loadConfig({
        file: withFile('seed: -1\nsolver:\n  k: 0\n  temperature: x\nbudget:\n  generations: 1.5\n'),
      }),
    );
    expect(problems).toHaveLength(4);
  });

  it('YAML syntax errors give the line', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('solver:\n  k: [1, 2\n') }))[0]).toMatch(
      /sparq\.yaml:\d+:\d+: YAML syntax error/,
    );
  });

  it('a top level that is not a mapping', () => {
    expect(problemsOf(() => loadConfig({ file: withFile('- a\n- b\n') }))[0]).toMatch(/expected a mapping/);
  });

  it('a missing file is a clear error', () => {
    expect(() => loadConfig({ file: '/nonexistent/sparq.yaml' })).toThrow(
      /config file not found: \/nonexistent\/sparq\.yaml/,
    );
  });
});

describe('sparq init and config errors on the command line', () => {
  it('init writes the starter config and refuses to overwrite', () => {
    const dir = tempDir();
    const first = runCli(['init', join(dir, 'sparq.yaml')]);
    expect(first.status).toBe(0);
    const second = runCli(['init', join(dir, 'sparq.yaml')]);
    expect(second.status).toBe(2);
    expect(second.stderr).toMatch(/already exists; pass --force/);
  });

  it('an invalid config exits with code 2 and lists every problem', () => {
    const file = withFile('solver:\n  k: 0\nmodel:\n  kind: gpt\n');
    const r = runCli(['config', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/invalid configuration \(2 problems\)/);
    expect(r.stderr).toMatch(/solver\.k/);
    expect(r.stderr).toMatch(/model\.kind/);
  });
});
