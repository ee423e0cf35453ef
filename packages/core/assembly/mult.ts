/**
 * Mult-VAE / Mult-DAE training kernels in AssemblyScript, compiled to WebAssembly SIMD (f32x4):
 * the dense products of a batch, the per-play loops of the sparse input layer and the sampled
 * softmax, and Adam over listed rows. Their typed-array twins in src/engine/mult-kernels.ts are
 * the executable specification (the contract of each export is documented there); they repeat
 * these float32 operations in the same order, so the two agree bit for bit
 * (src/engine/mult-kernels.test.ts).
 *
 * Conventions: every pointer is a byte offset into the imported memory; index arrays are i32,
 * values f32. Each kernel works on a range of rows (or items, or list entries) and writes only
 * rows of that range, so worker threads can split a call's range and the result does not depend
 * on the split. Weight rows of the per-play kernels are `rowBytes` long, a positive multiple of
 * 32 (the hidden size a multiple of 8). No fused multiply-add: every lane does f32 multiply,
 * then f32 add, as the twins do.
 *
 * The compiled bytes are committed in src/engine/mult-wasm.ts; after editing this file run
 * `npm run build:kernels` (a test fails while the two disagree).
 */

import { at, axpyRow, dotRow, valueAt, zeroRow } from './rows';

// ---------------------------------------------------------------------------------------
// C = A · B over rows m0..m1−1 of C. A's element (i, p) is at a + i·ars + p·acs (bytes), so A
// may be row-major (ars = 4k, acs = 4) or stored transposed (ars = 4, acs = 4m); B is k × n and
// C is m × n, row-major. Every C entry is Σ_p in order p = 0…k−1, one rounding per operation.

/** Four rows of C from `pc`, their A rows from `pa`. */
function gemmRows4(pa: usize, ars: usize, acs: usize, b: usize, pc: usize, k: u32, n: u32, add: bool): void {
  const nb = (<usize>n) << 2;
  const n8 = (<usize>(n & ~7)) << 2;
  let j: usize = 0;
  for (; j < n8; j += 32) {
    const o = pc + j;
    let c00 = add ? v128.load(o) : f32x4.splat(0);
    let c01 = add ? v128.load(o, 16) : f32x4.splat(0);
    let c10 = add ? v128.load(o + nb) : f32x4.splat(0);
    let c11 = add ? v128.load(o + nb, 16) : f32x4.splat(0);
    let c20 = add ? v128.load(o + 2 * nb) : f32x4.splat(0);
    let c21 = add ? v128.load(o + 2 * nb, 16) : f32x4.splat(0);
    let c30 = add ? v128.load(o + 3 * nb) : f32x4.splat(0);
    let c31 = add ? v128.load(o + 3 * nb, 16) : f32x4.splat(0);
    let pb = b + j;
    let p0 = pa;
    for (let p: u32 = 0; p < k; p++) {
      const b0 = v128.load(pb);
      const b1 = v128.load(pb, 16);
      const a0 = f32x4.splat(load<f32>(p0));
      const a1 = f32x4.splat(load<f32>(p0 + ars));
      const a2 = f32x4.splat(load<f32>(p0 + 2 * ars));
      const a3 = f32x4.splat(load<f32>(p0 + 3 * ars));
      c00 = f32x4.add(c00, f32x4.mul(a0, b0));
      c01 = f32x4.add(c01, f32x4.mul(a0, b1));
      c10 = f32x4.add(c10, f32x4.mul(a1, b0));
      c11 = f32x4.add(c11, f32x4.mul(a1, b1));
      c20 = f32x4.add(c20, f32x4.mul(a2, b0));
      c21 = f32x4.add(c21, f32x4.mul(a2, b1));
      c30 = f32x4.add(c30, f32x4.mul(a3, b0));
      c31 = f32x4.add(c31, f32x4.mul(a3, b1));
      pb += nb;
      p0 += acs;
    }
    v128.store(o, c00);
    v128.store(o, c01, 16);
    v128.store(o + nb, c10);
    v128.store(o + nb, c11, 16);
    v128.store(o + 2 * nb, c20);
    v128.store(o + 2 * nb, c21, 16);
    v128.store(o + 3 * nb, c30);
    v128.store(o + 3 * nb, c31, 16);
  }
  // Columns left over (n mod 8), one at a time.
  for (; j < nb; j += 4) {
    let s0: f32 = add ? load<f32>(pc + j) : 0;
    let s1: f32 = add ? load<f32>(pc + nb + j) : 0;
    let s2: f32 = add ? load<f32>(pc + 2 * nb + j) : 0;
    let s3: f32 = add ? load<f32>(pc + 3 * nb + j) : 0;
    let pb = b + j;
    let p0 = pa;
    for (let p: u32 = 0; p < k; p++) {
      const bv = load<f32>(pb);
      s0 += load<f32>(p0) * bv;
      s1 += load<f32>(p0 + ars) * bv;
      s2 += load<f32>(p0 + 2 * ars) * bv;
      s3 += load<f32>(p0 + 3 * ars) * bv;
      pb += nb;
      p0 += acs;
    }
    store<f32>(pc + j, s0);
    store<f32>(pc + nb + j, s1);
    store<f32>(pc + 2 * nb + j, s2);
    store<f32>(pc + 3 * nb + j, s3);
  }
}

