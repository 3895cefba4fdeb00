/**
 * Charts as inline SVG, rendered with vega-lite at report time (no JavaScript in the page).
 * Specs get their data inline; nothing is fetched.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { HISTOGRAM_LABELS } from '../core/metrics.js';
import type { BandSummary, CellSummary, GenerationPoint, OperatorSummary } from './data.js';

type Spec = vl.TopLevelSpec;

const CONFIG = {
  font: 'system-ui, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12 },
  legend: { labelFontSize: 11, titleFontSize: 12 },
  view: { stroke: null },
};

export async function toSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile({
    ...spec,
    config: { ...CONFIG, ...(spec as { config?: object }).config },
  } as Spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function overGenerations(
  points: GenerationPoint[],
  fields: { key: keyof GenerationPoint; label: string }[],
  title: string,
  yTitle: string,
  /**
   * A fixed y range for values in [0, 1], so that the axis neither runs past its end nor zooms
   * into noise: 'share' shows percentages, 'unit' plain values (qualities, normalized scores).
   */
  bounded: 'share' | 'unit' | null = null,
): Spec {
  const values = points.flatMap((p) =>
    fields.map((f) => ({ generation: p.generation, metric: f.label, value: Number(p[f.key] ?? 0) })),
  );
  const y =
    bounded === null
      ? { scale: { zero: true } }
      : {
          scale: { domain: [0, 1], nice: false, clamp: true },
          axis: { format: bounded === 'share' ? '%' : '.1f' },
        };
  return {
    title,
    width: 460,
    height: 220,
    data: { values },
    mark: { type: 'line', point: points.length <= 60 },
    encoding: {
      x: { field: 'generation', type: 'quantitative', title: 'generation', axis: { tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: yTitle, ...y },
      color: { field: 'metric', type: 'nominal', title: null },
    },
  } as Spec;
}

/** Viridis stops; qualities are coloured here so that empty cells can simply be grey. */
const VIRIDIS = [
  '#440154',
  '#482878',
  '#3e4989',
  '#31688e',
  '#26828e',
  '#1f9e89',
  '#35b779',
  '#6ece58',
  '#b5de2b',
  '#fde725',
];
export const EMPTY_CELL = '#e3e6eb';

export function qualityColor(q: number | null): string {
  if (q === null) return EMPTY_CELL;
  const x = Math.max(0, Math.min(1, q)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const mix = (a: string, b: string, t: number) =>
    [1, 3, 5]
      .map((k) =>
        Math.round(
          Number.parseInt(a.slice(k, k + 2), 16) * (1 - t) + Number.parseInt(b.slice(k, k + 2), 16) * t,
        )
          .toString(16)
          .padStart(2, '0'),
      )
      .join('');
  return `#${mix(VIRIDIS[i]!, VIRIDIS[i + 1]!, x - i)}`;
}

/** CSS gradient matching `qualityColor`, for the legend next to the heatmap. */
export const QUALITY_GRADIENT = `linear-gradient(to right, ${VIRIDIS.join(', ')})`;

/** Text that reads on a viridis fill: white on the dark end, near-black on the light end. */
function labelColor(q: number | null): string {
  return q !== null && q < 0.62 ? '#ffffff' : '#1b1f24';
}

/**
 * The archive per (subject x skill) cell: the colour is the mean quality of the cell's elites
 * and the number how many it holds. The best elite alone saturates at 1 - 1/k in nearly every
 * cell; the mean and the count show where the search still has room.
 */
/** @param capacity elites a (subject, skill) cell can hold, over all its bands; null when unknown */
export function cellHeatmap(cells: CellSummary[], capacity: number | null): Spec {
  const values = cells.map((c) => ({
    subject: c.subject,
    skill: c.skill,
    fill: qualityColor(c.meanQuality),
    ink: labelColor(c.meanQuality),
    count: c.elites > 0 ? String(c.elites) : '',
  }));
  return {
    title: {
      text: 'Archive: mean elite quality (1 - solve-rate) per cell, and elites held',
      subtitle: `number = elites in the cell${capacity === null ? '' : ` (at most ${capacity})`}; grey = empty`,
    },
    data: { values },
    facet: {
      field: 'subject',
      type: 'nominal',
      title: null,
      header: { labelFontSize: 12, labelFontWeight: 'bold' },
    },
    columns: 4,
    spec: {
      width: 22,
      height: { step: 16 },
      encoding: { y: { field: 'skill', type: 'nominal', title: null, axis: { labelLimit: 280 } } },
      layer: [
        {
          mark: { type: 'rect', stroke: 'white' },
          encoding: { color: { field: 'fill', type: 'nominal', scale: null, legend: null } },
        },
        {
          mark: { type: 'text', fontSize: 10 },
          encoding: {
            text: { field: 'count' },
            color: { field: 'ink', type: 'nominal', scale: null, legend: null },
          },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as Spec;
}

/** Elites by subject and difficulty band: where in difficulty the archive holds its problems. */
export function bandHeatmap(bands: BandSummary[]): Spec {
  return {
    title: {
      text: 'Archive by difficulty band: elites per subject and solve-rate range',
      subtitle: 'every skill of the subject together; harder bands at the top',
    },
    width: { step: 64 },
    height: { step: 24 },
    data: { values: bands },
    encoding: {
      x: { field: 'subject', type: 'nominal', title: null, axis: { labelAngle: -30, labelLimit: 160 } },
      y: {
        field: 'band',
        type: 'ordinal',
        title: 'solve-rate',
        sort: { field: 'order', order: 'ascending' },
      },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white' },
        encoding: {
          color: {
            field: 'elites',
            type: 'quantitative',
            title: 'elites',
            scale: { scheme: 'blues', domainMin: 0 },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          text: { field: 'elites', type: 'quantitative' },
          color: { condition: { test: 'datum.elites > 0', value: '#1b1f24' }, value: '#8a94a0' },
        },
      },
    ],
  } as Spec;
}

export function solveRateHistogram(points: GenerationPoint[]): Spec {
  const values = points.flatMap((p) => {
    const total = p.solveRateHistogram.reduce((a, b) => a + b, 0) || 1;
    return p.solveRateHistogram.map((count, bin) => ({
      generation: p.generation,
      bin: HISTOGRAM_LABELS[bin],
      order: bin,
      share: count / total,
      count,
    }));
  });
  return {
    title: 'Solve-rate histogram by generation (share of the generation\u2019s problems)',
    width: Math.min(720, Math.max(240, points.length * 18)),
    height: 220,
    data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 'generation', type: 'ordinal', title: 'generation' },
      y: {
        field: 'bin',
        type: 'ordinal',
        title: 'solve-rate',
        sort: { field: 'order', order: 'descending' },
      },
      color: { field: 'share', type: 'quantitative', title: 'share', scale: { scheme: 'blues' } },
    },
  };
}

export function operatorChart(operators: OperatorSummary[]): Spec {
  const parts = ['NEW', 'IMPROVED', 'NOT_ADDED', 'unverified', 'rejected'] as const;
  const values = operators.flatMap((o) =>
    parts.map((part) => ({
      operator: o.operator,
      outcome: part,
      share: o.tasks ? o[part] / o.tasks : 0,
      order: parts.indexOf(part),
    })),
  );
  return {
    title: 'Operator outcomes (share of tasks)',
    width: 360,
    height: { step: 28 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'operator', type: 'nominal', title: null },
      x: {
        field: 'share',
        type: 'quantitative',
        title: 'share of tasks',
        axis: { format: '%' },
        scale: { domain: [0, 1], nice: false },
      },
      color: {
        field: 'outcome',
        type: 'nominal',
        title: null,
        sort: [...parts],
        scale: { domain: [...parts], range: ['#1a9850', '#91cf60', '#d9d9d9', '#fdae61', '#d73027'] },
      },
      order: { field: 'order' },
    },
  };
}

export function barChart(values: { label: string; value: number }[], title: string, xTitle: string): Spec {
  return {
    title,
    width: 360,
    height: { step: 22 },
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', title: null, sort: '-x' },
      x: { field: 'value', type: 'quantitative', title: xTitle },
    },
  };
}

export function scatterWithLines(
  points: { x: number; y: number }[],
  lines: { name: string; x: number; y: number }[],
  title: string,
  xTitle: string,
  yTitle: string,
): Spec {
  return {
    title,
    width: 460,
    height: 260,
    layer: [
      {
        data: { values: lines },
        mark: 'line',
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: xTitle },
          y: { field: 'y', type: 'quantitative', title: yTitle },
          color: { field: 'name', type: 'nominal', title: 'fit' },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 60, color: 'black' },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { type: 'log' } },
          y: { field: 'y', type: 'quantitative' },
        },
      },
    ],
  } as Spec;
}
