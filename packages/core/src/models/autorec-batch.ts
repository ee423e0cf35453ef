import type { CsrMatrix, Rng } from '@autorec/data';
import type { AutoRecNetwork } from './autorec-network.ts';

/**
 * Unplayed columns drawn as zero targets for each row of a batch (the `implicit` objective):
 * `perEntry` per played entry of the row, uniformly from `candidates` (the columns with
 * training entries) minus the row's own, each with loss weight `weight`.
 */
export interface NegativeSampling {
  perEntry: number;
  weight: number;
  candidates: Uint32Array;
  rng: Rng;
}

/**
 * Lays out rows `rows[from..to)` of `m` for training, column by column: `list` holds the
 * weight rows (columns) the batch touches, `tgtColPtr`/`tgtColRows`/`targets` every observed
 * entry with its value from `values`, `inColPtr`/`inColRows`/`inColVals` the input entries
 * (values from `inputs`, aligned with m.values like `values`) that survive dropout at rate
 * `dropout` (scaled by 1/(1 − rate)). With `negatives`, each row also gets sampled unplayed
 * columns as targets of value 0 (weight `negatives.weight`; observed targets weigh 1), after
 * the row's observed ones in each column. Returns the number of columns.
 */
export function loadBatch(
  net: AutoRecNetwork,
  m: CsrMatrix,
  values: Float32Array,
  rows: ArrayLike<number>,
  from: number,
  to: number,
  dropout = 0,
  rng?: Rng,
  inputs: Float32Array = values,
  negatives?: NegativeSampling,
): number {
  const t = net.training();
  const { list, tgtColPtr, inColPtr, tgtColRows, inColRows, inColVals, targets, keep, stamp, slot } = t.views;
  const { weights, positives, negatives: sampled } = t.views;
  const { cursorT, cursorI } = t.views;
  const batch = ++t.views.batch;
  const drop = dropout > 0 && rng !== undefined;
  const keepScale = 1 / (1 - dropout);
  let nList = 0;
  let k = 0;
  for (let r = from; r < to; r++) {
    const row = rows[r];
    for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
      const c = m.indices[p];
      if (stamp[c] !== batch) {
        stamp[c] = batch;
        slot[c] = nList;
        list[nList] = c;
        cursorT[nList + 1] = 0;
        cursorI[nList + 1] = 0;
        nList++;
      }
      const kept = !drop || rng.next() >= dropout;
      keep[k++] = kept ? 1 : 0;
      cursorT[slot[c] + 1]++;
      if (kept) cursorI[slot[c] + 1]++;
    }
  }
  for (let j = 0; j < nList; j++) positives[j] = cursorT[j + 1];
  // Negatives: drawn per row (rejecting the row's own columns, marked in `mark`), listed as
  // (row, column) pairs; their columns join the list with no input and no L2 share.
  let nNeg = 0;
  if (negatives) {
    t.views.rowMarks ??= new Int32Array(net.layout.width);
    const mark = t.views.rowMarks;
    const { candidates, perEntry } = negatives;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      const n = m.indptr[row + 1] - m.indptr[row];
      for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) mark[m.indices[p]] = row + 1;
      const want = Math.min(Math.round(perEntry * n), candidates.length - n);
      for (let drawn = 0, tries = 0; drawn < want && tries < 20 * want; tries++) {
        const c = candidates[Math.floor(negatives.rng.next() * candidates.length)];
        if (mark[c] === row + 1) continue;
        if (stamp[c] !== batch) {
          stamp[c] = batch;
          slot[c] = nList;
          list[nList] = c;
          cursorT[nList + 1] = 0;
          cursorI[nList + 1] = 0;
          positives[nList] = 0;
          nList++;
        }
        cursorT[slot[c] + 1]++;
        sampled[2 * nNeg] = r - from;
        sampled[2 * nNeg + 1] = c;
        nNeg++;
        drawn++;
      }
    }
  }
  cursorT[0] = 0;
  cursorI[0] = 0;
  for (let j = 0; j < nList; j++) {
    cursorT[j + 1] += cursorT[j];
    cursorI[j + 1] += cursorI[j];
  }
  tgtColPtr.set(cursorT.subarray(0, nList + 1));
  inColPtr.set(cursorI.subarray(0, nList + 1));
  k = 0;
  for (let r = from; r < to; r++) {
    const row = rows[r];
    for (let p = m.indptr[row]; p < m.indptr[row + 1]; p++) {
      const j = slot[m.indices[p]];
      const qt = cursorT[j]++;
      tgtColRows[qt] = r - from;
      targets[qt] = values[p];
      weights[qt] = 1;
      if (keep[k++]) {
        const qi = cursorI[j]++;
        inColRows[qi] = r - from;
        inColVals[qi] = drop ? inputs[p] * keepScale : inputs[p];
      }
    }
  }
  for (let q = 0; q < nNeg; q++) {
    const qt = cursorT[slot[sampled[2 * q + 1]]]++;
    tgtColRows[qt] = sampled[2 * q];
    targets[qt] = 0;
    weights[qt] = negatives!.weight;
  }
  return nList;
}
