/** Exact rationals over BigInt: every answer the simulated model writes is one of these. */
export class Rat {
  readonly n: bigint;
  readonly d: bigint;

  constructor(n: bigint | number, d: bigint | number = 1n) {
    let nn = BigInt(n);
    let dd = BigInt(d);
    if (dd === 0n) throw new RangeError('zero denominator');
    if (dd < 0n) {
      nn = -nn;
      dd = -dd;
    }
    const g = gcd(nn < 0n ? -nn : nn, dd);
    this.n = g > 1n ? nn / g : nn;
    this.d = g > 1n ? dd / g : dd;
  }

  static int(v: number | bigint): Rat {
    return new Rat(BigInt(v), 1n);
  }

  add(o: Rat): Rat {
    return new Rat(this.n * o.d + o.n * this.d, this.d * o.d);
  }
  sub(o: Rat): Rat {
    return new Rat(this.n * o.d - o.n * this.d, this.d * o.d);
  }
  mul(o: Rat): Rat {
    return new Rat(this.n * o.n, this.d * o.d);
  }
  div(o: Rat): Rat {
    return new Rat(this.n * o.d, this.d * o.n);
  }
  neg(): Rat {
    return new Rat(-this.n, this.d);
  }
  isZero(): boolean {
    return this.n === 0n;
  }
  isInteger(): boolean {
    return this.d === 1n;
  }
  equals(o: Rat): boolean {
    return this.n === o.n && this.d === o.d;
  }

  /** `12`, `-7`, `\frac{3}{4}`, `-\frac{5}{2}`: how MATH writes final answers. */
  toLatex(): string {
    if (this.d === 1n) return this.n.toString();
    const sign = this.n < 0n ? '-' : '';
    const abs = this.n < 0n ? -this.n : this.n;
    return `${sign}\\frac{${abs}}{${this.d}}`;
  }

  /** Inline form for use inside expressions: `(-3)`, `\frac{1}{2}`. */
  toTerm(): string {
    return this.n < 0n ? `(${this.toLatex()})` : this.toLatex();
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a === 0n ? 1n : a;
}

/** Parses the integers and `\frac{a}{b}` forms that `toLatex` writes. */
export function parseRat(text: string): Rat | null {
  const t = text.trim();
  const int = /^(-?\d+)$/.exec(t);
  if (int) return Rat.int(BigInt(int[1]!));
  const frac = /^(-?)\\frac\{(\d+)\}\{(\d+)\}$/.exec(t);
  if (frac && frac[3] !== '0') return new Rat(BigInt(frac[1] + frac[2]!), BigInt(frac[3]!));
  return null;
}
