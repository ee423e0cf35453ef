/**
 * AutoRec's sparse training and scoring kernels in AssemblyScript, compiled to WebAssembly SIMD.
 * The contract (what each export computes) is documented on `SparseKernels` in
 * src/engine/kernels.ts, whose plain-JavaScript kernels are the executable specification these
 * are tested against (src/engine/kernels.test.ts).
 *
 * Conventions: every pointer is a byte offset into the imported memory; index arrays are i32,
 * values f32; weight rows are `rowBytes` long, a positive multiple of 32 (8 floats; the engine
 * checks the stride), so the row loops work on two f32x4 lanes per step with no tail and test
 * their condition at the bottom (`do … while`), one branch per step.
 *
 * The compiled bytes are committed in src/engine/kernels-wasm.ts; after editing this file run
 * `npm run build:kernels` (a test fails while the two disagree).
 */

import { at, axpyRow, dotRow, lanesSum, valueAt, zeroRow } from './rows';

// ---------------------------------------------------------------------------------------
// Prediction over CSR rows: entry p = (r, c = idx[p]) for p in indptr[r]..indptr[r+1].

/** dst[r] += val[p] · src[c] for every entry (sparse X × W). */
export function gatherRows(
  nRows: u32,
  indptr: usize,
  idx: usize,
  val: usize,
  src: usize,
  dst: usize,
  rowBytes: usize,
): void {
  for (let r: u32 = 0; r < nRows; r++) {
    const dRow = dst + r * rowBytes;
    const pEnd = at(indptr, r + 1);
    for (let p = at(indptr, r); p < pEnd; p++)
      axpyRow(dRow, src + at(idx, p) * rowBytes, f32x4.splat(valueAt(val, p)), rowBytes);
  }
}

/** out[p] = a[r] · b[c] + bias[c] for every entry (the decoder at requested cells). */
export function sampledDot(
  nRows: u32,
  indptr: usize,
  idx: usize,
  a: usize,
  b: usize,
  bias: usize,
  out: usize,
  rowBytes: usize,
): void {
  for (let r: u32 = 0; r < nRows; r++) {
    const aRow = a + r * rowBytes;
    const pEnd = at(indptr, r + 1);
    for (let p = at(indptr, r); p < pEnd; p++) {
      const c = at(idx, p);
      store<f32>(out + ((<usize>p) << 2), dotRow(aRow, b + c * rowBytes, rowBytes) + valueAt(bias, c));
    }
  }
}

// ---------------------------------------------------------------------------------------
// Training over listed columns: column t is weight row c = list[t]; its entries q in
// colPtr[t]..colPtr[t+1] belong to batch rows colRows[q].

/** dst[colRows[q]] += colVals[q] · src[c] (the encoder forward, column by column). */
export function scatterFromRows(
  nList: u32,
  list: usize,
  colPtr: usize,
  colRows: usize,
  colVals: usize,
  src: usize,
  dst: usize,
  rowBytes: usize,
): void {
  for (let t: u32 = 0; t < nList; t++) {
    const sRow = src + at(list, t) * rowBytes;
    const qEnd = at(colPtr, t + 1);
    for (let q = at(colPtr, t); q < qEnd; q++)
      axpyRow(dst + at(colRows, q) * rowBytes, sRow, f32x4.splat(valueAt(colVals, q)), rowBytes);
  }
}

/** out[q] = a[c] · b[colRows[q]] + bias[c] (the decoder forward, column by column). */
export function dotRows(
  nList: u32,
  list: usize,
  colPtr: usize,
  colRows: usize,
  a: usize,
  b: usize,
  bias: usize,
  out: usize,
  rowBytes: usize,
): void {
  for (let t: u32 = 0; t < nList; t++) {
    const c = at(list, t);
    const aRow = a + c * rowBytes;
    const bc = valueAt(bias, c);
    const qEnd = at(colPtr, t + 1);
    for (let q = at(colPtr, t); q < qEnd; q++)
      store<f32>(out + ((<usize>q) << 2), dotRow(aRow, b + at(colRows, q) * rowBytes, rowBytes) + bc);
  }
}

/**
 * One Adam step with L2 on row p from gradient row g, which it zeroes:
 * g ← g + coef·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; p ← p − lr·m/(√v + ε).
 * Returns coef·‖p‖² before the step.
 */
