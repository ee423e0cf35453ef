import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import {
  autoRecDefaults,
  backendInfo,
  knownPlaysOf,
  MODEL_NAMES,
  type ModelName,
  modelEntry,
  type Recommender,
  recommendExcludingKnown,
  type TrainingProgress,
} from '@autorec/core';
import { type FormatName, rowIndices, rowNnz, rowValues, type SyntheticPreset } from '@autorec/data';
import { describeError } from '../errors.ts';
import {
  type ExperimentConfig,
  type ExperimentEvent,
  type ExperimentResult,
  type ExperimentRun,
  runExperiment,
} from '../experiment.ts';
import { type DisplayItem, withInfo } from '../models.ts';
import { DEFAULT_SEED, INPUT_FORMATS, modelParams, PAPER_MODELS, parseSplit } from '../options.ts';
import { openReportFolder } from '../report/folder.ts';
import { writeReport } from '../report/write.ts';
import { type DataSource, metadataFormat, PREPARED_FILE } from '../sources.ts';

export type Screen = 'dataset' | 'models' | 'training' | 'results' | 'browse' | 'similar';

/** A dataset choice on the first screen. */
export type DatasetOption =
  | { kind: 'preset'; preset: SyntheticPreset; label: string }
  | { kind: 'cache'; label: string }
  | { kind: 'file'; label: string };

export const DATASET_OPTIONS: readonly DatasetOption[] = [
  {
    kind: 'preset',
    preset: 'default',
    label: 'Embedded default (synthetic, 3,000 users × 2,000 songs, built in memory)',
  },
  { kind: 'preset', preset: 'tiny', label: 'Tiny synthetic (200 users, seconds to train)' },
  { kind: 'cache', label: 'A prepared cache folder (from `autorec prepare`)' },
  { kind: 'file', label: 'A play-count file' },
];

/** The result of looking at a typed path: whether it can be used, and what was found. */
export interface PathCheck {
  path: string;
  ok: boolean;
  text: string;
}

/** The hyper-parameters the models screen edits, with steps for ←/→. */
export interface KeyParams {
  epochs: number | undefined;
  hidden: number;
  factors: number;
  lr: number | undefined;
}

export const PARAM_STEPS: Record<
  keyof KeyParams,
  { label: string; values: readonly (number | undefined)[] }
> = {
  epochs: {
    label: 'epochs (iterative models)',
    values: [undefined, 1, 2, 3, 5, 10, 20, 40, 60, 100],
  },
  hidden: { label: 'AutoRec hidden units', values: [10, 25, 50, 100, 200, 300, 500, 1000] },
  factors: { label: 'SVD factors', values: [5, 10, 20, 50, 100, 200] },
  lr: {
    label: 'learning rate (iterative models)',
    values: [undefined, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02],
  },
};

/** Live state of one model in the run. */
export interface ModelRunState {
  label: string;
  /** `stopped`: the run was interrupted (q, Ctrl-C) while this model trained. */
  status: 'waiting' | 'training' | 'evaluating' | 'done' | 'stopped';
  progress?: TrainingProgress;
  /** Per epoch: loss and validation RMSE, for the chart. */
  loss: number[];
  validationRmse: number[];
  fold: number;
  folds: number;
}

export interface TrainingState {
  stage: string;
  models: ModelRunState[];
  startedAt: number;
  stopping: boolean;
  error?: string;
}

export interface BrowseState {
  users: string[];
  userIndex: number;
  modelIndex: number;
  history: (DisplayItem & { plays: number })[];
  recommendations: DisplayItem[];
  selected: number;
}

export interface SimilarState {
  song: DisplayItem;
  items: DisplayItem[];
  selected: number;
  /** Songs opened before this one, for Esc. */
  trail: DisplayItem[];
}

export interface AppState {
  screen: Screen;
  datasetIndex: number;
  /** Path typed for a cache or file source; `editing` while the text fields have focus. */
  path: string;
  format: FormatName;
  editing: boolean;
  /** Optional artist/title file for a play-count file (Last.fm artists.dat, MSD unique_tracks.txt). */
  metadataPath: string;
  /** Which text field has the cursor. */
  field: 'path' | 'metadata';
  /** What a look at each typed path found, kept for the path it was made for. */
  pathCheck?: PathCheck;
  metadataCheck?: PathCheck;
  models: Record<ModelName, boolean>;
  params: KeyParams;
  paramIndex: number;
  training?: TrainingState;
  result?: ExperimentResult;
  browse?: BrowseState;
  similar?: SimilarState;
  message?: string;
  /** Set when the app should close, with the exit code. */
  exit?: number;
}

