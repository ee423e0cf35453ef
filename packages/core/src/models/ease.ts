import { nnz, type TrainSet } from '@autorec/data';
import { OptionError } from '../errors.ts';
import { checkItemIndex, checkUserIndices } from '../guards.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type { FitOptions, FitResult, ModelStore } from '../types.ts';
import { type ParamSpec, type ParamsOf, type ParamValue, TrainingLoop } from './shared.ts';

const EASE_SPEC = {
  lambda: {
    kind: 'number',
    default: 500,
    above: 0,
    description: 'L2 weight λ added to the Gram matrix diagonal (Steck: 500 on ML-20M, Netflix, MSD)',
  },
  values: {
    kind: 'enum',
    values: ['binary', 'ratings'],
    default: 'binary',
    description: 'X holds 1 per play (binary, as Steck) or the stored ratings',
  },
  memoryBudget: {
    kind: 'number',
    default: 2048,
    above: 0,
    description: 'MB the item × item matrix may take (4 bytes × items²); larger catalogues are refused',
  },
  maxItems: {
    kind: 'int',
    default: 10_000,
    min: 1,
    description:
      'Most items to invert (items³/2 multiply-adds: 10,000 ≈ 8 min here); larger catalogues are refused',
  },
} satisfies Record<string, ParamSpec>;

/** Options read from the parameter table, all set (EaseParams) or as a caller gives them (EaseOptions). */
export type EaseParams = ParamsOf<typeof EASE_SPEC>;
export type EaseOptions = Partial<EaseParams>;

const STATE_FILE = 'ease.bin';
/** Rows of a phase between two progress/abort checks. */
const ROWS_PER_CHECK = 64;

/**
 * Memory and work of EASE for a catalogue of `items` items with training plays: one float32
 * items × items matrix (the Gram matrix, factored and inverted in place, then turned into B),
 * and items³/2 multiply-adds (Cholesky n³/6, triangular inverse n³/6, LᵀL n³/6).
 *
 * @example
 * easeRequirements(17_632); // { bytes: 1.24e9, multiplyAdds: 2.74e12 }
 */
export function easeRequirements(items: number): { bytes: number; multiplyAdds: number } {
  return { bytes: 4 * items * items, multiplyAdds: items ** 3 / 2 };
}

/**
 * EASE — Embarrassingly Shallow Autoencoder (Steck, "Embarrassingly Shallow Autoencoders for
 * Sparse Data", WWW 2019): an item × item weight matrix B with a zero diagonal, learnt in closed
 * form from the training matrix X (users × items, 1 per play or the stored ratings):
 *
 *     min_B ‖X − XB‖²_F + λ‖B‖²_F   subject to diag(B) = 0
 *
 *     P = (XᵀX + λI)⁻¹,   B_ij = −P_ij / P_jj  (i ≠ j),   B_jj = 0
 *
 * Scores of a user (and of a new listener: no fold-in step is needed) are s = x_u B, the
 * weighted sum of the B rows of the items they played. Similar items: row i of B (how much
 * playing i raises j). Items without training plays are left out of B (their rows and
 * columns would be zero) and score 0. Rating predictions come from a BaselineOnly fit
 * (`bias-baseline.ts`): EASE ranks, it does not predict ratings.
 *
 * Cost: the matrix is n × n for the n items with training plays, float32 (4n² bytes: 3 GB
 * for 27K items, 1.24 GB for Last.fm 2K's 17,632 artists), inverted in place — Cholesky
 * factor, triangular inverse, LᵀL, with float64 sums — in n³/2 multiply-adds of plain
 * JavaScript (≈1 G/s: 2 s for MovieLens-100K's 1,682 films, about 30 minutes for 15K artists).
 * So the fit checks both up front and refuses, with the figures and the smallest listener
 * threshold that would fit, a catalogue above `memoryBudget` MB or `maxItems` items.
 *
 * @example
 * const ease = new EaseModel({ lambda: 200 });
 * await ease.fit(trainSet);
 * ease.recommendForPlays([{ item: 'Metallica', count: 700 }], 10);
 */
