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
//
// Blocked as GotoBLAS: the inner dimension in blocks of KC and the columns in blocks of NC; each
// KC × NC block of B is first copied into `pack` as 8-column panels (KC rows of 8 contiguous
// floats), which stay in the core's L2 cache while every row block of C passes over them; a
// 4 × 8 tile of C runs down one panel with its A rows in L1. C holds the partial sums between
// inner-dimension blocks, exactly as the accumulators would, so the blocking changes no bit.

/** Inner-dimension block: rows of B per packed block. */
const KC: u32 = 128;
/** Column block: columns of B per packed block (a multiple of 8); KC × NC floats = 128 KB. */
const NC: u32 = 256;

/** A 4 × 8 tile of C (at pc, rows nb bytes apart) over kk steps of a packed panel (32 bytes a step). */
function tile4(
  pa: usize,
  ars: usize,
  acs: usize,
  panel: usize,
  pc: usize,
  nb: usize,
  kk: u32,
  add: bool,
): void {
  let c00 = add ? v128.load(pc) : f32x4.splat(0);
  let c01 = add ? v128.load(pc, 16) : f32x4.splat(0);
  let c10 = add ? v128.load(pc + nb) : f32x4.splat(0);
  let c11 = add ? v128.load(pc + nb, 16) : f32x4.splat(0);
  let c20 = add ? v128.load(pc + 2 * nb) : f32x4.splat(0);
  let c21 = add ? v128.load(pc + 2 * nb, 16) : f32x4.splat(0);
  let c30 = add ? v128.load(pc + 3 * nb) : f32x4.splat(0);
  let c31 = add ? v128.load(pc + 3 * nb, 16) : f32x4.splat(0);
  let q0 = pa;
  let q1 = pa + ars;
  let q2 = pa + 2 * ars;
  let q3 = pa + 3 * ars;
  let pb = panel;
  for (let p: u32 = 0; p < kk; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(q0);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(q1);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(q2);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(q3);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    pb += 32;
    q0 += acs;
    q1 += acs;
    q2 += acs;
    q3 += acs;
  }
  v128.store(pc, c00);
  v128.store(pc, c01, 16);
  v128.store(pc + nb, c10);
  v128.store(pc + nb, c11, 16);
  v128.store(pc + 2 * nb, c20);
  v128.store(pc + 2 * nb, c21, 16);
  v128.store(pc + 3 * nb, c30);
  v128.store(pc + 3 * nb, c31, 16);
}

/** A 1 × 8 tile (the rows left over after blocks of four). */
function tile1(pa: usize, acs: usize, panel: usize, pc: usize, kk: u32, add: bool): void {
  let c0 = add ? v128.load(pc) : f32x4.splat(0);
  let c1 = add ? v128.load(pc, 16) : f32x4.splat(0);
  let q0 = pa;
  let pb = panel;
  for (let p: u32 = 0; p < kk; p++) {
    const a0 = v128.load32_splat(q0);
    c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(pb, 16)));
    pb += 32;
    q0 += acs;
  }
  v128.store(pc, c0);
  v128.store(pc, c1, 16);
}

/** One column of C (at pc) for `rows` rows (1 or 4), from B unpacked (its column at pb, rows nb apart). */
function column(
  pa: usize,
  ars: usize,
  acs: usize,
  pb: usize,
  pc: usize,
  nb: usize,
  kk: u32,
  add: bool,
  rows: u32,
): void {
  for (let r: u32 = 0; r < rows; r++) {
    let s: f32 = add ? load<f32>(pc + r * nb) : 0;
    let q = pa + r * ars;
    let b = pb;
    for (let p: u32 = 0; p < kk; p++) {
      s += load<f32>(q) * load<f32>(b);
      q += acs;
      b += nb;
    }
    store<f32>(pc + r * nb, s);
  }
}

