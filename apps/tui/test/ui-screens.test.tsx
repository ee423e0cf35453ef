import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentResult, ResultRow } from '../src/experiment.ts';
import { BrowseScreen } from '../src/ui/BrowseScreen.tsx';
import { CurveChart } from '../src/ui/CurveChart.tsx';
import { DatasetScreen } from '../src/ui/DatasetScreen.tsx';
import { KeyHelp } from '../src/ui/KeyHelp.tsx';
import { ModelProgress } from '../src/ui/ModelProgress.tsx';
import { ModelsScreen } from '../src/ui/ModelsScreen.tsx';
import { ResultsScreen } from '../src/ui/ResultsScreen.tsx';
import { ResultsTable } from '../src/ui/ResultsTable.tsx';
import { SimilarScreen } from '../src/ui/SimilarScreen.tsx';
import { DATASET_OPTIONS, type ModelRunState, PARAM_STEPS } from '../src/ui/store.ts';
import { TrainingScreen } from '../src/ui/TrainingScreen.tsx';

const KEYS = {
  down: '\u001B[B',
  up: '\u001B[A',
  left: '\u001B[D',
  right: '\u001B[C',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
};
const unmounts: (() => void)[] = [];
function mount(tree: React.ReactElement) {
  const r = render(tree);
  unmounts.push(r.unmount);
  return r;
}
afterEach(() => {
  while (unmounts.length) unmounts.pop()!();
});

function row(model: string, rmse: number, ndcg: number): ResultRow {
  return {
    model,
    rmse,
    mae: rmse - 0.2,
    rmseWarm: rmse,
    rmseCold: null,
    'precision@10': ndcg / 2,
    'recall@10': ndcg * 2,
    'ndcg@10': ndcg,
    trainSeconds: 1.5,
    epochs: 12,
    bestEpoch: 10,
    backend: 'js',
    hyperParameters: {},
  };
}

const RESULT: ExperimentResult = {
  dataset: {
    name: 'synthetic-tiny-seed1',
    source: "synthetic 'tiny' preset",
    format: 'taste-profile',
    users: 200,
    items: 300,
    interactions: 5198,
    plays: 16500,
    density: 0.08,
    transform: 'log-bins',
    scale: { min: 1, max: 5 },
  },
  split: {
    method: 'random',
    description: 'random holdout',
    seed: 42,
    train: 4000,
    validation: 500,
    test: 500,
    coldTest: 0,
  },
  backend: 'js, wasm+wasm-simd',
  protocol: 'holdout',
  reference: 'svd',
  rankingReference: 'popularity',
  k: 10,
  seed: 42,
  results: [row('svd', 0.92, 0.01), row('u-autorec', 0.83, 0.02)],
  comparisons: [],
  seconds: 3,
};

const song = (id: string, score: number) => ({ id, score, artist: `Artist ${id}`, title: `Title ${id}` });

function runState(label: string, status: ModelRunState['status'], epoch: number): ModelRunState {
  return {
    label,
    status,
    fold: 0,
    folds: 1,
    loss: [1.2, 1.0, 0.9].slice(0, epoch),
    validationRmse: [1.1, 0.98, 0.95].slice(0, epoch),
    progress: {
      model: 'svd',
      phase: 'batch',
      epoch,
      epochs: 20,
      batch: 3,
      batches: 12,
      loss: 0.9123,
      elapsedSeconds: 2,
      etaSeconds: 42,
    },
  };
}

describe('KeyHelp', () => {
  it('lists every key with what it does', () => {
    const { lastFrame } = mount(
      <KeyHelp
        keys={[
          ['q', 'quit'],
          ['Enter', 'choose'],
        ]}
      />,
    );
    expect(lastFrame()).toContain('q');
    expect(lastFrame()).toContain('quit');
    expect(lastFrame()).toContain('choose');
  });
});