/** File formats offered by the app (csv needs a column mapping: use `autorec prepare` for it). */
const TUI_FORMATS: readonly FormatName[] = INPUT_FORMATS.filter((f) => f !== 'csv');

/** How many users the browser offers (the most active first). */
const BROWSE_USERS = 200;
const TOP_N = 10;
/** The split every run of the app uses (`autorec compare` offers the others). */
const TUI_SPLIT = 'holdout:0.1';
/** Rows the browse and similar lists hold; a tall terminal shows them all, a short one scrolls. */
const LIST_LENGTH = 20;

type Listener = () => void;

/**
 * Owns everything the interactive app does — the dataset and model choices, the training run
 * (through `runExperiment`, the same path as `autorec compare`), the results and browsing —
 * as one immutable state snapshot. Components only render a snapshot and call these actions,
 * as Ink's examples keep state apart from display.
 *
 * @example
 * const app = new AppController();
 * app.subscribe(() => render(app.getSnapshot()));
 * app.chooseDataset(); app.start();
 */
export class AppController {
  private state: AppState;
  private readonly listeners = new Set<Listener>();
  private abort?: AbortController;
  private run?: ExperimentRun;
  private running?: Promise<void>;
  private quitCode = 0;

  constructor(
    initial: Partial<AppState> = {},
    private readonly options: { reportsDir?: string; maxUsers?: number } = {},
  ) {
    const models = Object.fromEntries(MODEL_NAMES.map((m) => [m, PAPER_MODELS.includes(m)])) as Record<
      ModelName,
      boolean
    >;
    this.state = {
      screen: 'dataset',
      datasetIndex: 0,
      path: '',
      format: 'taste-profile',
      editing: false,
      metadataPath: '',
      field: 'path',
      models,
      // Start from the models' own defaults so the screen never disagrees with core.
      params: {
        epochs: undefined,
        hidden: autoRecDefaults().hiddenUnits,
        factors: Number(modelEntry('svd').params.factors.default),
        lr: undefined,
      },
      paramIndex: 0,
      ...initial,
    };
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): AppState => this.state;

  private set(patch: Partial<AppState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }

  // ---- dataset screen ----

  moveDataset(delta: number): void {
    const n = DATASET_OPTIONS.length;
    this.set({ datasetIndex: (this.state.datasetIndex + delta + n) % n, message: undefined });
  }

  /**
   * Enter on the dataset screen: presets go straight on; cache and file first ask for a path,
   * which must be there (and the metadata file, when one is typed) before the models screen.
   */
  async chooseDataset(): Promise<void> {
    const option = DATASET_OPTIONS[this.state.datasetIndex];
    if (option.kind === 'preset') {
      this.set({ screen: 'models', message: undefined });
      return;
    }
    if (!this.state.editing) {
      this.set({ editing: true, field: 'path', message: undefined });
      return;
    }
    if (this.state.path.trim() === '') {
      this.set({ message: 'type a path first' });
      return;
    }
    const [data, metadata] = await Promise.all([this.checkField('path'), this.checkField('metadata')]);
    const bad = [data, metadata].find((c) => c && !c.ok);
    if (bad) this.set({ message: `${bad.path}: ${bad.text}` });
    else this.set({ editing: false, screen: 'models', message: undefined });
  }

  setPath(path: string): void {
    this.set({ path, message: undefined });
    void this.checkField('path');
  }

  setMetadataPath(path: string): void {
    this.set({ metadataPath: path, message: undefined });
    void this.checkField('metadata');
  }

  /** ↑/↓ while typing a play-count file: between the file and its metadata. */
  moveField(): void {
    if (DATASET_OPTIONS[this.state.datasetIndex].kind !== 'file') return;
    this.set({ field: this.state.field === 'path' ? 'metadata' : 'path' });
  }

