/** `sparq check`, run as the built CLI (tests run after `npm run build`). */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

function sparq(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sparq-check-'));
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('sparq check', () => {
  it('prints the verdict and the rule for one pair', async () => {
    const r = await sparq(['check', '--gold', '\\frac12', '--pred', '0.5']);
    expect(r).toMatchObject({ code: 0, stdout: 'equivalent (rule: numeric-rational)\n' });
    const j = await sparq(['check', '--gold', '(1,2)', '--pred', '(2,1)', '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ equivalent: false, rule: 'tuple' });
  });

  it('extracts from a full output with --extract', async () => {
    const r = await sparq(['check', '--gold', '18', '--pred', 'She makes 9 * 2 = 18.\nA: 18', '--extract']);
    expect(r.stdout).toBe('extracted: 18 (from gsm8k-a)\nequivalent (rule: exact-string)\n');
  });

  it('grades a JSONL file in order, streaming one verdict line per input line', async () => {
    const path = file(
      'pairs.jsonl',
      '{"gold":"1/2","pred":"0.5"}\n\n{"gold":"(1,2)","pred":"(2,1)"}\n{"gold":3,"pred":"3.0"}\n',
    );
    const r = await sparq(['check', '--file', path]);
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([
      { equivalent: true, rule: 'numeric-rational' },
      { equivalent: false, rule: 'tuple' },
      { equivalent: true, rule: 'numeric-rational' },
    ]);
    const pooled = await sparq(['check', '--file', path, '--workers', '2']);
    expect(pooled.stdout).toBe(r.stdout);
  });

  it('adds the extraction with --extract', async () => {
    const path = file(
      'outputs.jsonl',
      `${JSON.stringify({ gold: '4', pred: 'so \\boxed{4}' })}\n${JSON.stringify({ gold: '4', pred: 'no clue at all, sorry' })}\n`,
    );
    const lines = (await sparq(['check', '--file', path, '--extract'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { equivalent: true, rule: 'exact-string', extracted: { found: true, answer: '4', source: 'boxed' } },
      { equivalent: false, rule: 'no-answer', extracted: { found: false } },
    ]);
  });

  it('reads stdin with --file -', async () => {
    const r = await sparq(['check', '--file', '-'], '{"gold":"x=3","pred":"3"}\n');
    expect(JSON.parse(r.stdout)).toEqual({ equivalent: true, rule: 'normalized-string' });
  });

  it('rejects bad input with a clear message and exit code 2', async () => {
    const missing = await sparq(['check', '--gold', '1']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--gold and --pred/);

    const both = await sparq(['check', '--gold', '1', '--pred', '1', '--file', 'x.jsonl']);
    expect(both.code).toBe(2);

    const nofile = await sparq(['check', '--file', join(dir, 'absent.jsonl')]);
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toMatch(/cannot read .*absent\.jsonl/);

    const badJson = await sparq(['check', '--file', file('bad.jsonl', '{"gold":"1","pred":"1"}\n{oops\n')]);
    expect(badJson.code).toBe(2);
    expect(badJson.stderr).toMatch(/bad\.jsonl:2: invalid JSON/);
    expect(badJson.stdout.trim().split('\n')).toHaveLength(1);

    const noField = await sparq(['check', '--file', file('nofield.jsonl', '{"gold":"1"}\n')]);
    expect(noField.code).toBe(2);
    expect(noField.stderr).toMatch(/nofield\.jsonl:1: missing string field "pred"/);
  });
});