/**
 * C[m0..m1) = A · B (see above); overwrites those rows of C. `pack` is this call's own scratch
 * of KC × NC floats (threads must not share one).
 */
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
  pack: usize,
): void {
  const nb = (<usize>n) << 2;
  let k0: u32 = 0;
  do {
    const kk = min(KC, k - k0);
    const pa = a + <usize>k0 * acs;
    const bRows = b + <usize>k0 * nb;
    const add = k0 > 0;
    for (let j0: u32 = 0; j0 < n; j0 += NC) {
      const nn = min(NC, n - j0);
      const panels = nn >> 3;
      const panelBytes = (<usize>kk) << 5;
      for (let q: u32 = 0; q < panels; q++) {
        let src = bRows + ((<usize>(j0 + (q << 3))) << 2);
        let dst = pack + <usize>q * panelBytes;
        for (let p: u32 = 0; p < kk; p++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += nb;
          dst += 32;
        }
      }
      const jTail = j0 + (panels << 3);
      let i = m0;
      for (; i + 4 <= m1; i += 4) {
        const ai = pa + <usize>i * ars;
        const ci = c + <usize>i * nb;
        for (let q: u32 = 0; q < panels; q++)
          tile4(
            ai,
            ars,
            acs,
            pack + <usize>q * panelBytes,
            ci + ((<usize>(j0 + (q << 3))) << 2),
            nb,
            kk,
            add,
          );
        for (let j = jTail; j < j0 + nn; j++)
          column(ai, ars, acs, bRows + ((<usize>j) << 2), ci + ((<usize>j) << 2), nb, kk, add, 4);
      }
      for (; i < m1; i++) {
        const ai = pa + <usize>i * ars;
        const ci = c + <usize>i * nb;
        for (let q: u32 = 0; q < panels; q++)
          tile1(ai, acs, pack + <usize>q * panelBytes, ci + ((<usize>(j0 + (q << 3))) << 2), kk, add);
        for (let j = jTail; j < j0 + nn; j++)
          column(ai, ars, acs, bRows + ((<usize>j) << 2), ci + ((<usize>j) << 2), nb, kk, add, 1);
      }
    }
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

// ---------------------------------------------------------------------------------------
// Element-wise steps in float64, with this module's own exp and tanh (below; no lookup tables:
// a table would be a data segment written into the arena at instantiation). The twins repeat
// them operation for operation, so these kernels too agree bit for bit.

const LN2_HI: f64 = 0.6931471803691238;
const LN2_LO: f64 = 1.9082149292705877e-10;
const INV_LN2: f64 = Math.LOG2E;

/** 2^k for an integer k in −1075…1024, from its bits (two factors below the normal range). */
function pow2(k: f64): f64 {
  if (k < -1020)
    return reinterpret<f64>((<u64>(<i64>k + 1023 + 60)) << 52) * reinterpret<f64>((<u64>(1023 - 60)) << 52);
  return reinterpret<f64>((<u64>(<i64>k + 1023)) << 52);
}

/**
 * e^x: x = k ln 2 + r, |r| ≤ ½ ln 2, e^r by its Taylor series to r¹³ (relative error < 1e-16);
 * 0 below −745, ∞ above 709 (the kernels pass x ≤ 40).
 */
function expF64(x: f64): f64 {
  if (x < -745) return 0;
  if (x > 709) return Infinity;
  const k = Math.floor(x * INV_LN2 + 0.5);
  const r = x - k * LN2_HI - k * LN2_LO;
  let p: f64 = 1.0 / 6227020800.0;
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  return p * pow2(k);
}

/** tanh x: its odd series below 1/16, else 1 − 2 / (e^{2|x|} + 1) with the sign of x. */
function tanhF64(x: f64): f64 {
  const a = Math.abs(x);
  if (a > 20) return x < 0 ? -1.0 : 1.0;
  if (a < 0.0625) {
    const x2 = x * x;
    return (
      x +
      x *
        x2 *
        (-1.0 / 3.0 +
          x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0 + x2 * (62.0 / 2835.0 + x2 * (-1382.0 / 155925.0)))))
    );
  }
  const t = 1 - 2 / (expF64(2 * a) + 1);
  return x < 0 ? -t : t;
}

/** x[r][j] = tanh(x[r][j] + bias[j]) for rows r0..r1−1 of `cols` floats (sum and tanh in f64). */
export function tanhRows(r0: u32, r1: u32, x: usize, bias: usize, cols: u32): void {
  for (let r = r0; r < r1; r++) {
    const row = x + <usize>r * ((<usize>cols) << 2);
    for (let j: u32 = 0; j < cols; j++) {
      const o = row + ((<usize>j) << 2);
      store<f32>(o, <f32>tanhF64(<f64>load<f32>(o) + <f64>valueAt(bias, j)));
    }
  }
}

/**
 * The sampled softmax's gradient for listeners b0..b1−1 (see `sampledSoftmaxLoss` in
 * mult-vae-dense.ts, whose passes this repeats per listener): negT is S × B candidate-major
 * (played negatives already −∞), corr[s] the negatives' log corrections, pos[p] the listeners'
 * own logits at their plays start[b]..start[b+1]. Overwrites negT's and pos's entries of those
 * listeners with ∂loss/∂f; writes each listener's max logit m_b and Σ e^{f − m_b} to scratch
 * (f64, at 0 and at b1 − b0; 3·(b1 − b0) f64 in all), so the caller adds n_b (m_b + log Σ);
 * returns −Σ_b Σ_p f_bp over them.
 */
