import { checkItemIndex, checkUserIndices } from '../guards.ts';
import { Recommender } from '../recommender.ts';
import { DenseProduct, denseMinProduct } from './dense-product.ts';
import { cosineFromDots, cosineToRow, rowNorms } from './item-cosine.ts';

/**
 * The item side of an embedding model: item i's vector is
 * `vectors[i·stride … i·stride + dim)`, with an optional additive item term b_i.
 */
export interface ItemEmbeddings {
  vectors: Float32Array;
  dim: number;
  stride: number;
  /** b_i added to every user's score of item i (SVD's item bias), or none. */
  bias?: Float64Array | Float32Array;
}

/** Users' side for a batch: their vectors packed row after row (batch × dim) and a term c_u each. */
export interface UserEmbeddings {
  vectors: Float32Array;
  offsets?: ArrayLike<number>;
}

/** Items per block of the loops: small enough to stay in cache while every user of a batch is scored. */
const ITEM_BLOCK = 256;

/**
 * The middle layer of the models whose ranking scores are dot products of a user vector with
 * item vectors — implicit's matrix-factorisation base, for this package:
 *
 *     s_ui = c_u + b_i + ⟨x_u, y_i⟩
 *
 * A model supplies its item vectors y_i (and b_i) through {@link itemEmbeddings} and a batch of
 * users' x_u (and c_u) through {@link userEmbeddings} — stored factors (SVD's p_u, iALS's x_u) or
 * computed ones (AutoRec's codes) — and gets `scoreUsers`, scoring of a folded-in vector
 * ({@link scoreVector}), cosine `itemSimilarities` and the tfjs dense product for big batches, with
 * their caches. It writes its maths (fit, fold-in, predictions) and its state, nothing else, and
 * calls {@link embeddingsChanged} whenever its vectors are replaced (fit, load).
 *
 * Scoring (and the dot products of similar items) runs as loops over blocks of items, or — when
 * a fast tfjs backend runs and the call is big enough for it ({@link denseMinProduct}: 32K
 * multiply-adds on WebAssembly and native, 4M on WebGL) — as one matMul on it, 8–15× the speed
 * of the loops from one listener on Last.fm 2K up; the two agree to float32 rounding (≈1e-6).
 *
 * @example
 * class MyMf extends EmbeddingModel {
 *   static readonly params = MY_MF_PARAMS; // options and describe() come from Recommender
 *   constructor(options = {}) { super('my-mf', options); }
 *   protected itemEmbeddings() { return { vectors: this.y, dim: this.k, stride: this.k }; }
 *   protected userEmbeddings(users: Uint32Array) { return { vectors: packRows(this.x, this.k, users) }; }
 *   // fitIndexed, predictIndices (or ratingsFromBaseline), scoreFoldIn (via scoreVector), saveState, loadState
 * }
 */
export abstract class EmbeddingModel extends Recommender {
  private dense?: DenseProduct;
  private itemNorms?: Float64Array;

  /** The item side (views of the model's arrays). */
  protected abstract itemEmbeddings(): ItemEmbeddings;

  /** The vectors (and terms c_u) of a batch of training users, in the order of `users`. */
  protected abstract userEmbeddings(users: Uint32Array): UserEmbeddings;

  /** Items similarity leaves out (score 0), e.g. items without training data; none by default. */
  protected similaritySkip(_item: number): boolean {
    return false;
  }

  /** Scores c_u + b_i + ⟨x_u, y_i⟩ of every item for a batch of training users, unclipped. */
  scoreUsers(users: Uint32Array): Float32Array {
    const nUsers = this.users.size;
    checkUserIndices(this.name, users, nUsers);
    const { vectors, offsets } = this.userEmbeddings(users);
    return this.scoreRows(vectors, users.length, offsets);
  }

  /** Scores of every item for one vector x (a folded-in listener) and term c. */
  protected scoreVector(x: ArrayLike<number>, offset = 0): Float32Array {
    return this.scoreRows(Float32Array.from(x), 1, [offset]);
  }