export class EaseModel extends Recommender {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = EASE_SPEC;
  readonly name = 'ease' as const;

  declare readonly options: Readonly<EaseParams>;
  protected override readonly ratingsFromBaseline = true;
  /** B over the active items, row-major (active × active). */
  private b: Float32Array = new Float32Array(0);
  /** Compact index of each item (−1: no training plays). */
  private compact: Int32Array = new Int32Array(0);
  /** Item index of each compact index. */
  private active: Uint32Array = new Uint32Array(0);

  constructor(options: EaseOptions | Record<string, ParamValue> = {}) {
    super('ease', options);
  }

  protected async fitIndexed(data: TrainSet, options: FitOptions): Promise<FitResult> {
    const m = data.ratings;
    const listeners = new Uint32Array(m.cols);
    for (let p = 0; p < nnz(m); p++) listeners[m.indices[p]]++;
    const active = Uint32Array.from(Array.from(listeners.keys()).filter((i) => listeners[i] > 0));
    this.checkBudget(active.length, listeners);
    const n = active.length;
    const compact = new Int32Array(m.cols).fill(-1);
    active.forEach((i, c) => {
      compact[i] = c;
    });
    this.compact = compact;
    this.active = active;
    this.b = new Float32Array(0);
    const a = new Float32Array(n * n);
    const binary = this.options.values === 'binary';
    // Gram matrix XᵀX + λI, lower triangle.
    const cols = new Int32Array(m.cols);
    const vals = new Float64Array(m.cols);
    for (let u = 0; u < m.rows; u++) {
      let len = 0;
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        cols[len] = compact[m.indices[p]];
        vals[len++] = binary ? 1 : m.values[p];
      }
      for (let x = 0; x < len; x++)
        for (let y = 0; y < len; y++) if (cols[y] <= cols[x]) a[cols[x] * n + cols[y]] += vals[x] * vals[y];
    }
    for (let c = 0; c < n; c++) a[c * n + c] += this.options.lambda;