export function sampledSoftmaxCols(
  b0: u32,
  b1: u32,
  S: u32,
  B: u32,
  negT: usize,
  corr: usize,
  start: usize,
  pos: usize,
  scratch: usize,
): f64 {
  const nb = b1 - b0;
  const maxAt = scratch;
  const sumAt = scratch + ((<usize>nb) << 3);
  const scaleAt = sumAt + ((<usize>nb) << 3);
  const rowBytes = (<usize>B) << 2;
  for (let b: u32 = 0; b < nb; b++) {
    store<f64>(maxAt + ((<usize>b) << 3), -Infinity);
    store<f64>(sumAt + ((<usize>b) << 3), 0);
  }
  for (let s: u32 = 0; s < S; s++) {
    const row = negT + <usize>s * rowBytes;
    const c = <f64>valueAt(corr, s);
    for (let b = b0; b < b1; b++) {
      const g = <f64>load<f32>(row + ((<usize>b) << 2)) + c;
      const m = maxAt + ((<usize>(b - b0)) << 3);
      if (g > load<f64>(m)) store<f64>(m, g);
    }
  }
  let loss: f64 = 0;
  for (let b = b0; b < b1; b++) {
    const m = maxAt + ((<usize>(b - b0)) << 3);
    const pEnd = at(start, b + 1);
    for (let p = at(start, b); p < pEnd; p++) {
      const f = <f64>valueAt(pos, p);
      if (f > load<f64>(m)) store<f64>(m, f);
      loss -= f;
    }
  }
  for (let s: u32 = 0; s < S; s++) {
    const row = negT + <usize>s * rowBytes;
    const c = <f64>valueAt(corr, s);
    for (let b = b0; b < b1; b++) {
      const o = row + ((<usize>b) << 2);
      const k = (<usize>(b - b0)) << 3;
      const e = expF64(<f64>load<f32>(o) + c - load<f64>(maxAt + k));
      store<f32>(o, <f32>e);
      store<f64>(sumAt + k, load<f64>(sumAt + k) + e);
    }
  }
  for (let b = b0; b < b1; b++) {
    const k = (<usize>(b - b0)) << 3;
    const pEnd = at(start, b + 1);
    for (let p = at(start, b); p < pEnd; p++) {
      const o = pos + ((<usize>p) << 2);
      const e = expF64(<f64>load<f32>(o) - load<f64>(maxAt + k));
      store<f32>(o, <f32>e);
      store<f64>(sumAt + k, load<f64>(sumAt + k) + e);
    }
  }
  // Each listener's scale n_b / Σ / B.
  for (let b = b0; b < b1; b++) {
    const k = (<usize>(b - b0)) << 3;
    const n = <f64>(at(start, b + 1) - at(start, b));
    store<f64>(scaleAt + k, n > 0 ? n / load<f64>(sumAt + k) / <f64>B : 0);
  }
  for (let s: u32 = 0; s < S; s++) {
    const row = negT + <usize>s * rowBytes;
    for (let b = b0; b < b1; b++) {
      const o = row + ((<usize>b) << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) * load<f64>(scaleAt + ((<usize>(b - b0)) << 3))));
    }
  }
  const inv = 1 / <f64>B;
  for (let b = b0; b < b1; b++) {
    const scale = load<f64>(scaleAt + ((<usize>(b - b0)) << 3));
    const pEnd = at(start, b + 1);
    for (let p = at(start, b); p < pEnd; p++) {
      const o = pos + ((<usize>p) << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) * scale - inv));
    }
  }
  return loss;
}

// ---------------------------------------------------------------------------------------
// Ranking: the decoder's logits listener-major, straight from the item-major W₄.

/** Listeners whose rows stay in L2 while a thread's items pass over them (128 × 600 floats = 300 KB). */
const SCORE_LISTENERS: u32 = 128;

/** f32x4 accumulator of x[j] · y[j] over one row, four floats a step (lane l: j ≡ l mod 4). */
function dotLanes(x: usize, y: usize, rowBytes: usize): v128 {
  let acc = f32x4.splat(0);
  let j: usize = 0;
  do {
    acc = f32x4.add(acc, f32x4.mul(v128.load(x + j), v128.load(y + j)));
    j += 16;
  } while (j < rowBytes);
  return acc;
}

/** ((lane 0 + lane 1) + lane 2) + lane 3 + bias: one logit from its accumulator. */
function logit(acc: v128, bias: f32): f32 {
  return (
    f32x4.extract_lane(acc, 0) +
    f32x4.extract_lane(acc, 1) +
    f32x4.extract_lane(acc, 2) +
    f32x4.extract_lane(acc, 3) +
    bias
  );
}