describe('DatasetScreen', () => {
  it('lists the sources, marks the current one and reports arrow keys and Enter', async () => {
    const onMove = vi.fn();
    const onChoose = vi.fn();
    const { lastFrame, stdin } = mount(
      <DatasetScreen
        options={DATASET_OPTIONS}
        index={1}
        path=""
        format="taste-profile"
        editing={false}
        onMove={onMove}
        onChoose={onChoose}
        onPath={vi.fn()}
        onFormat={vi.fn()}
        onCancel={vi.fn()}
      />,
    );
    expect(lastFrame()).toContain('Embedded default');
    expect(lastFrame()).toMatch(/❯ Tiny synthetic/);
    stdin.write(KEYS.down);
    await vi.waitFor(() => expect(onMove).toHaveBeenCalledWith(1));
    stdin.write(KEYS.enter);
    await vi.waitFor(() => expect(onChoose).toHaveBeenCalledTimes(1));
  });

  it('asks for a path and a format for a file, passing typed text on', async () => {
    const onPath = vi.fn();
    const onFormat = vi.fn();
    const { lastFrame, stdin } = mount(
      <DatasetScreen
        options={DATASET_OPTIONS}
        index={3}
        path="plays.ts"
        format="csv"
        editing
        onMove={vi.fn()}
        onChoose={vi.fn()}
        onPath={onPath}
        onFormat={onFormat}
        onCancel={vi.fn()}
      />,
    );
    expect(lastFrame()).toMatch(/file: +plays.ts/);
    expect(lastFrame()).toMatch(/format: +csv/);
    stdin.write('v');
    await vi.waitFor(() => expect(onPath).toHaveBeenCalledWith('plays.tsv'));
    stdin.write(KEYS.tab);
    await vi.waitFor(() => expect(onFormat).toHaveBeenCalledWith(1));
  });
});

