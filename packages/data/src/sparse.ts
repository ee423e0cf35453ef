/**
 * Compressed sparse row matrix over typed arrays. Row r's entries are
 * `indices[indptr[r] .. indptr[r+1])` with values at the same positions, column indices
 * ascending within a row. A user-major CSR (rows = users) is what U-AutoRec and per-user
 * evaluation walk; its transpose (a CSC of the same data, here stored as a CSR with
 * rows = items) is what I-AutoRec and item similarity walk.
 *
 * Memory: 4 bytes (index) + 4 bytes (float32 value) = 8 bytes per stored entry, plus
 * 4 bytes per row for `indptr`. Holding both orientations costs 16 bytes per interaction.
 *
 * @example
 * const m = csrFromTriplets(2, 3, Uint32Array.of(0, 1), Uint32Array.of(2, 0), Float32Array.of(5, 1));
 * rowNnz(m, 0); // 1
 * getValue(m, 0, 2); // 5
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** rows + 1 offsets into indices/values. */
  readonly indptr: Uint32Array;
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** Number of stored entries. */
export function nnz(m: CsrMatrix): number {
  return m.indptr[m.rows];
}

export function rowNnz(m: CsrMatrix, row: number): number {
  return m.indptr[row + 1] - m.indptr[row];
}

/** Column indices of `row` (a view, not a copy). */
export function rowIndices(m: CsrMatrix, row: number): Uint32Array {
  return m.indices.subarray(m.indptr[row], m.indptr[row + 1]);
}

/** Values of `row` (a view, not a copy). */
export function rowValues(m: CsrMatrix, row: number): Float32Array {
  return m.values.subarray(m.indptr[row], m.indptr[row + 1]);
}

/**
 * Row and column index of every stored entry, in storage order (aligned with `m.values`): the
 * (user, song) pairs to predict when scoring a test matrix.
 *
 * @example
 * const { rows, cols } = entryCoordinates(test);
 * const predictions = model.predictIndices(rows, cols); // aligned with test.values
 */
export function entryCoordinates(m: CsrMatrix): { rows: Int32Array; cols: Int32Array } {
  const rows = new Int32Array(nnz(m));
  for (let r = 0; r < m.rows; r++) rows.fill(r, m.indptr[r], m.indptr[r + 1]);
  return { rows, cols: Int32Array.from(m.indices.subarray(0, nnz(m))) };
}

/** Value at (row, col), or 0 when absent. Binary search within the row. */
export function getValue(m: CsrMatrix, row: number, col: number): number {
  let lo = m.indptr[row];
  let hi = m.indptr[row + 1] - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = m.indices[mid];
    if (c === col) return m.values[mid];
    if (c < col) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

/**
 * Builds a CSR matrix from coordinate triplets, sorting columns within each row and summing
 * duplicate (row, col) pairs. `duplicates` in the result counts the pairs that were merged.
 * O(nnz + rows) time with a counting sort on rows, then an in-row sort.
 */
export function csrFromTriplets(
  rows: number,
  cols: number,
  rowIdx: ArrayLike<number>,
  colIdx: ArrayLike<number>,
  vals: ArrayLike<number>,
  length: number = rowIdx.length,
): CsrMatrix & { duplicates: number } {
  const counts = new Uint32Array(rows + 1);
  for (let k = 0; k < length; k++) {
    const r = rowIdx[k];
    if (r >= rows || r < 0) throw new RangeError(`row index ${r} outside 0..${rows - 1}`);
    counts[r + 1]++;
  }
  for (let r = 0; r < rows; r++) counts[r + 1] += counts[r];
  const indices = new Uint32Array(length);
  const values = new Float32Array(length);
  const cursor = counts.slice(0, rows);
  for (let k = 0; k < length; k++) {
    const c = colIdx[k];
    if (c >= cols || c < 0) throw new RangeError(`column index ${c} outside 0..${cols - 1}`);
    const p = cursor[rowIdx[k]]++;
    indices[p] = c;
    values[p] = vals[k];
  }
  // Sort each row by column and merge duplicates, compacting in place.
  const indptr = new Uint32Array(rows + 1);
  let write = 0;
  let duplicates = 0;
  for (let r = 0; r < rows; r++) {
    const start = counts[r];
    const end = counts[r + 1];
    if (!isSortedStrict(indices, start, end)) sortRow(indices, values, start, end);
    indptr[r] = write;
    for (let p = start; p < end; p++) {
      if (write > indptr[r] && indices[write - 1] === indices[p]) {
        values[write - 1] += values[p];
        duplicates++;
      } else {
        indices[write] = indices[p];
        values[write] = values[p];
        write++;
      }
    }
  }
  indptr[rows] = write;
  return {
    rows,
    cols,
    indptr,
    indices: write === length ? indices : indices.slice(0, write),
    values: write === length ? values : values.slice(0, write),
    duplicates,
  };
}

/**
 * Sorts one row's (column, value) pairs by column, stable for equal columns. Short rows use an
 * insertion sort; long rows pack (column, position) into one float64 key so the engine's native
 * numeric sort does the work (a comparator sort is ~10× slower at tens of millions of entries).
 */
export function sortRow(
  indices: Uint32Array,
  values: Float32Array | Float64Array,
  start: number,
  end: number,
): void {
  const n = end - start;
  if (n <= 32) {
    for (let p = start + 1; p < end; p++) {
      const c = indices[p];
      const v = values[p];
      let q = p - 1;
      while (q >= start && indices[q] > c) {
        indices[q + 1] = indices[q];
        values[q + 1] = values[q];
        q--;
      }
      indices[q + 1] = c;
      values[q + 1] = v;
    }
    return;
  }
  // col * n + i < 2^32 * 2^21 fits a float64 exactly for rows of up to 2M entries; beyond that, fall back.
  if (n > 1 << 21) {
    const ord = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => indices[start + a] - indices[start + b] || a - b,
    );
    const keys = indices.slice(start, end);
    const vs = values.slice(start, end);
    for (let i = 0; i < n; i++) {
      indices[start + i] = keys[ord[i]];
      values[start + i] = vs[ord[i]];
    }
    return;
  }
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) packed[i] = indices[start + i] * n + i;
  packed.sort();
  const vs = values.slice(start, end);
  for (let i = 0; i < n; i++) {
    const key = packed[i];
    const col = Math.floor(key / n);
    indices[start + i] = col;
    values[start + i] = vs[key - col * n];
  }
}