  /**
   * Looks at the typed path of a field (as it is typed: a stale answer for an older path is
   * dropped) and keeps what it found; undefined for an empty optional field.
   */
  private async checkField(field: 'path' | 'metadata'): Promise<PathCheck | undefined> {
    const typed = (field === 'path' ? this.state.path : this.state.metadataPath).trim();
    if (typed === '') {
      this.set(field === 'path' ? { pathCheck: undefined } : { metadataCheck: undefined });
      return undefined;
    }
    const kind = DATASET_OPTIONS[this.state.datasetIndex].kind;
    const check = await checkPath(
      typed,
      field === 'metadata' ? 'metadata' : kind === 'cache' ? 'cache' : 'file',
      this.state.format,
    );
    const current = (field === 'path' ? this.state.path : this.state.metadataPath).trim();
    if (current === typed) this.set(field === 'path' ? { pathCheck: check } : { metadataCheck: check });
    return check;
  }

  cycleFormat(delta: number): void {
    const i = TUI_FORMATS.indexOf(this.state.format);
    const n = TUI_FORMATS.length;
    this.set({ format: TUI_FORMATS[(i + delta + n) % n] });
    void this.checkField('metadata');
  }

  cancelEditing(): void {
    this.set({ editing: false, message: undefined });
  }

  /** The data source the choices describe. */
  source(): DataSource {
    const option = DATASET_OPTIONS[this.state.datasetIndex];
    if (option.kind === 'preset') return { kind: 'preset', preset: option.preset };
    if (option.kind === 'cache') return { kind: 'cache', path: expandHome(this.state.path.trim()) };
    const source: DataSource = {
      kind: 'file',
      input: expandHome(this.state.path.trim()),
      format: this.state.format,
    };
    const metadata = this.state.metadataPath.trim();
    // A format without a metadata reader leaves it out here; the dataset screen refuses to go on with it.
    if (metadata !== '' && hasMetadataFormat(this.state.format))
      source.metadata = { path: expandHome(metadata), format: metadataFormat(this.state.format) };
    return source;
  }

  // ---- models screen ----

  /** Rows of the models screen: every model, then every key parameter. */
  get modelRows(): number {
    return MODEL_NAMES.length + Object.keys(PARAM_STEPS).length;
  }

  moveModelCursor(delta: number): void {
    const n = this.modelRows;
    this.set({ paramIndex: (this.state.paramIndex + delta + n) % n });
  }

  /** Space: toggle the model under the cursor. */
  toggle(): void {
    const i = this.state.paramIndex;
    if (i >= MODEL_NAMES.length) return;
    const name = MODEL_NAMES[i];
    this.set({ models: { ...this.state.models, [name]: !this.state.models[name] }, message: undefined });
  }

  /** ←/→: step the parameter under the cursor. */
  step(delta: number): void {
    const i = this.state.paramIndex - MODEL_NAMES.length;
    if (i < 0) {
      this.toggle();
      return;
    }
    const key = Object.keys(PARAM_STEPS)[i] as keyof KeyParams;
    const values = PARAM_STEPS[key].values;
    const at = Math.max(0, values.indexOf(this.state.params[key] as never));
    const next = values[Math.max(0, Math.min(values.length - 1, at + delta))];
    this.set({ params: { ...this.state.params, [key]: next } });
  }

  back(): void {
    const s = this.state;
    if (s.screen === 'models') this.set({ screen: 'dataset', message: undefined });
    else if (s.screen === 'training' && !this.running) this.set({ screen: 'models', training: undefined });
    else if (s.screen === 'browse') this.set({ screen: 'results' });
    else if (s.screen === 'similar') {
      const trail = s.similar?.trail ?? [];
      if (trail.length === 0) this.set({ screen: 'browse', similar: undefined });
      else this.openSimilar(trail[trail.length - 1], trail.slice(0, -1));
    }
  }

  selectedModels(): ModelName[] {
    return MODEL_NAMES.filter((m) => this.state.models[m]);
  }