    const checks = Math.max(1, Math.ceil(n / ROWS_PER_CHECK));
    const loop = new TrainingLoop('ease', 1, 3 * checks, options);
    loop.beginEpoch();
    const scratch = new Float64Array(n);
    const phases = [
      (r0: number, r1: number) => choleskyRows(a, n, r0, r1),
      (r0: number, r1: number) => invertLowerRows(a, n, r0, r1, scratch),
      (r0: number, r1: number) => lowerGramRows(a, n, r0, r1, scratch),
    ];
    let batch = 0;
    for (const phase of phases)
      for (let r0 = 0; r0 < n; r0 += ROWS_PER_CHECK) {
        phase(r0, Math.min(n, r0 + ROWS_PER_CHECK));
        if (!(await loop.batch(1, ++batch, () => undefined))) return loop.finish('js');
      }
    weightsFromInverse(a, n);
    this.b = a;
    loop.endEpoch(1, { loss: this.trainingLoss(data) });
    return loop.finish('js');
  }

  /** Refuses a catalogue above the budgets before allocating anything, with what would fit. */
  private checkBudget(items: number, listeners: Uint32Array): void {
    const { bytes, multiplyAdds } = easeRequirements(items);
    const { memoryBudget, maxItems } = this.options;
    const fitsItems = Math.min(maxItems, Math.floor(Math.sqrt((memoryBudget * 2 ** 20) / 4)));
    if (items <= fitsItems) return;
    const counts = Array.from(listeners)
      .filter((c) => c > 0)
      .sort((x, y) => y - x);
    const threshold = counts[fitsItems] + 1;
    throw new OptionError(
      `ease: ${items.toLocaleString('en')} items with training plays need ${(bytes / 2 ** 30).toFixed(2)} GiB ` +
        `(one float32 item × item matrix) and ${(multiplyAdds / 1e9).toFixed(0)} G multiply-adds ` +
        `(about ${Math.ceil(multiplyAdds / 1e9 / 60)} min at 1 G/s), above the budget of ` +
        `${memoryBudget} MB and ${maxItems.toLocaleString('en')} items; keep only items with at least ` +
        `${threshold} listeners (≤ ${fitsItems.toLocaleString('en')} items), or raise memoryBudget / maxItems`,
      { model: 'ease', option: items > maxItems ? 'maxItems' : 'memoryBudget' },
    );
  }

  /** ‖X − XB‖²_F / nnz(X): the reconstruction error of the training plays (B's objective without λ). */
  private trainingLoss(data: TrainSet): number {
    const m = data.ratings;
    const n = this.active.length;
    const row = new Float64Array(n);
    const target = new Float64Array(n);
    let sse = 0;
    for (let u = 0; u < m.rows; u++) {
      if (m.indptr[u] === m.indptr[u + 1]) continue;
      row.fill(0);
      target.fill(0);
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const c = this.compact[m.indices[p]];
        const v = this.options.values === 'binary' ? 1 : m.values[p];
        target[c] = v;
        const bo = c * n;
        for (let j = 0; j < n; j++) row[j] += v * this.b[bo + j];
      }
      for (let j = 0; j < n; j++) sse += (target[j] - row[j]) ** 2;
    }
    const count = nnz(m);
    return count === 0 ? 0 : sse / count;
  }

  scoreUsers(users: Uint32Array): Float32Array {
    const m = this.trainSet.ratings;
    const nItems = this.items.size;
    const out = new Float32Array(users.length * nItems);
    checkUserIndices(this.name, users, m.rows);
    for (const [b, u] of users.entries()) {
      const start = m.indptr[u];
      const end = m.indptr[u + 1];
      this.scoreInto(m.indices.subarray(start, end), m.values.subarray(start, end), out, b * nItems);
    }
    return out;
  }

  /** out[row + i] = Σ_j x_j B_{j,i} over the played items j (cold ones skipped). */
  private scoreInto(items: Uint32Array, values: Float32Array, out: Float32Array, row: number): void {
    const n = this.active.length;
    const acc = new Float64Array(n);
    const binary = this.options.values === 'binary';
    let any = false;
    for (let j = 0; j < items.length; j++) {
      if (items[j] >= this.compact.length)
        throw new RangeError(`ease: item index ${items[j]} outside 0..${this.compact.length - 1}`);
      const c = this.compact[items[j]];
      if (c < 0 || this.b.length === 0) continue;
      any = true;
      const v = binary ? 1 : values[j];
      const bo = c * n;
      for (let i = 0; i < n; i++) acc[i] += v * this.b[bo + i];
    }
    if (!any) return;
    for (let c = 0; c < n; c++) out[row + this.active[c]] = acc[c];
  }

  scoreFoldIn(items: Uint32Array, ratings: Float32Array): Float32Array {
    if (items.length !== ratings.length)
      throw new RangeError(`ease: ${items.length} items but ${ratings.length} ratings to fold in`);
    const out = new Float32Array(this.items.size);
    this.scoreInto(items, ratings, out, 0);
    return out;
  }

  itemSimilarities(item: number): Float32Array {
    const nItems = this.items.size;
    checkItemIndex(this.name, item, nItems);
    const out = new Float32Array(nItems);
    this.scoreInto(Uint32Array.of(item), Float32Array.of(1), out, 0);
    return out;
  }

  protected async saveState(store: ModelStore): Promise<void> {
    await this.writeState(store, STATE_FILE, 'ease-state', { b: this.b, active: this.active });
  }

  protected async loadState(store: ModelStore, _manifest: ModelManifest): Promise<void> {
    const { arrays, corrupt } = await this.readState(store, STATE_FILE, 'ease-state');
    const nItems = this.items.size;
    const { b, active } = arrays;
    if (!(active instanceof Uint32Array) || active.length > nItems)
      throw corrupt(`'active' should list at most ${nItems} item indices`);
    const n = active.length;
    if (!(b instanceof Float32Array) || (b.length !== n * n && b.length !== 0))
      throw corrupt(`B should be a ${n} × ${n} float32 matrix`);
    const compact = new Int32Array(nItems).fill(-1);
    for (const [c, i] of active.entries()) {
      if (i >= nItems) throw corrupt(`item index ${i} outside 0..${nItems - 1}`);
      compact[i] = c;
    }
    Object.assign(this, { b, active, compact });
  }
}

