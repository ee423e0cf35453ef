/**
 * Cosine similarity between item vectors stored as rows of one flat array — SVD's q_i, iALS's
 * y_i, AutoRec's decoder rows or item codes — so each model's `itemSimilarities` is a call, not
 * its own loop:
 *
 *     sim(i, j) = ⟨v_i, v_j⟩ / (‖v_i‖ ‖v_j‖),   0 where either norm is 0 (no evidence)
 *
 * Row r occupies rows[r·stride … r·stride + dim − 1]. The norms are computed once per model
 * ({@link rowNorms}) and kept by the caller, since every similar-items query needs all of them.
 *
 * @example
 * const norms = rowNorms(q, nItems, k, k, new Float64Array(nItems));
 * const sims = cosineToRow(q, norms, item, nItems, k, k); // Float32Array(nItems)
 */

/** Euclidean norm of each of `n` rows of `dim` values, `stride` apart, written into `out`. */
export function rowNorms<T extends Float32Array | Float64Array>(
  rows: Float32Array,
  n: number,
  dim: number,
  stride: number,
  out: T,
): T {
  for (let r = 0; r < n; r++) {
    const o = r * stride;
    let s = 0;
    for (let f = 0; f < dim; f++) s += rows[o + f] ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/**
 * Cosine of row `item` with each of the `n` rows. Rows with norm 0, or for which `skip` says so
 * (e.g. items without training data), get 0; if `item` itself is such a row, all are 0.
 */
export function cosineToRow(
  rows: Float32Array,
  norms: Float32Array | Float64Array,
  item: number,
  n: number,
  dim: number,
  stride: number,
  skip?: (row: number) => boolean,
): Float32Array {
  const out = new Float32Array(n);
  const ni = norms[item];
  if (ni === 0 || skip?.(item)) return out;
  const io = item * stride;
  for (let j = 0; j < n; j++) {
    const nj = norms[j];
    if (nj === 0 || skip?.(j)) continue;
    const jo = j * stride;
    let dot = 0;
    for (let f = 0; f < dim; f++) dot += rows[jo + f] * rows[io + f];
    out[j] = dot / (ni * nj);
  }
  return out;
}

/**
 * The same cosines from dot products computed elsewhere (`dots[j]` = ⟨v_item, v_j⟩, e.g. one
 * dense product on a fast tfjs backend): divides by the norms in place and applies the same zero
 * rules as {@link cosineToRow}.
 */
export function cosineFromDots(
  dots: Float32Array,
  norms: Float32Array | Float64Array,
  item: number,
  skip?: (row: number) => boolean,
): Float32Array {
  const ni = norms[item];
  if (ni === 0 || skip?.(item)) return dots.fill(0);
  for (let j = 0; j < dots.length; j++) {
    const nj = norms[j];
    dots[j] = nj === 0 || skip?.(j) ? 0 : dots[j] / (ni * nj);
  }
  return dots;
}
