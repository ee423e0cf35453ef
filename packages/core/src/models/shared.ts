import { type CsrMatrix, decodeBundle, encodeBundle, nnz, type StoredArray, transpose } from '@autorec/data';
import { ModelFormatError, OptionError, TrainingDivergedError } from '../errors.ts';
import { eventLoopTurns } from '../event-loop.ts';
import type {
  EpochRecord,
  FitOptions,
  FitResult,
  HyperParameterInfo,
  ModelName,
  ModelStore,
  TrainingProgress,
} from '../types.ts';

/** A hyper-parameter value as it travels through the CLI, forms and manifest.json. */
export type ParamValue = number | string | boolean;

/** How one option is checked: its kind, default and allowed range. */
export interface ParamSpec {
  /** `sizes`: positive integers written "512,512,1024" (a lone number is one size); '' for none. */
  kind: 'int' | 'number' | 'boolean' | 'enum' | 'sizes';
  default: ParamValue;
  description: string;
  /** Inclusive lower bound (int/number). */
  min?: number;
  /** Exclusive lower bound (number), for values that must be strictly positive. */
  above?: number;
  /** Exclusive upper bound (number), e.g. a share that must stay below 1. */
  below?: number;
  values?: readonly string[];
}

/** The value one option of a parameter table takes: an enum's is the union of its `values`. */
export type ParamValueOf<P extends ParamSpec> = P['kind'] extends 'boolean'
  ? boolean
  : P['kind'] extends 'enum'
    ? P['values'] extends readonly (infer V)[]
      ? V
      : string
    : P['kind'] extends 'sizes'
      ? string
      : number;

/**
 * The options a parameter table describes, every one set — the table is the type's one home.
 *
 * @example
 * type SvdParams = ParamsOf<typeof SVD_PARAMS>; // { factors: number; … }
 */
export type ParamsOf<S extends Record<string, ParamSpec>> = { -readonly [K in keyof S]: ParamValueOf<S[K]> };

/**
 * Checks user-supplied options against a spec and fills defaults, so a typo in a CLI flag or a
 * form field fails loudly ("svd: unknown option 'factor'; valid: factors, epochs, …") instead
 * of silently training with the default.
 *
 * @example
 * readParams('svd', { factors: 50 }, { factors: { kind: 'int', default: 100, min: 1, description: '' } });
 * // { factors: 50 }
 */
export function readParams<S extends Record<string, ParamSpec>>(
  model: ModelName,
  given: object | undefined,
  spec: S,
): ParamsOf<S> {
  const out: Record<string, ParamValue> = {};
  const entries = Object.entries(given ?? {}).filter(([, v]) => v !== undefined);
  for (const [key] of entries)
    if (!(key in spec))
      throw new OptionError(
        `${model}: unknown option '${key}'; valid options: ${Object.keys(spec).join(', ')}`,
        {
          model,
          option: key,
        },
      );
  const values = new Map<string, unknown>(entries);
  for (const [key, s] of Object.entries(spec)) {
    const v = values.has(key) ? values.get(key) : s.default;
    out[key] = checkParam(model, key, v, s);
  }
  return out as never;
}

function checkParam(model: ModelName, key: string, v: unknown, s: ParamSpec): ParamValue {
  const bad = (what: string) =>
    new OptionError(`${model}: option '${key}' ${what}, got ${JSON.stringify(v)}`, { model, option: key });
  switch (s.kind) {
    case 'boolean':
      if (typeof v !== 'boolean') throw bad('must be true or false');
      return v;
    case 'enum':
      if (typeof v !== 'string' || !s.values?.includes(v))
        throw bad(`must be one of ${s.values?.join(', ')}`);
      return v;
    case 'sizes': {
      const text = typeof v === 'number' ? String(v) : v;
      if (typeof text !== 'string') throw bad('must be sizes such as "512,512,1024"');
      const parts = text.trim() === '' ? [] : text.split(',').map((t) => t.trim());
      if (parts.some((t) => !/^[1-9][0-9]*$/.test(t)))
        throw bad('must be positive integers separated by commas, such as "512,512,1024"');
      return parts.join(',');
    }
    default: {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad('must be a finite number');
      if (s.kind === 'int' && !Number.isInteger(v)) throw bad('must be an integer');
      if (s.min !== undefined && v < s.min) throw bad(`must be ≥ ${s.min}`);
      if (s.above !== undefined && !(v > s.above)) throw bad(`must be > ${s.above}`);
      if (s.below !== undefined && !(v < s.below)) throw bad(`must be < ${s.below}`);
      return v;
    }
  }
}