/** One row of C (the rows left over after blocks of four). */
function gemmRow1(pa: usize, acs: usize, b: usize, pc: usize, k: u32, n: u32, add: bool): void {
  const nb = (<usize>n) << 2;
  const n8 = (<usize>(n & ~7)) << 2;
  let j: usize = 0;
  for (; j < n8; j += 32) {
    let c0 = add ? v128.load(pc + j) : f32x4.splat(0);
    let c1 = add ? v128.load(pc + j, 16) : f32x4.splat(0);
    let pb = b + j;
    let p0 = pa;
    for (let p: u32 = 0; p < k; p++) {
      const a0 = f32x4.splat(load<f32>(p0));
      c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(pb)));
      c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(pb, 16)));
      pb += nb;
      p0 += acs;
    }
    v128.store(pc + j, c0);
    v128.store(pc + j, c1, 16);
  }
  for (; j < nb; j += 4) {
    let s: f32 = add ? load<f32>(pc + j) : 0;
    let pb = b + j;
    let p0 = pa;
    for (let p: u32 = 0; p < k; p++) {
      s += load<f32>(p0) * load<f32>(pb);
      pb += nb;
      p0 += acs;
    }
    store<f32>(pc + j, s);
  }
}

/**
 * Inner-dimension block: the rows of B one pass over C's rows reads (≤ 128 × n floats) stay in
 * the core's L2 cache. C holds the partial sums between blocks, exactly as the accumulators
 * would, so blocking changes no bit.
 */
const KC: u32 = 128;

/** C[m0..m1) = A · B (see above); overwrites those rows of C. */
export function gemm(
  a: usize,
  ars: usize,
  acs: usize,
  b: usize,
  c: usize,
  m0: u32,
  m1: u32,
  k: u32,
  n: u32,
): void {
  const nb = (<usize>n) << 2;
  let k0: u32 = 0;
  do {
    const kk = min(KC, k - k0);
    const pa = a + <usize>k0 * acs;
    const pb = b + <usize>k0 * nb;
    const add = k0 > 0;
    let i = m0;
    for (; i + 4 <= m1; i += 4) gemmRows4(pa + <usize>i * ars, ars, acs, pb, c + <usize>i * nb, kk, n, add);
    for (; i < m1; i++) gemmRow1(pa + <usize>i * ars, acs, pb, c + <usize>i * nb, kk, n, add);
    k0 += KC;
  } while (k0 < k);
}

// ---------------------------------------------------------------------------------------
// Per-play loops over a batch in CSR form: row r's entries are p in indptr[r]..indptr[r+1],
// entry p names weight row idx[p] and carries val[p].

/** dst[r] (+)= Σ_p val[p] · src[idx[p]] for rows r0..r1−1 (zeroed first unless `accumulate`). */
export function gatherRows(
  r0: u32,
  r1: u32,
  indptr: usize,
  idx: usize,
  val: usize,
  src: usize,
  dst: usize,
  rowBytes: usize,
  accumulate: u32,
): void {
  for (let r = r0; r < r1; r++) {
    const d = dst + <usize>r * rowBytes;
    if (!accumulate) zeroRow(d, rowBytes);
    const pEnd = at(indptr, r + 1);
    for (let p = at(indptr, r); p < pEnd; p++)
      axpyRow(d, src + <usize>at(idx, p) * rowBytes, f32x4.splat(valueAt(val, p)), rowBytes);
  }
}

/** out[p] = a[r] · b[idx[p]] + bias[idx[p]] for the entries of rows r0..r1−1. */
export function dotRows(
  r0: u32,
  r1: u32,
  indptr: usize,
  idx: usize,
  a: usize,
  b: usize,
  bias: usize,
  out: usize,
  rowBytes: usize,
): void {
  for (let r = r0; r < r1; r++) {
    const aRow = a + <usize>r * rowBytes;
    const pEnd = at(indptr, r + 1);
    for (let p = at(indptr, r); p < pEnd; p++) {
      const c = at(idx, p);
      store<f32>(out + ((<usize>p) << 2), dotRow(aRow, b + <usize>c * rowBytes, rowBytes) + valueAt(bias, c));
    }
  }
}

/**
 * dst[idx[p]] += val[p] · src[r] for every entry of rows 0..nRows−1 whose idx[p] is in
 * [lo, hi): the weight rows of one item range, so threads given disjoint ranges never write
 * the same row. Entries are added in row order whatever the ranges.
 */
export function scatterRows(
  lo: u32,
  hi: u32,
  nRows: u32,
  indptr: usize,
  idx: usize,
  val: usize,
  src: usize,
  dst: usize,
  rowBytes: usize,
): void {
  for (let r: u32 = 0; r < nRows; r++) {
    const sRow = src + <usize>r * rowBytes;
    const pEnd = at(indptr, r + 1);
    for (let p = at(indptr, r); p < pEnd; p++) {
      const c = at(idx, p);
      if (c >= lo && c < hi) axpyRow(dst + <usize>c * rowBytes, sRow, f32x4.splat(valueAt(val, p)), rowBytes);
    }
  }
}

