import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentResult, ResultRow } from '../src/experiment.ts';
import type { DisplayItem } from '../src/models.ts';
import { displayWidth } from '../src/text.ts';
import { App } from '../src/ui/App.tsx';
import { BrowseScreen } from '../src/ui/BrowseScreen.tsx';
import { ModelProgress } from '../src/ui/ModelProgress.tsx';
import { ResultsScreen } from '../src/ui/ResultsScreen.tsx';
import { SimilarScreen } from '../src/ui/SimilarScreen.tsx';
import { AppController, type ModelRunState } from '../src/ui/store.ts';
import { TrainingScreen } from '../src/ui/TrainingScreen.tsx';
import { expectFits, linesOf, renderAt, waitForFrame } from './render-at.tsx';

const SIZES = [
  [80, 24],
  [140, 45],
] as const;

const unmounts: (() => void)[] = [];
function mount(...args: Parameters<typeof renderAt>) {
  const r = renderAt(...args);
  unmounts.push(r.unmount);
  return r;
}
afterEach(() => {
  while (unmounts.length) unmounts.pop()!();
});

/** Real Last.fm names: East Asian wide, Thai with combining marks, Cyrillic, a decomposed é, an emoji sequence. */
const NAMES = [
  '浜崎あゆみ',
  'มาช่า วัฒนพานิช',
  'Андрей Климковский',
  'Beyonce\u0301',
  '👩‍🎤 Star',
  '동방신기',
  'Sigur Rós',
  'The Long Name of a Band That Goes On and On and On Forever',
];
const items = (n: number, score: (i: number) => number): DisplayItem[] =>
  Array.from({ length: n }, (_, i) => ({
    id: String(1000 + i),
    score: score(i),
    artist: NAMES[i % NAMES.length],
    title: null,
  }));

function row(model: string, rmse: number, ndcg: number, sd = false): ResultRow {
  return {
    model,
    rmse,
    mae: rmse - 0.2,
    rmseWarm: rmse,
    rmseCold: rmse + 0.1,
    'precision@10': ndcg / 2,
    'recall@10': ndcg * 2,
    'ndcg@10': ndcg,
    trainSeconds: 12.5,
    epochs: 40,
    bestEpoch: 31,
    backend: 'js',
    hyperParameters: {},
    ...(sd
      ? { sd: { rmse: 0.01, mae: 0.01, 'ndcg@10': 0.002, 'precision@10': 0.001, 'recall@10': 0.003 } }
      : {}),
  };
}

const RESULT: ExperimentResult = {
  dataset: {
    name: 'lastfm-hetrec-2k',
    source: '/work/shared/data/lastfm-hetrec-2k/user_artists.dat',
    format: 'lastfm-hetrec',
    users: 1892,
    items: 17632,
    interactions: 92834,
    plays: 70000000,
    density: 0.0028,
    transform: 'log-bins',
    scale: { min: 1, max: 5 },
  },
  split: {
    method: 'kfold',
    description: '5-fold cross-validation',
    seed: 42,
    folds: 5,
    train: 70000,
    validation: 8000,
    test: 9000,
    coldTest: 120,
  },
  backend: 'js, wasm+wasm-simd',
  protocol: 'holdout',
  reference: 'svd',
  rankingReference: 'popularity',
  k: 10,
  seed: 42,
  results: [
    row('svd', 0.8557, 0.11, true),
    row('u-autorec', 0.8301, 0.14, true),
    row('i-autorec', 0.8402, 0.12, true),
    row('baseline', 0.8801, 0.09, true),
    row('popularity', 1.2, 0.08, true),
    row('global-mean', 1.3, 0.01, true),
  ],
  comparisons: [],
  seconds: 93.4,
};

function runState(label: string, status: ModelRunState['status'], epoch: number): ModelRunState {
  const curve = Array.from({ length: epoch }, (_, i) => 1 / (1 + i / 10));
  return {
    label,
    status,
    fold: 1,
    folds: 5,
    loss: curve.map((v) => v * 2),
    validationRmse: curve,
    progress: {
      model: 'svd',
      phase: 'batch',
      epoch,
      epochs: 100,
      batch: 3,
      batches: 12,
      loss: 0.9123,
      elapsedSeconds: 2,
      etaSeconds: 4242,
    },
  };
}

const TRAINING = {
  stage: 'training u-autorec',
  startedAt: 0,
  stopping: false,
  models: [
    runState('svd', 'done', 100),
    runState('u-autorec', 'training', 70),
    runState('i-autorec', 'waiting', 0),
    runState('baseline', 'waiting', 0),
    runState('popularity', 'waiting', 0),
    runState('global-mean', 'waiting', 0),
  ],
};
const LONG_PATH = '/home/someone/music/datasets/lastfm/hetrec-2011-lastfm-2k/extracted/user_artists.dat';

/** Lines of the chart plot (the ones with the y axis). */
const plotLines = (frame: string) => linesOf(frame).filter((l) => /^ *\d+\.\d{3} [┤┼]/.test(l));

