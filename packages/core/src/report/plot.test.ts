import { describe, expect, it } from 'vitest';
import { trainingCurvesSvg } from './plot.ts';

describe('trainingCurvesSvg', () => {
  const curve = (epochs: number, scale: number, validation = true) =>
    Array.from({ length: epochs }, (_, i) => ({
      epoch: i + 1,
      loss: scale / (i + 1),
      trainRmse: 1 - i / 40,
      ...(validation ? { validationRmse: 1.05 - i / 50 } : {}),
      seconds: 0.1,
    }));
  /** The panels' quantities, in order. */
  const panels = (svg: string) =>
    [...svg.matchAll(/class="panel" data-quantity="([^"]+)"/g)].map((m) => m[1]);
  /** The `d` of every marker, by fill colour. */
  const markers = (svg: string) => {
    const out = new Map<string, Set<string>>();
    for (const m of svg.matchAll(/class="marker" transform="[^"]+" d="([^"]+)" fill="([^"]+)"/g))
      out.set(m[2], (out.get(m[2]) ?? new Set()).add(m[1]));
    return out;
  };

  it('draws one panel per comparable quantity, with losses relative to their first epoch, not on one raw axis', () => {
    const svg = trainingCurvesSvg([
      { label: 'svd', curve: curve(20, 0.5), keptEpochs: [20] },
      // Objectives of different sizes (AutoRec's sums over a user's row) share no axis.
      { label: 'a<b>&"c"', curve: curve(12, 40), keptEpochs: [9] },
      { label: 'popularity', curve: [] },
    ]);
    expect(panels(svg)).toEqual(['train-rmse', 'validation-rmse', 'relative-loss']);
    expect(svg).not.toContain('log scale');
    expect(svg.match(/<path class="curve" /g)).toHaveLength(6);
    // Every model's line has markers, one shape per model (the legend repeats it).
    const shapes = markers(svg);
    expect(shapes.size).toBe(2);
    for (const set of shapes.values()) expect(set.size).toBe(1);
    expect(new Set([...shapes.values()].map((s) => [...s][0])).size).toBe(2);
    for (const [fill] of shapes)
      expect(svg.match(new RegExp(`class="marker"[^>]*fill="${fill}"`, 'g'))!.length).toBeGreaterThan(6);
    // The kept epoch is ringed on each panel, and explained in the legend.
    expect(svg.match(/class="kept"/g)).toHaveLength(6);
    expect(svg).toContain('epoch whose weights were kept');
    // The legend is one column right of the panels, not laid across them.
    const legendX = Number(/<g class="legend">\n<text x="(\d+)"/.exec(svg)![1]);
    expect(legendX).toBeGreaterThanOrEqual(3 * 360);
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;');
    expect(svg).toContain('popularity (closed form, no epochs)');
    expect(svg).toContain('>epoch</text>');
    expect(svg).not.toContain('NaN');
  });

  it('draws k-fold runs as the mean over folds with a ± 1 sd band, and leaves out panels with no data', () => {
    const folds = [
      curve(10, 1, false),
      curve(10, 1.2, false).map((r) => ({
        ...r,
        loss: r.loss * (1 - r.epoch / 100),
        trainRmse: r.trainRmse! + 0.05,
      })),
    ];
    const svg = trainingCurvesSvg([{ label: 'svd', curve: folds[0], folds, keptEpochs: [10, 10] }]);
    expect(panels(svg)).toEqual(['train-rmse', 'relative-loss']);
    expect(svg).not.toContain('no data');
    expect(svg.match(/<path class="band" /g)).toHaveLength(2);
    expect(svg).toContain('mean ± 1 sd over folds');
  });

  it('says so when no model trains by epochs', () => {
    const svg = trainingCurvesSvg([{ label: 'popularity', curve: [] }]);
    expect(panels(svg)).toEqual([]);
    expect(svg).toContain('nothing to plot');
  });
});

describe('trainingCurvesSvg legend', () => {
  it('is wide enough for its longest label, so no label runs off the figure', () => {
    const curve = [1, 2, 3].map((epoch) => ({
      epoch,
      loss: 1 / epoch,
      validationRmse: 1 - epoch / 10,
      seconds: 1,
    }));
    const svg = trainingCurvesSvg([
      { label: 'i-autorec', curve, keptEpochs: [3] },
      { label: 'popularity', curve: [] },
    ]);
    const width = Number(/<svg [^>]*width="(\d+)"/.exec(svg)![1]);
    const texts = [...svg.matchAll(/<g class="legend">[\s\S]*?<\/g>/g)][0][0];
    for (const m of texts.matchAll(/<text x="(\d+)"[^>]*>([^<]+)<\/text>/g))
      expect(Number(m[1]) + m[2].length * 7, m[2]).toBeLessThanOrEqual(width);
    expect(svg).toContain('popularity (closed form, no epochs)');
  });
});