/** True when `a[start..end)` is strictly increasing (a row's columns sorted, no repeats). */
export function isSortedStrict(a: Uint32Array, start: number, end: number): boolean {
  for (let p = start + 1; p < end; p++) if (a[p - 1] >= a[p]) return false;
  return true;
}

/** The transpose: from user-major to item-major (CSC of the original) or back. O(nnz + cols). */
export function transpose(m: CsrMatrix): CsrMatrix {
  const n = nnz(m);
  const indptr = new Uint32Array(m.cols + 1);
  for (let p = 0; p < n; p++) indptr[m.indices[p] + 1]++;
  for (let c = 0; c < m.cols; c++) indptr[c + 1] += indptr[c];
  const cursor = indptr.slice(0, m.cols);
  const indices = new Uint32Array(n);
  const values = new Float32Array(n);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      const q = cursor[m.indices[p]]++;
      indices[q] = r;
      values[q] = m.values[p];
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

/** Same sparsity pattern, values mapped by `fn(value, row, col)`. */
export function mapValues(m: CsrMatrix, fn: (value: number, row: number, col: number) => number): CsrMatrix {
  const values = new Float32Array(m.values.length);
  for (let r = 0; r < m.rows; r++) {
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) values[p] = fn(m.values[p], r, m.indices[p]);
  }
  return { rows: m.rows, cols: m.cols, indptr: m.indptr, indices: m.indices, values };
}

/** Keeps the entries for which `keep(row, col, value)` is true. Shape unchanged. */
export function filterEntries(
  m: CsrMatrix,
  keep: (row: number, col: number, value: number) => boolean,
): CsrMatrix {
  const indptr = new Uint32Array(m.rows + 1);
  const indices = new Uint32Array(nnz(m));
  const values = new Float32Array(nnz(m));
  let w = 0;
  for (let r = 0; r < m.rows; r++) {
    indptr[r] = w;
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) {
      if (keep(r, m.indices[p], m.values[p])) {
        indices[w] = m.indices[p];
        values[w] = m.values[p];
        w++;
      }
    }
  }
  indptr[m.rows] = w;
  return { rows: m.rows, cols: m.cols, indptr, indices: indices.slice(0, w), values: values.slice(0, w) };
}

/** An empty rows × cols matrix. */
export function emptyCsr(rows: number, cols: number): CsrMatrix {
  return {
    rows,
    cols,
    indptr: new Uint32Array(rows + 1),
    indices: new Uint32Array(0),
    values: new Float32Array(0),
  };
}

/**
 * The entries of `a` and `b` together (same shape, no entry in both): e.g. training plus
 * validation ratings for a model that does not use a validation part. Rows stay sorted.
 *
 * @example
 * const all = addDisjoint(prepared.ratings.train, prepared.ratings.validation!);
 */
export function addDisjoint(a: CsrMatrix, b: CsrMatrix): CsrMatrix {
  if (a.rows !== b.rows || a.cols !== b.cols)
    throw new RangeError(`addDisjoint: ${a.rows}×${a.cols} and ${b.rows}×${b.cols} differ in shape`);
  const n = nnz(a) + nnz(b);
  const indptr = new Uint32Array(a.rows + 1);
  const indices = new Uint32Array(n);
  const values = new Float32Array(n);
  let w = 0;
  for (let r = 0; r < a.rows; r++) {
    indptr[r] = w;
    let p = a.indptr[r];
    let q = b.indptr[r];
    const pe = a.indptr[r + 1];
    const qe = b.indptr[r + 1];
    while (p < pe || q < qe) {
      const takeA = q >= qe || (p < pe && a.indices[p] < b.indices[q]);
      if (!takeA && p < pe && a.indices[p] === b.indices[q])
        throw new RangeError(`addDisjoint: entry (${r}, ${a.indices[p]}) is in both matrices`);
      if (takeA) {
        indices[w] = a.indices[p];
        values[w++] = a.values[p++];
      } else {
        indices[w] = b.indices[q];
        values[w++] = b.values[q++];
      }
    }
  }
  indptr[a.rows] = w;
  return { rows: a.rows, cols: a.cols, indptr, indices, values };
}
