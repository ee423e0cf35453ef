import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per x; null leaves a gap. */
  values: (number | null)[];
}

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

/**
 * Line chart (uPlot): redrawn in place when the data grows (training curves gain a point per
 * epoch) and resized with its container, so it fits a 360 px phone and a desktop alike.
 */
export function Chart(props: {
  title: string;
  x: number[];
  xLabel: string;
  yLabel: string;
  series: ChartSeries[];
  logY?: boolean;
  /** Whole-number ticks on x (epochs). */
  integerX?: boolean;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${props.series.map((s) => s.label).join('|')}|${props.logY}|${props.title}`;
  const data = [props.x, ...props.series.map((s) => s.values)] as uPlot.AlignedData;

  // biome-ignore lint/correctness/useExhaustiveDependencies: rebuilt only when the series change; data updates use setData below
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const opts: uPlot.Options = {
      title: props.title,
      width: Math.max(260, el.clientWidth),
      height: props.height ?? 240,
      scales: { x: { time: false }, y: props.logY ? { distr: 3 } : {} },
      axes: [
        { label: props.xLabel, ...(props.integerX ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : {}) },
        { label: props.yLabel, size: 60 },
      ],
      series: [
        { label: props.xLabel },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: props.x.length <= 40 },
          spanGaps: true,
        })),
      ],
      legend: { live: false },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() =>
      u.setSize({ width: Math.max(260, el.clientWidth), height: opts.height }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div className="chart" ref={box} role="img" aria-label={props.title} />;
}