/**
 * out[b·n + i] = h[b] · w[i] + bias[i] for items i in i0..i1−1 and listeners b in 0..nb−1:
 * the logits of nb listeners (rows of h) over the catalogue (rows of w, n of them), written
 * listener-major — h · Wᵀ with both operands row-major, so the item-major W₄ needs no
 * transpose. Each logit is one f32x4 accumulator over its row (lane l takes j ≡ l mod 4), its
 * lanes summed in order, then the bias: the same bits whatever the tiling or the item ranges.
 * Tiles of 4 items × 2 listeners (eight accumulators; each loaded vector used twice or four
 * times), listeners in blocks of SCORE_LISTENERS so their rows stay in L2.
 */
export function scoreItems(
  i0: u32,
  i1: u32,
  nb: u32,
  h: usize,
  w: usize,
  bias: usize,
  out: usize,
  n: u32,
  rowBytes: usize,
): void {
  const outRow = (<usize>n) << 2;
  for (let b0: u32 = 0; b0 < nb; b0 += SCORE_LISTENERS) {
    const b1 = min(nb, b0 + SCORE_LISTENERS);
    let i = i0;
    for (; i + 4 <= i1; i += 4) {
      const w0 = w + <usize>i * rowBytes;
      const w1 = w0 + rowBytes;
      const w2 = w1 + rowBytes;
      const w3 = w2 + rowBytes;
      const bi0 = valueAt(bias, i);
      const bi1 = valueAt(bias, i + 1);
      const bi2 = valueAt(bias, i + 2);
      const bi3 = valueAt(bias, i + 3);
      let b = b0;
      for (; b + 2 <= b1; b += 2) {
        const x = h + <usize>b * rowBytes;
        const y = x + rowBytes;
        let a00 = f32x4.splat(0);
        let a01 = f32x4.splat(0);
        let a02 = f32x4.splat(0);
        let a03 = f32x4.splat(0);
        let a10 = f32x4.splat(0);
        let a11 = f32x4.splat(0);
        let a12 = f32x4.splat(0);
        let a13 = f32x4.splat(0);
        let j: usize = 0;
        do {
          const hx = v128.load(x + j);
          const hy = v128.load(y + j);
          const v0 = v128.load(w0 + j);
          a00 = f32x4.add(a00, f32x4.mul(hx, v0));
          a10 = f32x4.add(a10, f32x4.mul(hy, v0));
          const v1 = v128.load(w1 + j);
          a01 = f32x4.add(a01, f32x4.mul(hx, v1));
          a11 = f32x4.add(a11, f32x4.mul(hy, v1));
          const v2 = v128.load(w2 + j);
          a02 = f32x4.add(a02, f32x4.mul(hx, v2));
          a12 = f32x4.add(a12, f32x4.mul(hy, v2));
          const v3 = v128.load(w3 + j);
          a03 = f32x4.add(a03, f32x4.mul(hx, v3));
          a13 = f32x4.add(a13, f32x4.mul(hy, v3));
          j += 16;
        } while (j < rowBytes);
        const ox = out + <usize>b * outRow + ((<usize>i) << 2);
        store<f32>(ox, logit(a00, bi0));
        store<f32>(ox, logit(a01, bi1), 4);
        store<f32>(ox, logit(a02, bi2), 8);
        store<f32>(ox, logit(a03, bi3), 12);
        const oy = ox + outRow;
        store<f32>(oy, logit(a10, bi0));
        store<f32>(oy, logit(a11, bi1), 4);
        store<f32>(oy, logit(a12, bi2), 8);
        store<f32>(oy, logit(a13, bi3), 12);
      }
      for (; b < b1; b++) {
        const x = h + <usize>b * rowBytes;
        const o = out + <usize>b * outRow + ((<usize>i) << 2);
        store<f32>(o, logit(dotLanes(x, w0, rowBytes), bi0));
        store<f32>(o, logit(dotLanes(x, w1, rowBytes), bi1), 4);
        store<f32>(o, logit(dotLanes(x, w2, rowBytes), bi2), 8);
        store<f32>(o, logit(dotLanes(x, w3, rowBytes), bi3), 12);
      }
    }
    for (; i < i1; i++) {
      const wi = w + <usize>i * rowBytes;
      const bi = valueAt(bias, i);
      for (let b = b0; b < b1; b++)
        store<f32>(
          out + <usize>b * outRow + ((<usize>i) << 2),
          logit(dotLanes(h + <usize>b * rowBytes, wi, rowBytes), bi),
        );
    }
  }
}