/**
 * A model's `describe()`: each option of its parameter table with the value it has and its
 * meaning, in the table's order.
 *
 * @example
 * describe() { return describeOptions(SvdModel.params, this.options); }
 */
export function describeOptions(
  spec: Readonly<Record<string, ParamSpec>>,
  values: Readonly<Record<string, ParamValue>>,
): HyperParameterInfo[] {
  return Object.entries(spec).map(([name, s]) => ({ name, value: values[name], description: s.description }));
}

/** The error for a saved model file that is not what its model wrote, naming the file. */
export function corruptFile(file: string, what: string): ModelFormatError {
  return new ModelFormatError(`${file}: ${what}; the model directory is corrupt`, { file });
}

type StateArrayType = Float32ArrayConstructor | Float64ArrayConstructor | Uint32ArrayConstructor;

/** A model's saved state as `loadState` reads it: the bundle's arrays and meta, and its checks. */
export interface SavedState {
  arrays: Record<string, StoredArray>;
  meta: unknown;
  /** A ModelFormatError naming the file: `what` says what is wrong. */
  corrupt(what: string): ModelFormatError;
  /** Array `name`, which must be a `type` of `length` values (else the `corrupt` error). */
  array<C extends StateArrayType>(name: string, type: C, length: number): InstanceType<C>;
}

/**
 * Writes a model's state as one binary bundle (`encodeBundle`: typed arrays, JSON meta, checksum)
 * — the file `saveState` of the typed-array models writes and {@link readState} reads back.
 */
export async function writeState(
  store: ModelStore,
  file: string,
  kind: string,
  arrays: Record<string, StoredArray>,
  meta: unknown,
): Promise<void> {
  await store.write(file, encodeBundle(kind, 1, arrays, meta));
}

/**
 * Reads a state bundle written by {@link writeState} (kind and checksum checked by
 * `decodeBundle`), with the checks every `loadState` makes of what it holds.
 *
 * @example
 * const state = await readState(store, 'svd.bin', 'svd-state');
 * const pu = state.array('pu', Float32Array, users * k); // or a ModelFormatError naming svd.bin
 */
export async function readState(store: ModelStore, file: string, kind: string): Promise<SavedState> {
  const { arrays, meta } = decodeBundle(await store.read(file), kind, 1, file);
  const corrupt = (what: string) => corruptFile(file, what);
  return {
    arrays,
    meta,
    corrupt,
    array: <C extends StateArrayType>(name: string, type: C, length: number): InstanceType<C> => {
      const a = arrays[name];
      if (!(a instanceof type) || a.length !== length)
        throw corrupt(`array '${name}' should be a ${type.name} of length ${length}`);
      return a as InstanceType<C>;
    },
  };
}

/** Number of training ratings per user (rows) and per item (columns): zero means unknown to the model. */
export function interactionCounts(m: CsrMatrix): { users: Uint32Array; items: Uint32Array } {
  const users = new Uint32Array(m.rows);
  const items = new Uint32Array(m.cols);
  for (let r = 0; r < m.rows; r++) users[r] = m.indptr[r + 1] - m.indptr[r];
  const n = nnz(m);
  for (let p = 0; p < n; p++) items[m.indices[p]]++;
  return { users, items };
}

/** Mean of the stored values; 0 for an empty matrix (nothing to learn from). */
export function globalMean(m: CsrMatrix): number {
  const n = nnz(m);
  let sum = 0;
  for (let p = 0; p < n; p++) sum += m.values[p];
  return n === 0 ? 0 : sum / n;
}

/**
 * Cosine similarity of `item` to every item on the binary "who listened" matrix:
 * sim(i, j) = |U_i ∩ U_j| / √(|U_i|·|U_j|). Models without an item representation of their own
 * (the baselines) answer "similar items" with it. Cost O(Σ_{u ∈ U_i} |I_u|), no dense item × item matrix.
 */
export function coListeningCosine(ratings: CsrMatrix, byItem: CsrMatrix, item: number): Float32Array {
  const out = new Float32Array(ratings.cols);
  for (let p = byItem.indptr[item]; p < byItem.indptr[item + 1]; p++) {
    const u = byItem.indices[p];
    for (let q = ratings.indptr[u]; q < ratings.indptr[u + 1]; q++) out[ratings.indices[q]]++;
  }
  const ni = byItem.indptr[item + 1] - byItem.indptr[item];
  for (let j = 0; j < out.length; j++) {
    if (out[j] === 0) continue;
    out[j] /= Math.sqrt(ni * (byItem.indptr[j + 1] - byItem.indptr[j]));
  }
  return out;
}

