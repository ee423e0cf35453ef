import * as asciichart from 'asciichart';
import { Box, Text } from 'ink';

export interface CurveChartProps {
  title: string;
  series: readonly { label: string; values: readonly number[] }[];
  /** Cells the chart may take across, axis labels included. */
  width: number;
  /** Rows of the plot itself (the chart adds a title and a legend line). */
  height?: number;
  /** Epochs the x axis spans (e.g. the planned total), so curves grow from left to right. */
  epochs?: number;
}

const COLORS = [
  asciichart.cyan,
  asciichart.yellow,
  asciichart.green,
  asciichart.magenta,
  asciichart.red,
  asciichart.blue,
];
const INK_COLORS = ['cyan', 'yellow', 'green', 'magenta', 'red', 'blue'];

/** Lines a chart takes besides its plot rows: the title and the legend. */
export const CHART_CHROME = 2;

/**
 * A line chart (asciichart) of per-epoch values, one colour per model with a legend. asciichart
 * draws one point per column, so each series is resampled to the width there is: epoch e of
 * `epochs` lands at the same column for every model, stretched when there are few epochs and
 * thinned when there are more epochs than columns.
 */
export function CurveChart({ title, series, width, height = 8, epochs }: CurveChartProps) {
  const drawn = series
    .map((s, i) => ({ ...s, color: i, values: s.values.filter((v) => Number.isFinite(v)) }))
    .filter((s) => s.values.length > 0);
  const longest = Math.max(epochs ?? 0, ...drawn.map((s) => s.values.length));
  const all = drawn.flatMap((s) => s.values);
  const format = (x: number) => x.toFixed(3);
  const labelWidth = Math.max(...all.map((v) => format(v).length), 5);
  // asciichart puts the label, a space and the axis before the points, and a space after.
  const columns = Math.max(2, width - labelWidth - 3);
  return (
    <Box flexDirection="column">
      <Text bold>
        {title}
        {longest > 1 ? <Text dimColor> (epochs 1–{longest})</Text> : null}
      </Text>
      {drawn.length === 0 ? (
        <Text dimColor>(appears after the first epoch)</Text>
      ) : (
        <>
          <Text>
            {asciichart.plot(
              drawn.map((s) => resample(s.values, longest, columns)),
              {
                height: Math.max(1, height - 1),
                colors: drawn.map((s) => COLORS[s.color % COLORS.length]),
                format: (x) => format(x).padStart(labelWidth),
              },
            )}
          </Text>
          <Box flexWrap="wrap">
            {drawn.map((s) => (
              <Text key={s.label} color={INK_COLORS[s.color % INK_COLORS.length]}>
                ── {s.label}{' '}
              </Text>
            ))}
          </Box>
        </>
      )}
    </Box>
  );
}

/**
 * `values` (epochs 1…values.length) as points on `columns` columns spanning epochs
 * 1…`span`, by linear interpolation. A single value is drawn as a short flat line.
 */
export function resample(values: readonly number[], span: number, columns: number): number[] {
  if (values.length === 1) return [values[0], values[0]];
  const last = Math.max(span, values.length) - 1;
  const used = Math.max(2, Math.round(((values.length - 1) / last) * (columns - 1)) + 1);
  const out: number[] = [];
  for (let c = 0; c < used; c++) {
    const t = Math.min(values.length - 1, (c / (columns - 1)) * last);
    const i = Math.floor(t);
    const f = t - i;
    out.push(i + 1 < values.length ? values[i] * (1 - f) + values[i + 1] * f : values[i]);
  }
  return out;
}
