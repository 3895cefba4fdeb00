/**
 * The scaling plot as a self-contained SVG: measured points with their confidence intervals and
 * the fitted curves, x on a log scale (sizes span decades; a power law is then a smooth bend and
 * the log-linear fit a straight line), y as accuracy in percent. Hand-written rather than through
 * a charting library: it is one small chart, it must render identically offline, and the output
 * is easy to diff in tests. Every text from a file goes through `escapeXml`.
 */
import type { ScalingFile, ScalingFit } from './types.js';

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' }[c]};`,
  );
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
const DASH: Record<ScalingFit['model'], string> = {
  power_law_offset: '',
  power_law: '7 4',
  log_linear: '2 3',
};
const FIT_LABEL: Record<ScalingFit['model'], string> = {
  power_law_offset: 'power law + offset',
  power_law: 'power law',
  log_linear: 'log-linear',
};

/** 1200 -> "1.2k", 7e9 -> "7B": the way sizes are spoken of. */
export function formatSize(v: number): string {
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [scale, suffix] of units) {
    if (Math.abs(v) >= scale) return `${Number((v / scale).toPrecision(3))}${suffix}`;
  }
  return `${Number(v.toPrecision(3))}`;
}

/** Tick values on a log axis: the decades inside [lo, hi], with 2 and 5 between when few decades. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const mantissas = last - first <= 2 ? [1, 2, 5] : [1];
  for (let e = first; e <= last; e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function linearTicks(lo: number, hi: number): number[] {
  const span = hi - lo;
  const steps = [0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25];
  const step = steps.find((s) => span / s <= 8) ?? 0.25;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step)
    ticks.push(Number(v.toFixed(6)));
  return ticks;
}

const f = (v: number) => v.toFixed(2);

export function scalingSvg(result: ScalingFile, size: { width?: number; height?: number } = {}): string {
  const width = size.width ?? 760;
  const height = size.height ?? 460;
  const m = { left: 64, right: 210, top: 44, bottom: 56 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;

  const xs = result.points.map((p) => p.x);
  let xlo = Math.min(...xs);
  let xhi = Math.max(...xs);
  // Breathing room of a fifth of a decade each side (or a decade around a single x).
  const pad = xlo === xhi ? 10 : (xhi / xlo) ** 0.08;
  xlo /= pad;
  xhi *= pad;
  const ys = [
    ...result.points.flatMap((p) => [p.y, ...(p.ci ?? [])]),
    ...result.fits.flatMap((fit) => fit.curve.map((c) => c.y)),
  ].filter(Number.isFinite);
  let ylo = Math.min(...ys);
  let yhi = Math.max(...ys);
  const ypad = Math.max(0.02, (yhi - ylo) * 0.08);
  ylo = Math.max(0, ylo - ypad);
  yhi = Math.min(1, yhi + ypad);
  if (yhi - ylo < 0.02) [ylo, yhi] = [Math.max(0, ylo - 0.01), Math.min(1, yhi + 0.01)];

  const sx = (x: number) => m.left + ((Math.log(x) - Math.log(xlo)) / (Math.log(xhi) - Math.log(xlo))) * pw;
  const sy = (y: number) => m.top + (1 - (y - ylo) / (yhi - ylo)) * ph;

  const series = [...new Set(result.points.map((p) => p.series))];
  const color = (s: string) => PALETTE[series.indexOf(s) % PALETTE.length]!;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
  );
  out.push(`<title>${escapeXml(`${result.y} against ${result.x}`)}</title>`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<defs><clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  out.push(
    `<text x="${m.left}" y="24" font-size="15" font-weight="600">${escapeXml(`${result.y} against ${result.x.replace(/_/g, ' ')}`)}</text>`,
  );

  // Grid and axes.
  for (const t of logTicks(xlo, xhi)) {
    out.push(`<line x1="${f(sx(t))}" y1="${m.top}" x2="${f(sx(t))}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${f(sx(t))}" y="${m.top + ph + 18}" text-anchor="middle" fill="#444">${escapeXml(formatSize(t))}</text>`,
    );
  }
  for (const t of linearTicks(ylo, yhi)) {
    out.push(`<line x1="${m.left}" y1="${f(sy(t))}" x2="${m.left + pw}" y2="${f(sy(t))}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${m.left - 8}" y="${f(sy(t) + 4)}" text-anchor="end" fill="#444">${escapeXml(`${Number((100 * t).toFixed(1))}%`)}</text>`,
    );
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(
    `<text x="${m.left + pw / 2}" y="${height - 14}" text-anchor="middle" fill="#222">${escapeXml(`${result.x.replace(/_/g, ' ')} (log scale)`)}</text>`,
  );
  out.push(
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${escapeXml(result.y)}</text>`,
  );

  // Fitted curves, clipped to the plot area.
  out.push('<g clip-path="url(#plot)" fill="none" stroke-width="2">');
  for (const fit of result.fits) {
    const d = fit.curve
      .filter((c) => Number.isFinite(c.y))
      .map((c, i) => `${i === 0 ? 'M' : 'L'}${f(sx(c.x))} ${f(sy(c.y))}`)
      .join(' ');
    if (!d) continue;
    out.push(
      `<path d="${d}" stroke="${color(fit.series)}"${DASH[fit.model] ? ` stroke-dasharray="${DASH[fit.model]}"` : ''} opacity="0.85"><title>${escapeXml(`${fit.name}: ${fit.formula}, R² = ${fit.r2.toFixed(4)}`)}</title></path>`,
    );
  }
  out.push('</g>');

  // Points with their confidence intervals.
  for (const p of result.points) {
    const c = color(p.series);
    const x = f(sx(p.x));
    if (p.ci)
      out.push(
        `<line x1="${x}" y1="${f(sy(p.ci[0]))}" x2="${x}" y2="${f(sy(p.ci[1]))}" stroke="${c}" stroke-width="1.5"/>`,
      );
    const label = `${p.series}, x = ${formatSize(p.x)}: ${(100 * p.y).toFixed(1)}%${p.ci ? ` [${(100 * p.ci[0]).toFixed(1)}, ${(100 * p.ci[1]).toFixed(1)}]` : ''} (${p.file})`;
    out.push(
      `<circle cx="${x}" cy="${f(sy(p.y))}" r="4" fill="${c}" stroke="#fff" stroke-width="1"><title>${escapeXml(label)}</title></circle>`,
    );
  }

  // Legend: one swatch per series, one line style per fit model.
  let ly = m.top + 4;
  const lx = m.left + pw + 18;
  for (const s of series) {
    out.push(`<circle cx="${lx + 6}" cy="${ly + 6}" r="4" fill="${color(s)}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 10}" fill="#222">${escapeXml(s)}</text>`);
    ly += 18;
  }
  ly += 8;
  const models = [...new Set(result.fits.map((fit) => fit.model))];
  for (const model of models) {
    out.push(
      `<line x1="${lx}" y1="${ly + 6}" x2="${lx + 24}" y2="${ly + 6}" stroke="#444" stroke-width="2"${DASH[model] ? ` stroke-dasharray="${DASH[model]}"` : ''}/>`,
    );
    out.push(`<text x="${lx + 30}" y="${ly + 10}" fill="#222">${escapeXml(FIT_LABEL[model])}</text>`);
    ly += 18;
  }
  if (result.points.some((p) => p.ci)) {
    out.push(
      `<line x1="${lx + 6}" y1="${ly}" x2="${lx + 6}" y2="${ly + 12}" stroke="#444" stroke-width="1.5"/>`,
    );
    out.push(`<text x="${lx + 18}" y="${ly + 10}" fill="#222">confidence interval</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
