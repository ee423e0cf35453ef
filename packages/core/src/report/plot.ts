import { scaleLinear } from 'd3-scale';
import {
  area,
  line,
  type SymbolType,
  symbol,
  symbolCircle,
  symbolDiamond,
  symbolSquare,
  symbolStar,
  symbolTriangle,
  symbolWye,
} from 'd3-shape';
import { meanSd } from '../evaluation/cross-validation.ts';
import type { EpochRecord } from '../types.ts';
import type { ExperimentResult } from './result.ts';

/** One model's learning curves as the plot draws them. */
export interface CurveSeries {
  label: string;
  /** Per-epoch records of the (first) fit. */
  curve: readonly EpochRecord[];
  /** Every fold's records, for k-fold runs: drawn as mean ± one standard deviation. */
  folds?: readonly (readonly EpochRecord[])[];
  /** The epoch whose weights were kept, per fold (0 or absent: closed form, nothing to mark). */
  keptEpochs?: readonly number[];
}

/**
 * A result's curves as the plot draws them: every fold's curve and kept epoch when the run
 * had folds, else the single fit's.
 *
 * @example
 * trainingCurvesSvg(curveSeries(result));
 */
export function curveSeries(result: ExperimentResult): CurveSeries[] {
  return result.comparisons.map((m, i) => ({
    label: m.label,
    curve: m.curve,
    folds: result.foldCurves?.[i]?.curves,
    keptEpochs: result.foldCurves?.[i]?.keptEpochs ?? [m.bestEpoch],
  }));
}

/** d3's category10 palette: distinct, readable on white. */
const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];
/** One marker shape per model, so the lines stay apart in greyscale print too. */
const SHAPES: readonly SymbolType[] = [
  symbolCircle,
  symbolSquare,
  symbolTriangle,
  symbolDiamond,
  symbolStar,
  symbolWye,
];
/** Markers per line at most; beyond that every n-th epoch gets one. */
const MAX_MARKERS = 12;

const PANEL = { width: 360, height: 300, left: 60, right: 14, top: 46, bottom: 44 };
/** The legend column: at least this wide, wider for long labels (≈ 7 px per character at 12 px). */
const LEGEND_WIDTH = 230;
const LEGEND_TEXT_X = 48;
const CHAR_WIDTH = 7;

/** A quantity that means the same for every model, so its curves may share an axis. */
interface Quantity {
  key: string;
  heading: string;
  note: string;
  value: (curve: readonly EpochRecord[], r: EpochRecord) => number | undefined;
}

const QUANTITIES: readonly Quantity[] = [
  {
    key: 'train-rmse',
    heading: 'Training RMSE',
    note: 'rating error on the training part',
    value: (_c, r) => r.trainRmse,
  },
  {
    key: 'validation-rmse',
    heading: 'Validation RMSE',
    note: 'rating error on held-back ratings',
    value: (_c, r) => r.validationRmse,
  },
  {
    // Each model minimises its own objective (squared error plus its own penalties), so raw
    // losses do not compare; the share of the first epoch's loss does.
    key: 'relative-loss',
    heading: 'Training loss ÷ epoch 1',
    note: 'each model’s own objective, relative',
    value: (c, r) => {
      const first = c[0]?.loss;
      return first !== undefined && Number.isFinite(first) && first > 0 ? r.loss / first : undefined;
    },
  },
];

/**
 * Training curves as a standalone SVG a paper could use: one panel per quantity that means
 * the same across models (training RMSE, validation RMSE, and the training loss relative to
 * its first epoch, since each model's objective has its own size), each with its own linear
 * axis; one colour and marker shape per model; the epoch whose weights were kept ringed;
 * for k-fold runs the mean over folds with a ± one standard deviation band. The legend sits
 * in its own column to the right. Panels without data are left out. Scales from d3-scale,
 * paths and marker shapes from d3-shape.
 *
 * @example
 * await writeFile('training-curves.svg', trainingCurvesSvg(curveSeries(result)));
 */
export function trainingCurvesSvg(series: readonly CurveSeries[]): string {
  const panels = QUANTITIES.filter((q) =>
    series.some((s) => foldsOf(s).some((c) => c.some((r) => usable(q.value(c, r))))),
  );
  const n = Math.max(1, panels.length);
  const longest = Math.max(
    'epoch whose weights were kept'.length,
    ...series.map((s) => legendLabel(s).length),
  );
  const width = PANEL.width * n + Math.max(LEGEND_WIDTH, LEGEND_TEXT_X + 10 + longest * CHAR_WIDTH);
  const height = Math.max(PANEL.height, 40 + 22 * series.length + 60);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  if (panels.length === 0)
    parts.push(
      `<text x="${PANEL.width / 2}" y="${PANEL.height / 2}" text-anchor="middle" fill="#555">No model in this run trains by epochs: nothing to plot.</text>`,
    );
  panels.forEach((q, i) => {
    parts.push(panel(series, q, i * PANEL.width));
  });
  parts.push(legend(series, PANEL.width * n));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function foldsOf(s: CurveSeries): readonly (readonly EpochRecord[])[] {
  return s.folds && s.folds.length > 0 ? s.folds : [s.curve];
}

/** Per epoch: mean and standard deviation of the quantity over the folds that reached it. */
function summary(s: CurveSeries, q: Quantity): { epoch: number; mean: number; sd: number }[] {
  const byEpoch = new Map<number, number[]>();
  for (const c of foldsOf(s))
    for (const r of c) {
      const v = q.value(c, r);
      if (!usable(v)) continue;
      const list = byEpoch.get(r.epoch) ?? [];
      list.push(v as number);
      byEpoch.set(r.epoch, list);
    }
  return [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, values]) => ({ epoch, ...meanSd(values) }));
}

