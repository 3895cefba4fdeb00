/**
 * The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines, then one
 * sample a line, label values escaped (backslash, double quote, newline). Counters end in
 * `_total`; a histogram is its cumulative `_bucket{le}` samples, `_sum` and `_count`.
 */

export type Labels = Record<string, string>;

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class Exposition {
  private readonly lines: string[] = [];

  counter(name: string, help: string, samples: readonly { labels?: Labels; value: number }[]): void {
    if (!name.endsWith('_total')) throw new Error(`a counter's name ends in _total: ${name}`);
    this.family(name, 'counter', help);
    for (const s of samples) this.sample(name, s.labels, s.value);
  }

  gauge(name: string, help: string, samples: readonly { labels?: Labels; value: number }[]): void {
    this.family(name, 'gauge', help);
    for (const s of samples) this.sample(name, s.labels, s.value);
  }

  /** `counts[i]`: observations in (bounds[i-1], bounds[i]] (not cumulative); `+Inf` is added. */
  histogram(
    name: string,
    help: string,
    bounds: readonly number[],
    counts: readonly number[],
    sum: number,
  ): void {
    this.family(name, 'histogram', help);
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += counts[i] ?? 0;
      this.sample(`${name}_bucket`, { le: String(le) }, cumulative);
    });
    const total = counts.reduce((a, b) => a + b, 0);
    this.sample(`${name}_bucket`, { le: '+Inf' }, total);
    this.sample(`${name}_sum`, undefined, sum);
    this.sample(`${name}_count`, undefined, total);
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private family(name: string, type: string, help: string): void {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`not a metric name: ${name}`);
    this.lines.push(
      `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`,
      `# TYPE ${name} ${type}`,
    );
  }

  private sample(name: string, labels: Labels | undefined, value: number): void {
    const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    this.lines.push(`${name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
