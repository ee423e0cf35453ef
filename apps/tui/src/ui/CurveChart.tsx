import * as asciichart from 'asciichart';
import { Box, Text } from 'ink';

export interface CurveChartProps {
  title: string;
  series: readonly { label: string; values: readonly number[] }[];
  height?: number;
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

/** A line chart (asciichart) that grows as epochs arrive, one colour per model with a legend. */
export function CurveChart({ title, series, height = 8 }: CurveChartProps) {
  const drawn = series
    .map((s, i) => ({ ...s, color: i, values: s.values.filter((v) => Number.isFinite(v)) }))
    .filter((s) => s.values.length > 0);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text bold>{title}</Text>
      {drawn.length === 0 ? (
        <Text dimColor>(appears after the first epoch)</Text>
      ) : (
        <>
          <Text>
            {asciichart.plot(
              drawn.map((s) => (s.values.length === 1 ? [s.values[0], s.values[0]] : [...s.values])),
              {
                height,
                colors: drawn.map((s) => COLORS[s.color % COLORS.length]),
                format: (x) => x.toFixed(3).padStart(8),
              },
            )}
          </Text>
          <Box>
            {drawn.map((s) => (
              <Text key={s.label} color={INK_COLORS[s.color % INK_COLORS.length]}>
                ── {s.label}
                {'  '}
              </Text>
            ))}
          </Box>
        </>
      )}
    </Box>
  );
}