describe('ModelsScreen', () => {
  it('shows checked models and parameter values, and forwards space, arrows and Enter', async () => {
    const onToggle = vi.fn();
    const onStep = vi.fn();
    const onStart = vi.fn();
    const { lastFrame, stdin } = mount(
      <ModelsScreen
        dataset="synthetic 'tiny'"
        models={['u-autorec', 'svd']}
        selected={{ 'u-autorec': true, svd: false }}
        params={{ epochs: 5, hidden: 100, factors: 50, lr: undefined }}
        paramLabels={Object.fromEntries(Object.entries(PARAM_STEPS).map(([k, v]) => [k, v.label])) as never}
        cursor={2}
        onMove={vi.fn()}
        onToggle={onToggle}
        onStep={onStep}
        onStart={onStart}
        onBack={vi.fn()}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('[x] u-autorec');
    expect(frame).toContain('[ ] svd');
    expect(frame).toMatch(/❯ epochs.*◀ 5 ▶/);
    expect(frame).toMatch(/learning rate.*◀ model default ▶/);
    stdin.write(' ');
    await vi.waitFor(() => expect(onToggle).toHaveBeenCalled());
    stdin.write(KEYS.right);
    await vi.waitFor(() => expect(onStep).toHaveBeenCalledWith(1));
    stdin.write(KEYS.enter);
    await vi.waitFor(() => expect(onStart).toHaveBeenCalled());
  });
});

describe('ModelProgress', () => {
  it('shows epoch, batch, loss, validation RMSE and ETA while training', () => {
    const { lastFrame } = mount(<ModelProgress model={runState('u-autorec', 'training', 2)} />);
    const frame = lastFrame()!;
    expect(frame).toContain('u-autorec');
    expect(frame).toContain('epoch 3/20');
    expect(frame).toContain('batch 3/12');
    expect(frame).toContain('loss 0.9123');
    expect(frame).toContain('val RMSE 0.9800');
    expect(frame).toContain('ETA 42s');
    expect(frame).toMatch(/█+░+/);
  });

  it('says waiting before the model starts', () => {
    const { lastFrame } = mount(
      <ModelProgress model={{ ...runState('svd', 'waiting', 0), progress: undefined }} />,
    );
    expect(lastFrame()).toContain('waiting');
  });
});

describe('CurveChart', () => {
  it('draws every series with a legend once there is data', () => {
    const { lastFrame } = mount(
      <CurveChart
        title="Validation RMSE"
        width={80}
        series={[
          { label: 'svd', values: [1.1, 1.0, 0.95] },
          { label: 'u-autorec', values: [1.0, 0.9] },
        ]}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('Validation RMSE');
    expect(frame).toContain('1.100');
    expect(frame).toContain('── svd');
    expect(frame).toContain('── u-autorec');
  });

  it('says when nothing is there yet', () => {
    const { lastFrame } = mount(
      <CurveChart title="Loss" width={80} series={[{ label: 'svd', values: [] }]} />,
    );
    expect(lastFrame()).toContain('appears after the first epoch');
  });
});

describe('TrainingScreen', () => {
  it('shows finished models once, the live ones with bars, the stage, backend and charts', () => {
    const { frames, lastFrame } = mount(
      <TrainingScreen
        training={{
          stage: 'training u-autorec',
          startedAt: 0,
          stopping: false,
          models: [
            runState('svd', 'done', 3),
            runState('u-autorec', 'training', 2),
            { ...runState('baseline', 'waiting', 0), progress: undefined },
          ],
        }}
        dataset="synthetic 'tiny'"
        backend="wasm"
        now={65_000}
        width={98}
        height={40}
        onBack={vi.fn()}
      />,
    );
    const all = frames.join('\n');
    expect(all).toContain('svd');
    expect(all).toContain('done in');
    const frame = lastFrame()!;
    expect(frame).toContain('3 · Training');
    expect(frame).toContain('backend wasm');
    expect(frame).toContain('1m 05s elapsed');
    expect(frame).toContain('baseline');
    expect(frame).toContain('waiting');
    expect(frame).toContain('Validation RMSE per epoch');
    expect(frame).toContain('Training loss of u-autorec');
    expect(frame).toContain('stop at the next batch');
  });
});

describe('ResultsTable and ResultsScreen', () => {
  it('marks the best value of each column', () => {
    const { lastFrame } = mount(<ResultsTable rows={RESULT.results} k={10} />);
    const lines = lastFrame()!.split('\n');
    const autorec = lines.find((l) => l.startsWith('U-AutoRec'))!;
    const svd = lines.find((l) => l.startsWith('SVD'))!;
    expect(autorec).toContain('0.8300*');
    expect(svd).not.toContain('0.9200*');
    expect(autorec).toContain('0.0200*');
  });

  it('states the verdict and offers browsing and saving', async () => {
    const onBrowse = vi.fn();
    const onSave = vi.fn();
    const { lastFrame, stdin } = mount(<ResultsScreen result={RESULT} onBrowse={onBrowse} onSave={onSave} />);
    expect(lastFrame()).toContain('U-AutoRec beat SVD on test RMSE');
    expect(lastFrame()).toContain('4 · Results');
    stdin.write('s');
    await vi.waitFor(() => expect(onSave).toHaveBeenCalled());
    stdin.write(KEYS.enter);
    await vi.waitFor(() => expect(onBrowse).toHaveBeenCalled());
  });
});

describe('BrowseScreen and SimilarScreen', () => {
  it('shows the most-played songs beside the recommendations as artist — title', async () => {
    const onUser = vi.fn();
    const onModel = vi.fn();
    const onOpen = vi.fn();
    const { lastFrame, stdin } = mount(
      <BrowseScreen
        browse={{
          users: ['u1', 'u2'],
          userIndex: 0,
          modelIndex: 0,
          history: [{ ...song('A', 12), plays: 12 }],
          recommendations: [song('B', 4.2), song('C', 4.1)],
          selected: 1,
        }}
        modelLabel="u-autorec"
        models={2}
        width={120}
        height={30}
        onUser={onUser}
        onModel={onModel}
        onMove={vi.fn()}
        onOpen={onOpen}
        onBack={vi.fn()}
      />,
    );
    const frame = lastFrame()!;
    expect(frame).toContain('user u1');
    expect(frame).toContain('Artist A — Title A');
    expect(frame).toContain('12 plays');
    expect(frame).toContain('Artist C — Title C');
    expect(frame).toContain('4.10');
    stdin.write(KEYS.right);
    await vi.waitFor(() => expect(onUser).toHaveBeenCalledWith(1));
    stdin.write(KEYS.tab);
    await vi.waitFor(() => expect(onModel).toHaveBeenCalled());
    stdin.write(KEYS.enter);
    await vi.waitFor(() => expect(onOpen).toHaveBeenCalled());
  });

  it('lists similar songs and goes back on Esc', async () => {
    const onBack = vi.fn();
    const { lastFrame, stdin } = mount(
      <SimilarScreen
        similar={{ song: song('A', 1), items: [song('D', 0.91)], selected: 0, trail: [] }}
        modelLabel="svd"
        width={100}
        height={30}
        onMove={vi.fn()}
        onOpen={vi.fn()}
        onBack={onBack}
      />,
    );
    expect(lastFrame()).toContain('to Artist A — Title A');
    expect(lastFrame()).toContain('Artist D — Title D');
    expect(lastFrame()).toContain('0.910');
    stdin.write(KEYS.esc);
    await vi.waitFor(() => expect(onBack).toHaveBeenCalled());
  });
});
