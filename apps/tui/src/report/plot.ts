import type { EpochRecord } from '@autorec/core';
import { type ScaleContinuousNumeric, scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';

/** One model's learning curve as the plot draws it. */
export interface CurveSeries {
  label: string;
  curve: readonly EpochRecord[];
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

const PANEL = { width: 440, height: 300, left: 64, right: 16, top: 40, bottom: 44 };

/**
 * Training curves as a standalone SVG: training loss (left; log scale, since each model's
 * objective has its own size) and validation RMSE (right) per epoch, one colour per model,
 * with axes, ticks and a legend. Scales from d3-scale, paths from d3-shape. Models without
 * epochs (closed form) have nothing to draw and are listed as such in the legend.
 *
 * @example
 * await writeFile('training-curves.svg', trainingCurvesSvg(result.comparisons.map((m) => ({ label: m.label, curve: m.curve }))));
 */
export function trainingCurvesSvg(series: readonly CurveSeries[]): string {
  const width = PANEL.width * 2;
  const legendHeight = 24 + 18 * Math.ceil(series.length / 3);
  const height = PANEL.height + legendHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  parts.push(panel(series, 0, 'Training loss (own objective, log scale)', (r) => r.loss, true));
  parts.push(panel(series, PANEL.width, 'Validation RMSE', (r) => r.validationRmse, false));
  series.forEach((s, i) => {
    const x = 16 + (i % 3) * ((width - 32) / 3);
    const y = PANEL.height + 20 + 18 * Math.floor(i / 3);
    const note = s.curve.length === 0 ? ' (closed form, no epochs)' : '';
    parts.push(
      `<line x1="${x}" y1="${y - 4}" x2="${x + 22}" y2="${y - 4}" stroke="${color(i)}" stroke-width="2.5"/>`,
      `<text x="${x + 28}" y="${y}">${escapeXml(s.label + note)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panel(
  series: readonly CurveSeries[],
  offsetX: number,
  heading: string,
  value: (r: EpochRecord) => number | undefined,
  logScale: boolean,
): string {
  const x0 = offsetX + PANEL.left;
  const x1 = offsetX + PANEL.width - PANEL.right;
  const y0 = PANEL.height - PANEL.bottom;
  const y1 = PANEL.top;
  const points = series.flatMap((s) =>
    s.curve.map((r) => ({ epoch: r.epoch, v: value(r) })).filter((p) => isUsable(p.v, logScale)),
  );
  const out: string[] = [
    `<text x="${offsetX + PANEL.width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(heading)}</text>`,
  ];
  if (points.length === 0) {
    out.push(
      `<text x="${offsetX + PANEL.width / 2}" y="${PANEL.height / 2}" text-anchor="middle" fill="#777">no data</text>`,
    );
    return out.join('\n');
  }
  const maxEpoch = Math.max(1, ...points.map((p) => p.epoch));
  const x = scaleLinear()
    .domain([maxEpoch > 1 ? 1 : 0, maxEpoch])
    .range([x0, x1]);
  const values = points.map((p) => p.v as number);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const y: ScaleContinuousNumeric<number, number> = (
    logScale
      ? scaleLog().domain(lo === hi ? [lo / 1.5, hi * 1.5] : [lo, hi])
      : scaleLinear().domain(lo === hi ? [lo - 0.5, hi + 0.5] : [lo, hi])
  )
    .range([y0, y1])
    .nice();
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#ccc"/>`);
  for (const t of x.ticks(Math.min(10, maxEpoch)).filter(Number.isInteger)) {
    const px = x(t).toFixed(1);
    out.push(
      `<line x1="${px}" y1="${y0}" x2="${px}" y2="${y0 + 5}" stroke="#333"/>`,
      `<text x="${px}" y="${y0 + 18}" text-anchor="middle">${t}</text>`,
    );
  }
  const tickFormat = y.tickFormat(6, logScale ? '.2~g' : undefined);
  // A log scale's tick format blanks the in-between ticks; draw only the labelled ones.
  const yTicks = y.ticks(6).filter((t) => tickFormat(t) !== '');
  for (const t of yTicks) {
    const py = y(t).toFixed(1);
    out.push(
      `<line x1="${x0}" y1="${py}" x2="${x1}" y2="${py}" stroke="#eee"/>`,
      `<text x="${x0 - 6}" y="${py}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickFormat(t))}</text>`,
    );
  }
  out.push(`<text x="${(x0 + x1) / 2}" y="${PANEL.height - 8}" text-anchor="middle">epoch</text>`);
  series.forEach((s, i) => {
    const pts = s.curve.filter((r) => isUsable(value(r), logScale));
    if (pts.length === 0) return;
    const path = line<EpochRecord>()
      .x((r) => x(r.epoch))
      .y((r) => y(value(r) as number))(pts);
    if (path) out.push(`<path d="${path}" fill="none" stroke="${color(i)}" stroke-width="2"/>`);
    if (pts.length <= 30)
      for (const r of pts)
        out.push(
          `<circle cx="${x(r.epoch).toFixed(1)}" cy="${y(value(r) as number).toFixed(1)}" r="2.5" fill="${color(i)}"/>`,
        );
  });
  return out.join('\n');
}

function isUsable(v: number | undefined, logScale: boolean): boolean {
  return v !== undefined && Number.isFinite(v) && (!logScale || v > 0);
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