function panel(series: readonly CurveSeries[], q: Quantity, offsetX: number): string {
  const x0 = offsetX + PANEL.left;
  const x1 = offsetX + PANEL.width - PANEL.right;
  const y0 = PANEL.height - PANEL.bottom;
  const y1 = PANEL.top;
  const lines = series.map((s) => summary(s, q));
  const folded = series.some((s) => foldsOf(s).length > 1);
  const points = lines.flat();
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch));
  const x = scaleLinear()
    .domain([maxEpoch > 1 ? 1 : 0, maxEpoch])
    .range([x0, x1]);
  const lo = Math.min(...points.map((p) => p.mean - p.sd));
  const hi = Math.max(...points.map((p) => p.mean + p.sd));
  const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 0.5;
  const y = scaleLinear()
    .domain([lo - pad, hi + pad])
    .range([y0, y1])
    .nice();
  const out: string[] = [
    `<g class="panel" data-quantity="${q.key}">`,
    `<text x="${offsetX + PANEL.width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(q.heading)}</text>`,
    `<text x="${offsetX + PANEL.width / 2}" y="34" text-anchor="middle" fill="#555">${escapeXml(q.note + (folded ? '; mean ± 1 sd over folds' : ''))}</text>`,
    `<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#ccc"/>`,
  ];
  for (const t of x.ticks(Math.min(8, maxEpoch)).filter(Number.isInteger)) {
    const px = x(t).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 5}" stroke="#333"/>`,
      `<text x="${px}" y="${y0 + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  const tickFormat = y.tickFormat(6);
  for (const t of y.ticks(6)) {
    const py = y(t).toFixed(1);
    out.push(
      `<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#eee"/>`,
      `<line x1="${x0 - 5}" y1="${py}" x2="${x0}" y2="${py}" stroke="#333"/>`,
      `<text x="${x0 - 8}" y="${(Number(py) + 4).toFixed(1)}" text-anchor="end">${escapeXml(tickFormat(t))}</text>`,
    );
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${PANEL.height - 8}" text-anchor="middle">epoch</text>`);
  lines.forEach((pts, i) => {
    if (pts.length === 0) return;
    const c = color(i);
    if (pts.some((p) => p.sd > 0)) {
      const band = area<(typeof pts)[number]>()
        .x((p) => x(p.epoch))
        .y0((p) => y(p.mean - p.sd))
        .y1((p) => y(p.mean + p.sd))(pts);
      if (band) out.push(`<path class="band" d="${band}" fill="${c}" fill-opacity="0.15" stroke="none"/>`);
    }
    const path = line<(typeof pts)[number]>()
      .x((p) => x(p.epoch))
      .y((p) => y(p.mean))(pts);
    if (path) out.push(`<path class="curve" d="${path}" fill="none" stroke="${c}" stroke-width="2"/>`);
    const every = Math.ceil(pts.length / MAX_MARKERS);
    pts.forEach((p, j) => {
      // Every n-th epoch, shifted per model so markers of close lines do not sit on each other; always the last.
      if ((j + i) % every === 0 || j === pts.length - 1) out.push(marker(i, x(p.epoch), y(p.mean)));
    });
    for (const kept of new Set(series[i].keptEpochs ?? [])) {
      const at = pts.find((p) => p.epoch === kept);
      if (at)
        out.push(
          `<circle class="kept" cx="${x(at.epoch).toFixed(1)}" cy="${y(at.mean).toFixed(1)}" r="7" fill="none" stroke="${c}" stroke-width="1.5"/>`,
        );
    }
  });
  out.push('</g>');
  return out.join('\n');
}

function marker(i: number, cx: number, cy: number): string {
  const d = symbol(SHAPES[i % SHAPES.length], 36)();
  return `<path class="marker" transform="translate(${cx.toFixed(1)},${cy.toFixed(1)})" d="${d}" fill="${color(i)}"/>`;
}

function legend(series: readonly CurveSeries[], x: number): string {
  const out = [`<g class="legend">`, `<text x="${x + 10}" y="${PANEL.top}" font-weight="bold">Models</text>`];
  series.forEach((s, i) => {
    const y = PANEL.top + 22 * (i + 1);
    if (!closedForm(s))
      out.push(
        `<line x1="${x + 10}" y1="${y - 4}" x2="${x + 40}" y2="${y - 4}" stroke="${color(i)}" stroke-width="2"/>`,
        marker(i, x + 25, y - 4),
      );
    out.push(`<text x="${x + LEGEND_TEXT_X}" y="${y}">${escapeXml(legendLabel(s))}</text>`);
  });
  const y = PANEL.top + 22 * (series.length + 1) + 8;
  out.push(
    `<circle cx="${x + 25}" cy="${y - 4}" r="7" fill="none" stroke="#333" stroke-width="1.5"/>`,
    `<text x="${x + LEGEND_TEXT_X}" y="${y}">epoch whose weights were kept</text>`,
    '</g>',
  );
  return out.join('\n');
}

function closedForm(s: CurveSeries): boolean {
  return s.curve.length === 0 && !s.folds?.some((c) => c.length > 0);
}

function legendLabel(s: CurveSeries): string {
  return s.label + (closedForm(s) ? ' (closed form, no epochs)' : '');
}

function usable(v: number | undefined): boolean {
  return v !== undefined && Number.isFinite(v);
}

function color(i: number): string {
  return COLORS[i % COLORS.length];
}

/** Text safe inside SVG elements and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!,
  );
}
