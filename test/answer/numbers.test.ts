import { describe, expect, it } from 'vitest';
import {
  decimalApproximates,
  isTerminating,
  parseNumberLiteral,
  pow,
  rat,
  ratEq,
  ratFromDecimal,
  root,
  toNumber,
} from '../../src/answer/numbers.js';

describe('BigInt rationals', () => {
  it('are kept in lowest terms with a positive denominator', () => {
    expect(rat(6n, -4n)).toEqual({ n: -3n, d: 2n });
  });

  it('parse decimals exactly, without float error', () => {
    expect(ratEq(ratFromDecimal('0.1')!, rat(1n, 10n))).toBe(true);
    expect(ratEq(ratFromDecimal('-12.50')!, rat(-25n, 2n))).toBe(true);
    expect(ratEq(ratFromDecimal('1e-3')!, rat(1n, 1000n))).toBe(true);
    expect(ratEq(ratFromDecimal('007')!, rat(7n))).toBe(true);
  });

  it('refuse powers that would be astronomically large', () => {
    expect(pow(rat(9n), 10n ** 9n)).toBeNull();
    expect(pow(rat(2n), 100n)!.n).toBe(2n ** 100n);
    expect(pow(rat(2n, 3n), -2n)).toEqual({ n: 9n, d: 4n });
  });

  it('take exact roots only when they exist', () => {
    expect(root(rat(9n, 4n), 2)).toEqual({ n: 3n, d: 2n });
    expect(root(rat(-8n), 3)).toEqual({ n: -2n, d: 1n });
    expect(root(rat(2n), 2)).toBeNull();
  });

  it('convert huge values to doubles without overflow', () => {
    expect(toNumber(rat(10n ** 400n, 10n ** 399n))).toBeCloseTo(10);
  });

  it('know which rationals have a finite decimal expansion', () => {
    expect(isTerminating(rat(13n, 20n))).toBe(true);
    expect(isTerminating(rat(1n, 3n))).toBe(false);
  });
});

describe('parseNumberLiteral', () => {
  it('reads integers, decimals, fractions, mixed numbers and scientific notation', () => {
    expect(parseNumberLiteral('-5')?.form).toBe('integer');
    expect(parseNumberLiteral('.4')?.form).toBe('decimal');
    expect(parseNumberLiteral('-\\frac{10}{9}')?.value).toEqual({ n: -10n, d: 9n });
    expect(parseNumberLiteral('\\frac{-10}{9}')?.value).toEqual({ n: -10n, d: 9n });
    expect(parseNumberLiteral('-10/9')?.value).toEqual({ n: -10n, d: 9n });
    expect(parseNumberLiteral('12\\frac{3}{5}')?.value).toEqual({ n: 63n, d: 5n });
    expect(parseNumberLiteral('12 \\frac{3}{5}')?.form).toBe('mixed');
    expect(parseNumberLiteral('7.8\\times 10^2')?.value).toEqual({ n: 780n, d: 1n });
    expect(parseNumberLiteral('1.2e-3')?.value).toEqual({ n: 3n, d: 2500n });
  });

  it('counts decimals and significant digits as written', () => {
    expect(parseNumberLiteral('0.0450')).toMatchObject({ decimals: 4, significant: 3 });
  });

  it('rejects everything else', () => {
    for (const s of ['x', '1,2', '2\\frac{4}{2}', '\\frac{1}{0}', '', '1/0', '3+4'])
      expect(parseNumberLiteral(s)).toBeNull();
  });
});

describe('decimal rounding policy', () => {
  const d = (s: string) => {
    const lit = parseNumberLiteral(s)!;
    return { value: toNumber(lit.value), decimals: lit.decimals, significant: lit.significant };
  };
  it('accepts rounding and truncation to the written places', () => {
    expect(decimalApproximates(d('0.333'), 1 / 3)).toBe(true);
    expect(decimalApproximates(d('0.667'), 2 / 3)).toBe(true);
    expect(decimalApproximates(d('0.666'), 2 / 3)).toBe(true);
    expect(decimalApproximates(d('0.6054'), Math.cos(Math.PI / 10) ** 10)).toBe(true);
  });
  it('rejects other digits and too few significant digits', () => {
    expect(decimalApproximates(d('0.668'), 2 / 3)).toBe(false);
    expect(decimalApproximates(d('0.33'), 1 / 3)).toBe(false);
    expect(decimalApproximates(d('3.1'), Math.PI)).toBe(false);
  });
});