/** The item-major copy of the training matrix, built once per matrix on demand. */
const byItemCache = new WeakMap<CsrMatrix, CsrMatrix>();
export function itemMajor(m: CsrMatrix): CsrMatrix {
  let t = byItemCache.get(m);
  if (!t) {
    t = transpose(m);
    byItemCache.set(m, t);
  }
  return t;
}

const LOSS_NAMES = {
  loss: 'loss',
  trainRmse: 'training RMSE',
  validationRmse: 'validation RMSE',
  validationNdcg: 'validation NDCG@10',
} as const;
type EpochValues = { loss: number; trainRmse?: number; validationRmse?: number; validationNdcg?: number };

/**
 * Bookkeeping shared by the typed-array trainers: epoch records, throttled batch events,
 * ETA, abort checks, and yielding to the event loop now and then so that an AbortSignal
 * fired from another task (a UI button, a worker message) is seen mid-epoch.
 */
export class TrainingLoop {
  readonly records: EpochRecord[] = [];
  aborted = false;
  private readonly start = now();
  private epochStart = now();
  private lastEvent = now();
  private readonly turn: () => Promise<void>;

  constructor(
    private readonly model: ModelName,
    readonly epochs: number,
    readonly batches: number,
    private readonly options: FitOptions,
    /** Minimum milliseconds between batch events. */
    private readonly eventEveryMs = 250,
  ) {
    this.turn = eventLoopTurns(options.signal !== undefined || options.onProgress !== undefined);
  }

  get elapsedSeconds(): number {
    return (now() - this.start) / 1000;
  }

  beginEpoch(): void {
    this.epochStart = now();
  }

  /**
   * Call at each batch boundary. Returns false when training must stop (aborted). `epoch` is
   * 1-based, `batch` the number of batches done in this epoch.
   */
  async batch(epoch: number, batch: number, loss: () => number | undefined): Promise<boolean> {
    const t = now();
    if (this.options.onProgress && t - this.lastEvent >= this.eventEveryMs) {
      this.lastEvent = t;
      const done = (epoch - 1) * this.batches + batch;
      this.emit({ phase: 'batch', epoch: epoch - 1, batch, loss: loss() }, done);
    }
    await this.turn();
    if (this.options.signal?.aborted) this.aborted = true;
    return !this.aborted;
  }

  /**
   * Records a finished epoch. Throws `TrainingDivergedError` when its loss (or RMSE) is not
   * finite: every later epoch would be NaN too, so training stops here, in every model.
   */
  endEpoch(epoch: number, values: EpochValues): void {
    for (const key of ['loss', 'trainRmse', 'validationRmse', 'validationNdcg'] as const) {
      const v = values[key];
      if (v !== undefined && !Number.isFinite(v))
        throw new TrainingDivergedError(this.model, epoch, `the ${LOSS_NAMES[key]} is ${v}`);
    }
    const record: EpochRecord = { epoch, ...values, seconds: (now() - this.epochStart) / 1000 };
    this.records.push(record);
    this.lastEvent = now();
    this.emit({ phase: 'epoch', epoch, batch: this.batches, ...values }, epoch * this.batches);
  }

  finish(backend = 'js'): FitResult {
    const last = this.records.at(-1);
    this.emit(
      {
        phase: 'done',
        epoch: last?.epoch ?? 0,
        batch: this.batches,
        loss: last?.loss,
        trainRmse: last?.trainRmse,
        validationRmse: last?.validationRmse,
        validationNdcg: last?.validationNdcg,
      },
      this.epochs * this.batches,
    );
    return {
      epochs: this.records,
      bestEpoch: last?.epoch ?? 0,
      seconds: this.elapsedSeconds,
      aborted: this.aborted,
      backend,
    };
  }

  private emit(
    event: Pick<
      TrainingProgress,
      'phase' | 'epoch' | 'batch' | 'loss' | 'trainRmse' | 'validationRmse' | 'validationNdcg'
    >,
    done: number,
  ): void {
    const onProgress = this.options.onProgress;
    if (!onProgress) return;
    const elapsedSeconds = this.elapsedSeconds;
    const total = this.epochs * this.batches;
    const progress: TrainingProgress = {
      model: this.model,
      epochs: this.epochs,
      batches: this.batches,
      elapsedSeconds,
      ...event,
    };
    if (done > 0 && total > 0) progress.etaSeconds = Math.max(0, (elapsedSeconds * (total - done)) / done);
    for (const key of ['loss', 'trainRmse', 'validationRmse', 'validationNdcg'] as const)
      if (progress[key] === undefined) delete progress[key];
    onProgress(progress);
  }
}

function now(): number {
  return globalThis.performance.now();
}