  /** The experiment the choices describe (validated: a bad combination throws a UsageError). */
  config(): ExperimentConfig {
    const models = this.selectedModels();
    const p = this.state.params;
    return {
      source: this.source(),
      split: parseSplit(TUI_SPLIT),
      seed: DEFAULT_SEED,
      models,
      params: modelParams(models, {
        epochs: p.epochs,
        lr: p.lr,
        hidden: models.some((m) => m.endsWith('autorec')) ? p.hidden : undefined,
        factors: models.includes('svd') ? p.factors : undefined,
      }),
      k: TOP_N,
      maxUsers: this.options.maxUsers,
    };
  }

  // ---- training ----

  /** Enter on the models screen: starts the run. Resolves when it ends (done, failed or stopped). */
  start(): Promise<void> {
    if (this.running) return this.running;
    let config: ExperimentConfig;
    try {
      if (this.selectedModels().length === 0) throw new Error('select at least one model (space)');
      config = this.config();
    } catch (e) {
      const report = describeError(e);
      this.set({ message: report.expected ? report.message : (e as Error).message });
      return Promise.resolve();
    }
    this.abort = new AbortController();
    const models: ModelRunState[] = config.models.map((label) => ({
      label,
      status: 'waiting',
      loss: [],
      validationRmse: [],
      fold: 0,
      folds: 1,
    }));
    this.set({
      screen: 'training',
      message: undefined,
      training: { stage: 'starting', models, startedAt: Date.now(), stopping: false },
    });
    this.running = runExperiment(config, { signal: this.abort.signal, onEvent: (e) => this.onEvent(e) })
      .then((run) => {
        this.run = run;
        this.set({
          result: run.result,
          screen: 'results',
          training: { ...this.state.training!, stage: 'done' },
        });
      })
      .catch((error) => {
        const stopped = this.abort?.signal.aborted;
        const t = this.state.training!;
        this.set({
          training: {
            ...t,
            models: stopped
              ? t.models.map((m) =>
                  m.status === 'training' || m.status === 'evaluating' ? { ...m, status: 'stopped' } : m,
                )
              : t.models,
            stage: stopped ? 'stopped' : 'failed',
            error: stopped ? undefined : describeError(error).message,
          },
          exit: stopped && this.state.training?.stopping ? this.quitCode : this.state.exit,
        });
      })
      .finally(() => {
        this.running = undefined;
      });
    return this.running;
  }

  private onEvent(e: ExperimentEvent): void {
    const t = this.state.training;
    if (!t) return;
    if (e.type === 'stage') {
      this.set({ training: { ...t, stage: e.message } });
      return;
    }
    const models = t.models.map((m) => {
      if (m.label !== e.model) return m;
      const next: ModelRunState = { ...m, fold: e.fold, folds: e.folds };
      if (e.stage === 'evaluate') next.status = 'evaluating';
      else if (e.stage === 'done') next.status = 'done';
      else if (e.training) {
        next.status = 'training';
        next.progress = e.training;
        if (e.training.phase === 'epoch') {
          next.loss = [...m.loss, e.training.loss ?? Number.NaN];
          next.validationRmse = [...m.validationRmse, e.training.validationRmse ?? Number.NaN];
        }
      }
      return next;
    });
    const stage = {
      fit: `training ${e.model}`,
      evaluate: `evaluating ${e.model} on the test split`,
      done: `${e.model} done`,
    }[e.stage];
    this.set({ training: { ...t, stage, models } });
  }

  /**
   * q (code 0) / Ctrl-C (code 130): stops training at the next batch boundary, then closes;
   * closes at once otherwise.
   */
  quit(code = 0): void {
    if (this.running && this.abort) {
      if (this.state.training?.stopping) return;
      this.quitCode = code;
      this.set({
        training: { ...this.state.training!, stopping: true, stage: 'stopping at the next batch boundary…' },
      });
      this.abort.abort(new Error('stopped by the user'));
      return;
    }
    this.dispose();
    this.set({ exit: this.state.exit ?? (this.state.training?.error ? 1 : code) });
  }

  /** Frees the trained models. */
  dispose(): void {
    for (const m of this.run?.trained ?? []) m.dispose();
  }

  // ---- results and browsing ----