/** dst[s] = src[list[s]] for s in s0..s1−1 (rows of `rowBytes`). */
export function gatherList(s0: u32, s1: u32, list: usize, src: usize, dst: usize, rowBytes: usize): void {
  for (let s = s0; s < s1; s++)
    memory.copy(dst + <usize>s * rowBytes, src + <usize>at(list, s) * rowBytes, rowBytes);
}

/** dst[list[s]] += src[s] for s in s0..s1−1 (list entries distinct). */
export function addListRows(s0: u32, s1: u32, list: usize, src: usize, dst: usize, rowBytes: usize): void {
  for (let s = s0; s < s1; s++)
    axpyRow(dst + <usize>at(list, s) * rowBytes, src + <usize>s * rowBytes, f32x4.splat(1), rowBytes);
}

// ---------------------------------------------------------------------------------------
// Adam with L2: g ← g + coef·p; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g·g;
// p ← p − lr·m / (√v + ε); g ← 0. Returns Σ p² before the step (in f64, element order) when
// coef ≠ 0, else 0.

/** Adam on floats [from, to) of p (byte offsets into every array), four lanes then the tail. */
function adamSpan(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  from: usize,
  to: usize,
  coef: f32,
  lr: f32,
  beta1: f32,
  beta1c: f32,
  beta2: f32,
  beta2c: f32,
  eps: f32,
): f64 {
  const c = f32x4.splat(coef);
  const b1 = f32x4.splat(beta1);
  const b1c = f32x4.splat(beta1c);
  const b2 = f32x4.splat(beta2);
  const b2c = f32x4.splat(beta2c);
  const vlr = f32x4.splat(lr);
  const veps = f32x4.splat(eps);
  let sum: f64 = 0;
  let j = from;
  for (; j + 16 <= to; j += 16) {
    const pv = v128.load(p + j);
    let gv = v128.load(g + j);
    if (coef !== 0) {
      const p0 = <f64>f32x4.extract_lane(pv, 0);
      const p1 = <f64>f32x4.extract_lane(pv, 1);
      const p2 = <f64>f32x4.extract_lane(pv, 2);
      const p3 = <f64>f32x4.extract_lane(pv, 3);
      sum = sum + p0 * p0 + p1 * p1 + p2 * p2 + p3 * p3;
      gv = f32x4.add(gv, f32x4.mul(c, pv));
    }
    const mv = f32x4.add(f32x4.mul(b1, v128.load(m + j)), f32x4.mul(b1c, gv));
    const vv = f32x4.add(f32x4.mul(b2, v128.load(v + j)), f32x4.mul(f32x4.mul(b2c, gv), gv));
    v128.store(m + j, mv);
    v128.store(v + j, vv);
    v128.store(p + j, f32x4.sub(pv, f32x4.div(f32x4.mul(vlr, mv), f32x4.add(f32x4.sqrt(vv), veps))));
    v128.store(g + j, f32x4.splat(0));
  }
  for (; j < to; j += 4) {
    const pv = load<f32>(p + j);
    let gv = load<f32>(g + j);
    if (coef !== 0) {
      sum += <f64>pv * <f64>pv;
      gv += coef * pv;
    }
    const mv = beta1 * load<f32>(m + j) + beta1c * gv;
    const vv = beta2 * load<f32>(v + j) + beta2c * gv * gv;
    store<f32>(m + j, mv);
    store<f32>(v + j, vv);
    store<f32>(p + j, pv - (lr * mv) / (Mathf.sqrt(vv) + eps));
    store<f32>(g + j, 0);
  }
  return sum;
}

/** Adam on the floats e0..e1−1 of a weight (p, g, m, v its four arrays). */
export function adamRange(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  e0: u32,
  e1: u32,
  coef: f32,
  lr: f32,
  beta1: f32,
  beta1c: f32,
  beta2: f32,
  beta2c: f32,
  eps: f32,
): f64 {
  return adamSpan(
    p,
    g,
    m,
    v,
    (<usize>e0) << 2,
    (<usize>e1) << 2,
    coef,
    lr,
    beta1,
    beta1c,
    beta2,
    beta2c,
    eps,
  );
}

/** Adam on rows list[t], t in t0..t1−1, of a weight with rows of `width` floats. */
export function adamRows(
  t0: u32,
  t1: u32,
  list: usize,
  width: u32,
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  coef: f32,
  lr: f32,
  beta1: f32,
  beta1c: f32,
  beta2: f32,
  beta2c: f32,
  eps: f32,
): f64 {
  const rowBytes = (<usize>width) << 2;
  let sum: f64 = 0;
  for (let t = t0; t < t1; t++) {
    const from = <usize>at(list, t) * rowBytes;
    sum += adamSpan(p, g, m, v, from, from + rowBytes, coef, lr, beta1, beta1c, beta2, beta2c, eps);
  }
  return sum;
}