function adamRow(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  rowBytes: usize,
  coef: f32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
): f32 {
  const c = f32x4.splat(coef);
  const b1 = f32x4.splat(beta1);
  const b1c = f32x4.splat(1 - beta1);
  const b2 = f32x4.splat(beta2);
  const b2c = f32x4.splat(1 - beta2);
  const vlr = f32x4.splat(lr);
  const veps = f32x4.splat(eps);
  let acc = f32x4.splat(0);
  let j: usize = 0;
  do {
    const pv = v128.load(p + j);
    acc = f32x4.add(acc, f32x4.mul(f32x4.mul(c, pv), pv));
    const gv = f32x4.add(v128.load(g + j), f32x4.mul(c, pv));
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + j)), f32x4.mul(b1c, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + j)), f32x4.mul(f32x4.mul(b2c, gv), gv));
    v128.store(m + j, mv);
    v128.store(v + j, vv);
    v128.store(p + j, f32x4.sub(pv, f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    v128.store(g + j, f32x4.splat(0));
    j += 16;
  } while (j < rowBytes);
  return lanesSum(acc);
}

/**
 * After column t: with `mode` 1 an Adam step on weight row c (at cRow) from the scratch
 * gradient, returning coef[t]·‖row‖²; with `mode` 0, ga[c] += scratch, returning 0.
 */
function finishColumn(
  t: u32,
  c: u32,
  cRow: usize,
  mode: u32,
  scratch: usize,
  ga: usize,
  m: usize,
  v: usize,
  coef: usize,
  rowBytes: usize,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
): f32 {
  if (mode) {
    const offset = c * rowBytes;
    return adamRow(cRow, scratch, m + offset, v + offset, rowBytes, valueAt(coef, t), lr, beta1, beta2, eps);
  }
  axpyRow(ga + c * rowBytes, scratch, f32x4.splat(1), rowBytes);
  return 0;
}

/**
 * The decoder backward, fused with its optimiser step: for every entry q of column t,
 * gb[colRows[q]] += δ[q]·a[c] and g += δ[q]·b[colRows[q]]; then step a[c] with g.
 * Returns Σ coef·‖a[c]‖² over the stepped rows (mode 1).
 */
export function backwardRows(
  nList: u32,
  list: usize,
  colPtr: usize,
  colRows: usize,
  delta: usize,
  a: usize,
  b: usize,
  gb: usize,
  mode: u32,
  scratch: usize,
  ga: usize,
  m: usize,
  v: usize,
  coef: usize,
  rowBytes: usize,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
): f32 {
  let reg: f32 = 0;
  for (let t: u32 = 0; t < nList; t++) {
    const c = at(list, t);
    const cRow = a + c * rowBytes;
    const qEnd = at(colPtr, t + 1);
    zeroRow(scratch, rowBytes);
    for (let q = at(colPtr, t); q < qEnd; q++) {
      const d = f32x4.splat(valueAt(delta, q));
      const row = at(colRows, q);
      const bRow = b + row * rowBytes;
      const gbRow = gb + row * rowBytes;
      // Both updates in one pass over the row, two lanes at a time.
      let j: usize = 0;
      do {
        v128.store(gbRow + j, f32x4.add(v128.load(gbRow + j), f32x4.mul(d, v128.load(cRow + j))));
        v128.store(scratch + j, f32x4.add(v128.load(scratch + j), f32x4.mul(d, v128.load(bRow + j))));
        v128.store(gbRow + j, f32x4.add(v128.load(gbRow + j, 16), f32x4.mul(d, v128.load(cRow + j, 16))), 16);
        v128.store(
          scratch + j,
          f32x4.add(v128.load(scratch + j, 16), f32x4.mul(d, v128.load(bRow + j, 16))),
          16,
        );
        j += 32;
      } while (j < rowBytes);
    }
    reg += finishColumn(t, c, cRow, mode, scratch, ga, m, v, coef, rowBytes, lr, beta1, beta2, eps);
  }
  return reg;
}

/**
 * The encoder's weight gradient, fused with its optimiser step: for column t,
 * g = Σ_q colVals[q]·b[colRows[q]]; then step a[c] with g. Returns as {@link backwardRows}.
 */
export function gradRows(
  nList: u32,
  list: usize,
  colPtr: usize,
  colRows: usize,
  colVals: usize,
  b: usize,
  a: usize,
  mode: u32,
  scratch: usize,
  ga: usize,
  m: usize,
  v: usize,
  coef: usize,
  rowBytes: usize,
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
): f32 {
  let reg: f32 = 0;
  for (let t: u32 = 0; t < nList; t++) {
    const c = at(list, t);
    const qEnd = at(colPtr, t + 1);
    zeroRow(scratch, rowBytes);
    for (let q = at(colPtr, t); q < qEnd; q++)
      axpyRow(scratch, b + at(colRows, q) * rowBytes, f32x4.splat(valueAt(colVals, q)), rowBytes);
    reg += finishColumn(
      t,
      c,
      a + c * rowBytes,
      mode,
      scratch,
      ga,
      m,
      v,
      coef,
      rowBytes,
      lr,
      beta1,
      beta2,
      eps,
    );
  }
  return reg;
}