describe.each(SIZES)('at %i×%i', (columns, rows) => {
  // The App's padding and header take 2 columns and 2 lines; screens get the rest.
  const width = columns - 2;
  const height = rows - 2;

  it('the training screen fits, with one line per model and charts as wide and tall as there is room', () => {
    const { lastFrame } = mount(
      <TrainingScreen
        training={TRAINING}
        dataset={`${LONG_PATH} (lastfm-hetrec)`}
        backend="tfjs auto (node → wasm → cpu) for AutoRec, js for the others"
        now={125_000}
        width={width}
        height={height}
        onBack={vi.fn()}
      />,
      columns,
      rows,
    );
    const frame = lastFrame()!;
    expectFits(frame, columns, height);
    const lines = linesOf(frame);
    for (const m of TRAINING.models) expect(lines.filter((l) => l.startsWith(m.label)).length).toBe(1);
    const plot = plotLines(frame);
    expect(plot.length).toBeGreaterThanOrEqual(3);
    // No plot line wrapped: each is at most the width and the widest reaches most of it.
    expect(Math.max(...plot.map(displayWidth))).toBeGreaterThan(width * 0.8);
    if (rows > 30) expect(frame).toContain('Training loss of u-autorec');
  });

  it('the results screen fits: table rows on one line each, columns dropped when narrow', () => {
    const { lastFrame } = mount(
      <ResultsScreen result={RESULT} width={width} height={height} onBrowse={vi.fn()} onSave={vi.fn()} />,
      columns,
      rows,
    );
    const frame = lastFrame()!;
    expectFits(frame, columns, height);
    const lines = linesOf(frame);
    const autorec = lines.find((l) => l.startsWith('U-AutoRec'))!;
    expect(autorec).toContain('0.8301 ±0.0100*');
    expect(autorec).toContain('0.1400 ±0.0020*');
    if (columns < 100) expect(frame).toContain('not shown for width');
    else expect(lines.find((l) => l.startsWith('model'))).toContain('P@10');
    expect(frame).toContain('artists');
  });

  it('browse keeps every score in its column with wide, combining and emoji names', () => {
    const { lastFrame } = mount(
      <BrowseScreen
        browse={{
          users: ['1234'],
          userIndex: 0,
          modelIndex: 0,
          history: items(20, (i) => 5000 - i * 10).map((x) => ({ ...x, plays: x.score })),
          recommendations: items(20, (i) => 5.3 - i / 10),
          selected: 0,
        }}
        modelLabel="u-autorec"
        models={3}
        scoreName="predicted rating (1–5)"
        noun="artists"
        width={width}
        height={height}
        onUser={vi.fn()}
        onModel={vi.fn()}
        onMove={vi.fn()}
        onOpen={vi.fn()}
        onBack={vi.fn()}
      />,
      columns,
      rows,
    );
    const frame = lastFrame()!;
    expectFits(frame, columns, height);
    const lines = linesOf(frame);
    const wide = lines.find((l) => l.includes('浜崎あゆみ'))!;
    // The name's play count and score are on its own line…
    expect(wide).toMatch(/浜崎あゆみ +5000 plays .*浜崎あゆみ +5\.30/);
    // …and every row's numbers end in the same display column.
    const listRows = lines.filter((l) => /^ ?\d+ [^·]/.test(l));
    expect(listRows.length).toBeGreaterThanOrEqual(10);
    const ends = (re: RegExp) => new Set(listRows.map((l) => displayWidth(l.slice(0, l.search(re)))));
    expect(ends(/ plays/).size).toBe(1);
    expect(new Set(listRows.map((l) => displayWidth(l.trimEnd()))).size).toBe(1);
    if (rows > 30) expect(listRows.length).toBe(20);
    // Last.fm's items are artists, and the keys say so.
    expect(frame).toContain('similar artists');
    expect(frame).not.toContain('song');
  });

  it('similar songs fit with wide names', () => {
    const { lastFrame } = mount(
      <SimilarScreen
        similar={{
          song: items(1, () => 1)[0],
          items: items(20, (i) => 0.9 - i / 100),
          selected: 15,
          trail: [],
        }}
        modelLabel="svd"
        width={width}
        height={height}
        noun="artists"
        onMove={vi.fn()}
        onOpen={vi.fn()}
        onBack={vi.fn()}
      />,
      columns,
      rows,
    );
    const frame = lastFrame()!;
    expectFits(frame, columns, height);
    const listRows = linesOf(frame).filter((l) => /^ ?\d+ [^·]/.test(l));
    expect(new Set(listRows.map((l) => displayWidth(l.trimEnd()))).size).toBe(1);
    expect(frame).toContain('Similar artists');
    // The selected row (16) is scrolled into view.
    expect(listRows.some((l) => l.startsWith('16 '))).toBe(true);
  });
});

describe('ModelProgress', () => {
  it('a stopped model shows the epochs it finished, not 100% and ETA 0', () => {
    const stopped: ModelRunState = {
      ...runState('u-autorec', 'stopped', 3),
      progress: { ...runState('u-autorec', 'stopped', 3).progress!, phase: 'done', epoch: 3, etaSeconds: 0 },
    };
    const { lastFrame } = mount(<ModelProgress model={stopped} width={78} />, 80, 24);
    const frame = lastFrame()!;
    expect(frame).toContain('stopped after 3 of 100 epochs');
    expect(frame).not.toContain('ETA');
    expect(frame).not.toMatch(/█{8,}/);
  });
});

describe('the app in a terminal window', () => {
  it('lays itself out again when the window is resized', async () => {
    const controller = new AppController({ screen: 'models', datasetIndex: 3, path: LONG_PATH });
    const app = mount(<App controller={controller} />, 140, 45);
    await waitForFrame(app.lastFrame, (f) => f.includes(LONG_PATH));
    app.stdout.resize(80, 24);
    const narrow = await waitForFrame(app.lastFrame, (f) => f.includes('…') && !f.includes(LONG_PATH));
    expectFits(narrow, 80, 24);
    // The folders are shortened; the path's start, the file name and the format stay.
    expect(narrow).toMatch(/\/home\/someone.*…\/user_artists\.dat \(taste-profile\)/);
    controller.dispose();
  });
});