/**
 * Rows r0..r1−1 of the Cholesky factor L of the symmetric positive-definite n × n matrix in `a`
 * (lower triangle, row-major), in place (Cholesky–Banachiewicz: each entry is one dot product
 * of two contiguous row prefixes). Rows below r0 must already be factored.
 */
export function choleskyRows(a: Float32Array, n: number, r0: number, r1: number): void {
  for (let i = r0; i < r1; i++) {
    const io = i * n;
    for (let j = 0; j <= i; j++) {
      const jo = j * n;
      let s0 = 0;
      let s1 = 0;
      let p = 0;
      for (; p + 1 < j; p += 2) {
        s0 += a[io + p] * a[jo + p];
        s1 += a[io + p + 1] * a[jo + p + 1];
      }
      let s = a[io + j] - (s0 + s1);
      for (; p < j; p++) s -= a[io + p] * a[jo + p];
      if (i === j) {
        if (!(s > 0))
          throw new RangeError(`ease: the Gram matrix is not positive definite at row ${i}; raise lambda`);
        a[io + i] = Math.sqrt(s);
      } else a[io + j] = s / a[jo + j];
    }
  }
}

/**
 * Rows r0..r1−1 of M = L⁻¹ in place over the lower-triangular L (rows below r0 already
 * inverted): row i of M is −(Σ_{k<i} L_ik M_k) / L_ii off the diagonal and 1/L_ii on it — a
 * sum of contiguous row prefixes.
 */
export function invertLowerRows(a: Float32Array, n: number, r0: number, r1: number, t: Float64Array): void {
  for (let i = r0; i < r1; i++) {
    const io = i * n;
    t.fill(0, 0, i);
    for (let k = 0; k < i; k++) {
      const lik = a[io + k];
      if (lik === 0) continue;
      const ko = k * n;
      for (let j = 0; j <= k; j++) t[j] += lik * a[ko + j];
    }
    const d = 1 / a[io + i];
    for (let j = 0; j < i; j++) a[io + j] = -t[j] * d;
    a[io + i] = d;
  }
}

/**
 * Steps r0..r1−1 of P = MᵀM (lower triangle) in place over the lower-triangular M: step k adds
 * row k of M times itself (P_ij += M_ki M_kj for j ≤ i ≤ k), after which row k's storage holds
 * P's row k. Steps below r0 must be done.
 */
export function lowerGramRows(a: Float32Array, n: number, r0: number, r1: number, v: Float64Array): void {
  for (let k = r0; k < r1; k++) {
    const ko = k * n;
    for (let j = 0; j <= k; j++) {
      v[j] = a[ko + j];
      a[ko + j] = 0;
    }
    for (let i = 0; i <= k; i++) {
      const vi = v[i];
      if (vi === 0) continue;
      const io = i * n;
      for (let j = 0; j <= i; j++) a[io + j] += vi * v[j];
    }
  }
}

/** Turns P (lower triangle) into B in place: B_ij = −P_ij / P_jj off the diagonal, 0 on it. */
export function weightsFromInverse(a: Float32Array, n: number): void {
  const d = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = a[j * n + j];
  // Upper triangle (unused so far) from the lower one, then the lower in place.
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) a[i * n + j] = -a[j * n + i] / d[j];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) a[i * n + j] = -a[i * n + j] / d[j];
    a[i * n + i] = 0;
  }
}