  /** Writes the report folder of the finished run (reports/tui-<time>). */
  async saveReport(): Promise<void> {
    if (!this.run) return;
    const dir = `${this.options.reportsDir ?? 'reports'}/tui-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    try {
      const folder = await openReportFolder(dir);
      await writeReport(folder, this.run, {
        command: this.compareCommand(dir),
        startedAt: new Date(this.state.training?.startedAt ?? Date.now()),
        runtime: `Node ${process.versions.node}`,
      });
      await folder.commit();
      this.set({ message: `report written to ${dir}` });
    } catch (e) {
      this.set({ message: `could not write the report: ${describeError(e).message}` });
    }
  }

  /**
   * The `autorec compare` command line that runs the experiment on screen (same data, models,
   * split, seed and hyper-parameters, so the same numbers), writing its report to `out`.
   */
  compareCommand(out: string): string {
    const models = this.selectedModels();
    const p = this.state.params;
    const source = this.source();
    const args = ['autorec', 'compare'];
    if (source.kind === 'preset') args.push('--preset', source.preset);
    else if (source.kind === 'cache') args.push('--data', source.path);
    else if (source.kind === 'file') {
      args.push('--input', source.input, '--format', source.format);
      if (source.metadata)
        args.push('--metadata', source.metadata.path, '--metadata-format', source.metadata.format);
    }
    args.push('--models', models.join(','), '--split', TUI_SPLIT, '--seed', String(DEFAULT_SEED));
    // The same flags config() passes on, so modelParams applies them to the same models.
    if (p.epochs !== undefined) args.push('--epochs', String(p.epochs));
    if (p.lr !== undefined) args.push('--lr', String(p.lr));
    if (models.some((m) => m.endsWith('autorec'))) args.push('--hidden', String(p.hidden));
    if (models.includes('svd')) args.push('--factors', String(p.factors));
    args.push('-k', String(TOP_N));
    if (this.options.maxUsers !== undefined) args.push('--max-users', String(this.options.maxUsers));
    args.push('--out', out);
    return args.map(shellQuote).join(' ');
  }

  openBrowse(): void {
    const run = this.run;
    if (!run || run.trained.length === 0) return;
    const train = run.prepared.ratings.train;
    const order = Array.from({ length: train.rows }, (_, u) => u).sort(
      (a, b) => rowNnz(train, b) - rowNnz(train, a),
    );
    const users = order.slice(0, BROWSE_USERS).map((u) => run.prepared.dataset.users.external(u));
    this.set({ screen: 'browse', browse: this.browseAt(users, 0, this.state.browse?.modelIndex ?? 0) });
  }

  private browseAt(users: string[], userIndex: number, modelIndex: number): BrowseState {
    const run = this.run!;
    const model = run.trained[modelIndex];
    const user = users[userIndex];
    return {
      users,
      userIndex,
      modelIndex,
      history: mostPlayed(run, model, user),
      // Known plays beyond training (validation, test) are never recommended.
      recommendations: withInfo(
        model,
        recommendExcludingKnown(model, [user], LIST_LENGTH, knownPlaysOf(run.prepared))[0],
      ),
      selected: 0,
    };
  }

  moveUser(delta: number): void {
    const b = this.state.browse;
    if (!b) return;
    const n = b.users.length;
    this.set({ browse: this.browseAt(b.users, (b.userIndex + delta + n) % n, b.modelIndex) });
  }

  nextModel(): void {
    const b = this.state.browse;
    if (!b || !this.run) return;
    this.set({ browse: this.browseAt(b.users, b.userIndex, (b.modelIndex + 1) % this.run.trained.length) });
  }

  moveSelection(delta: number): void {
    const s = this.state;
    if (s.screen === 'browse' && s.browse) {
      const n = s.browse.recommendations.length;
      if (n > 0) this.set({ browse: { ...s.browse, selected: (s.browse.selected + delta + n) % n } });
    } else if (s.screen === 'similar' && s.similar) {
      const n = s.similar.items.length;
      if (n > 0) this.set({ similar: { ...s.similar, selected: (s.similar.selected + delta + n) % n } });
    }
  }

  /** Enter on a song: its most similar songs by the current model. */
  openSelected(): void {
    const s = this.state;
    if (s.screen === 'browse' && s.browse) {
      const song = s.browse.recommendations[s.browse.selected];
      if (song) this.openSimilar(song, []);
    } else if (s.screen === 'similar' && s.similar) {
      const song = s.similar.items[s.similar.selected];
      if (song) this.openSimilar(song, [...s.similar.trail, s.similar.song]);
    }
  }

  private openSimilar(song: DisplayItem, trail: DisplayItem[]): void {
    const model = this.currentModel();
    if (!model) return;
    this.set({
      screen: 'similar',
      similar: { song, items: withInfo(model, model.similarItems(song.id, LIST_LENGTH)), selected: 0, trail },
    });
  }

  /** The compute backends: measured after the run, the selection rule before. */
  backend(): string {
    if (this.state.result) return this.state.result.backend;
    const tfjs = backendInfo();
    if (tfjs) return `tfjs ${tfjs.name} for AutoRec, js for the others`;
    const forced = process.env.AUTOREC_BACKEND;
    return forced
      ? `tfjs ${forced} (AUTOREC_BACKEND) for AutoRec, js for the others`
      : 'tfjs auto (node → wasm → cpu) for AutoRec, js for the others';
  }

  currentModel(): Recommender | undefined {
    return this.run?.trained[this.state.browse?.modelIndex ?? 0];
  }

  currentModelLabel(): string | undefined {
    return this.run?.result.comparisons[this.state.browse?.modelIndex ?? 0]?.label;
  }
}

/** A user's most-played songs in the training data, with play counts. */
function mostPlayed(
  run: ExperimentRun,
  model: Recommender,
  user: string,
): (DisplayItem & { plays: number })[] {
  const { prepared } = run;
  const u = prepared.dataset.users.indexOf(user);
  const counts = prepared.split.train;
  const items = rowIndices(counts, u);
  const plays = rowValues(counts, u);
  const order = Array.from(items.keys()).sort((a, b) => plays[b] - plays[a]);
  return order.slice(0, LIST_LENGTH).map((j) => {
    const id = prepared.dataset.items.external(items[j]);
    const info = model.itemInfo(id);
    return { id, score: plays[j], plays: plays[j], artist: info?.artist ?? null, title: info?.title ?? null };
  });
}

/** A word as a POSIX shell reads it back: bare when safe, else in single quotes. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function hasMetadataFormat(format: FormatName): boolean {
  try {
    metadataFormat(format);
    return true;
  } catch {
    return false;
  }
}

/** `~/x` as the shell would read it (the app gets the path as typed, not through a shell). */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
}

/**
 * What is at a typed path, for the dataset screen: a play-count or metadata file must be a
 * readable file, a cache a folder holding `prepared.bin`; metadata also needs a format that
 * goes with the play counts'.
 */
export async function checkPath(
  typed: string,
  kind: 'file' | 'cache' | 'metadata',
  format: FormatName,
): Promise<PathCheck> {
  const path = expandHome(typed);
  const no = (text: string): PathCheck => ({ path: typed, ok: false, text });
  if (kind === 'metadata' && !hasMetadataFormat(format))
    return no(
      `no metadata format goes with ${format} (Last.fm artists.dat, MSD unique_tracks.txt or MovieLens u.item)`,
    );
  const found = await stat(path).catch((e: NodeJS.ErrnoException) => e);
  if (found instanceof Error)
    return no(found.code === 'ENOENT' ? 'not found' : `cannot read it (${found.code ?? found.message})`);
  if (kind === 'cache') {
    if (!found.isDirectory()) return no('not a folder: a prepared cache is a folder from `autorec prepare`');
    const cache = await stat(join(path, PREPARED_FILE)).catch(() => undefined);
    return cache?.isFile()
      ? { path: typed, ok: true, text: `prepared cache, ${megabytes(cache.size)}` }
      : no(`no ${PREPARED_FILE} in this folder: make one with \`autorec prepare\``);
  }
  if (!found.isFile()) return no('not a file');
  const what = kind === 'metadata' ? `${metadataFormat(format)} metadata` : `${format} file`;
  return { path: typed, ok: true, text: `${what}, ${megabytes(found.size)}` };
}

function megabytes(bytes: number): string {
  return bytes < 1e6 ? `${Math.max(1, Math.round(bytes / 1e3))} kB` : `${(bytes / 1e6).toFixed(1)} MB`;
}