  /** Scores of every item for `n` packed vectors (n × dim) and their terms. */
  protected scoreRows(left: Float32Array, n: number, offsets?: ArrayLike<number>): Float32Array {
    const items = this.itemEmbeddings();
    const nItems = this.items.size;
    const { dim, bias } = items;
    if (left.length !== n * dim)
      throw new RangeError(`${this.name}: ${left.length} user values for ${n} vectors of ${dim}`);
    if (n * nItems * dim >= denseMinProduct()) {
      const out = this.denseProduct(items).multiply(left, n);
      for (let b = 0; b < n; b++) {
        const base = offsets?.[b] ?? 0;
        const row = b * nItems;
        if (bias) for (let i = 0; i < nItems; i++) out[row + i] += base + bias[i];
        else if (base !== 0) for (let i = 0; i < nItems; i++) out[row + i] += base;
      }
      return out;
    }
    const out = new Float32Array(n * nItems);
    for (let i0 = 0; i0 < nItems; i0 += ITEM_BLOCK) {
      const i1 = Math.min(nItems, i0 + ITEM_BLOCK);
      for (let b = 0; b < n; b++)
        scoreBlock(out, b * nItems, offsets?.[b] ?? 0, left, b * dim, items, i0, i1);
    }
    return out;
  }

  /** Cosine of the item vectors; 0 for a zero vector or a skipped item (see `similaritySkip`). */
  itemSimilarities(item: number): Float32Array {
    const nItems = this.items.size;
    checkItemIndex(this.name, item, nItems);
    const items = this.itemEmbeddings();
    const { vectors, dim, stride } = items;
    this.itemNorms ??= rowNorms(vectors, nItems, dim, stride, new Float64Array(nItems));
    const skip = (i: number) => this.similaritySkip(i);
    if (nItems * dim >= denseMinProduct()) {
      const row = vectors.slice(item * stride, item * stride + dim);
      return cosineFromDots(this.denseProduct(items).multiply(row, 1), this.itemNorms, item, skip);
    }
    return cosineToRow(vectors, this.itemNorms, item, nItems, dim, stride, skip);
  }

  /** Forgets what was derived from the item vectors (norms, the dense operand); call when they change. */
  protected embeddingsChanged(): void {
    this.dense?.dispose();
    this.dense = undefined;
    this.itemNorms = undefined;
  }

  /** Frees the scoring tensor (the model stays usable: it is rebuilt when needed). */
  override dispose(): void {
    this.dense?.dispose();
    this.dense = undefined;
  }

  /** yᵀ (dim × items) as the fixed right operand: tfjs's matMul is several times slower with transposeB. */
  private denseProduct({ vectors, dim, stride }: ItemEmbeddings): DenseProduct {
    const nItems = this.items.size;
    this.dense ??= new DenseProduct(dim, nItems, () => {
      const t = new Float32Array(dim * nItems);
      for (let i = 0; i < nItems; i++)
        for (let f = 0; f < dim; f++) t[f * nItems + i] = vectors[i * stride + f];
      return t;
    });
    return this.dense;
  }
}

/** The rows of `users` from a users × dim array, packed (batch × dim). */
export function packRows(rows: Float32Array, dim: number, users: Uint32Array): Float32Array {
  const out = new Float32Array(users.length * dim);
  for (let b = 0; b < users.length; b++)
    out.set(rows.subarray(users[b] * dim, users[b] * dim + dim), b * dim);
  return out;
}

/** out[row + i] = base + b_i + ⟨x, y_i⟩ for items i0..i1−1, x = left[xo … xo + dim). */
function scoreBlock(
  out: Float32Array,
  row: number,
  base: number,
  left: Float32Array,
  xo: number,
  { vectors, dim, stride, bias }: ItemEmbeddings,
  i0: number,
  i1: number,
): void {
  if (bias)
    for (let i = i0; i < i1; i++) out[row + i] = base + bias[i] + dotAt(vectors, i * stride, left, xo, dim);
  else for (let i = i0; i < i1; i++) out[row + i] = base + dotAt(vectors, i * stride, left, xo, dim);
}

/**
 * a[ao .. ao + k) · b[bo .. bo + k), four independent sums (so the loop is not one long
 * dependency chain), added in a fixed order. Small enough for V8 to inline into the loops.
 */
export function dotAt(a: Float32Array, ao: number, b: Float32Array, bo: number, k: number): number {
  const k4 = k & ~3;
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let f = 0;
  for (; f < k4; f += 4) {
    d0 += a[ao + f] * b[bo + f];
    d1 += a[ao + f + 1] * b[bo + f + 1];
    d2 += a[ao + f + 2] * b[bo + f + 2];
    d3 += a[ao + f + 3] * b[bo + f + 3];
  }
  let dot = d0 + d1 + (d2 + d3);
  for (; f < k; f++) dot += a[ao + f] * b[bo + f];
  return dot;
}
