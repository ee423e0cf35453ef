/**
 * Implicit ALS's row kernels in AssemblyScript, compiled to WebAssembly SIMD (f32x4): the
 * float32 twins of the typed-array kernels in src/models/ials-solver.ts, which are their
 * executable specification (the maths is documented there; src/models/ials-kernels.test.ts
 * checks these against them on random systems).
 *
 * Conventions: every pointer is a byte offset into the imported memory; index arrays are u32,
 * confidences f32, `done` one byte per row. Factor rows and the k × k matrices (G = YᵀY + λI,
 * G⁻¹, one row per factor) are `rowBytes` long, a positive multiple of 32 (8 floats), with the
 * padding lanes zero: a zero-padded factor stays zero under every kernel, so the padded
 * problem is the unpadded one. `scratch` is a thread's own area (see each kernel).
 *
 * The compiled bytes are committed in src/engine/ials-wasm.ts; after editing this file run
 * `npm run build:kernels` (a test fails while the two disagree).
 */

import { at, axpyRow, dotRow, lanesSum, valueAt, zeroRow } from './rows';

/**
 * out = M v for a symmetric M (rows of `rowBytes`): Σ_c v[c] · M[c], four rows of M per pass
 * over `out` (the first pass writes, the others add), so no lane sums are needed.
 */
function symMatVec(m: usize, v: usize, out: usize, rowBytes: usize): void {
  let c: usize = 0;
  do {
    const v0 = f32x4.splat(load<f32>(v + c));
    const v1 = f32x4.splat(load<f32>(v + c, 4));
    const v2 = f32x4.splat(load<f32>(v + c, 8));
    const v3 = f32x4.splat(load<f32>(v + c, 12));
    const m0 = m + (c >> 2) * rowBytes;
    const m1 = m0 + rowBytes;
    const m2 = m1 + rowBytes;
    const m3 = m2 + rowBytes;
    let j: usize = 0;
    do {
      const s = f32x4.add(
        f32x4.add(f32x4.mul(v0, v128.load(m0 + j)), f32x4.mul(v1, v128.load(m1 + j))),
        f32x4.add(f32x4.mul(v2, v128.load(m2 + j)), f32x4.mul(v3, v128.load(m3 + j))),
      );
      v128.store(out + j, c === 0 ? s : f32x4.add(v128.load(out + j), s));
      j += 16;
    } while (j < rowBytes);
    c += 16;
  } while (c < rowBytes);
}

/**
 * Conjugate-gradient least squares for rows r0..r1−1 (see `ialsCgRows`): `cgSteps` steps
 * warm-started from x_u, rows without entries set to zero, rows with done[u] = 1 skipped.
 * Returns the rows' share of the objective, Σ_u (ΣC − xᵀb − xᵀr). Scratch: 4 rows.
 */
export function ialsCg(
  indptr: usize,
  indices: usize,
  conf: usize,
  x: usize,
  y: usize,
  g: usize,
  rowBytes: usize,
  r0: u32,
  r1: u32,
  cgSteps: u32,
  done: usize,
  scratch: usize,
): f64 {
  const r = scratch;
  const p = r + rowBytes;
  const ap = p + rowBytes;
  const b = ap + rowBytes;
  let loss: f64 = 0;
  for (let u = r0; u < r1; u++) {
    const start = at(indptr, u);
    const end = at(indptr, u + 1);
    const xu = x + u * rowBytes;
    if (start === end) {
      zeroRow(xu, rowBytes);
      continue;
    }
    if (load<u8>(done + u) !== 0) continue;
    // r = b − A x: −G x, then each entry's C y − (C − 1)(y·x) y; b = Σ C y alongside.
    symMatVec(g, xu, ap, rowBytes);
    let j: usize = 0;
    do {
      v128.store(r + j, f32x4.neg(v128.load(ap + j)));
      v128.store(b + j, f32x4.splat(0));
      j += 16;
    } while (j < rowBytes);
    let confSum: f32 = 0;
    for (let q = start; q < end; q++) {
      const yq = y + at(indices, q) * rowBytes;
      const c = valueAt(conf, q);
      confSum += c;
      const t = f32x4.splat(c - (c - 1) * dotRow(yq, xu, rowBytes));
      const cv = f32x4.splat(c);
      j = 0;
      do {
        const yv = v128.load(yq + j);
        v128.store(r + j, f32x4.add(v128.load(r + j), f32x4.mul(t, yv)));
        v128.store(b + j, f32x4.add(v128.load(b + j), f32x4.mul(cv, yv)));
        j += 16;
      } while (j < rowBytes);
    }
    let rsOld = dotRow(r, r, rowBytes);
    memory.copy(p, r, rowBytes);
    for (let step: u32 = 0; step < cgSteps && rsOld >= 1e-20; step++) {
      // ap = A p
      symMatVec(g, p, ap, rowBytes);
      for (let q = start; q < end; q++) {
        const yq = y + at(indices, q) * rowBytes;
        axpyRow(ap, yq, f32x4.splat((valueAt(conf, q) - 1) * dotRow(yq, p, rowBytes)), rowBytes);
      }
      const alpha = f32x4.splat(rsOld / dotRow(p, ap, rowBytes));
      // x += α p, r −= α ap, rsNew = r·r
      let acc = f32x4.splat(0);
      j = 0;
      do {
        v128.store(xu + j, f32x4.add(v128.load(xu + j), f32x4.mul(alpha, v128.load(p + j))));
        const rv = f32x4.sub(v128.load(r + j), f32x4.mul(alpha, v128.load(ap + j)));
        v128.store(r + j, rv);
        acc = f32x4.add(acc, f32x4.mul(rv, rv));
        j += 16;
      } while (j < rowBytes);
      const rsNew = lanesSum(acc);
      const beta = f32x4.splat(rsNew / rsOld);
      j = 0;
      do {
        v128.store(p + j, f32x4.add(v128.load(r + j), f32x4.mul(beta, v128.load(p + j))));
        j += 16;
      } while (j < rowBytes);
      rsOld = rsNew;
    }
    loss += <f64>confSum - <f64>dotRow(xu, b, rowBytes) - <f64>dotRow(xu, r, rowBytes);
  }
  return loss;
}

/**
 * g += Σ_t y_{list[t]} y_{list[t]}ᵀ for t in t0..t1−1 (see `gramRows`), four rows per pass
 * over g. Only the upper triangle is complete (each row a of g from the 4-float block holding
 * column a on); the caller mirrors it. Returns the number of rows summed.
 */
export function gramRows(list: usize, t0: u32, t1: u32, y: usize, rowBytes: usize, g: usize): u32 {
  let t = t0;
  for (; t + 4 <= t1; t += 4) {
    const y0 = y + at(list, t) * rowBytes;
    const y1 = y + at(list, t + 1) * rowBytes;
    const y2 = y + at(list, t + 2) * rowBytes;
    const y3 = y + at(list, t + 3) * rowBytes;
    for (let a: usize = 0; a < rowBytes; a += 4) {
      const s0 = f32x4.splat(load<f32>(y0 + a));
      const s1 = f32x4.splat(load<f32>(y1 + a));
      const s2 = f32x4.splat(load<f32>(y2 + a));
      const s3 = f32x4.splat(load<f32>(y3 + a));
      const ga = g + (a >> 2) * rowBytes;
      for (let j = a & ~15; j < rowBytes; j += 16) {
        const s = f32x4.add(
          f32x4.add(f32x4.mul(s0, v128.load(y0 + j)), f32x4.mul(s1, v128.load(y1 + j))),
          f32x4.add(f32x4.mul(s2, v128.load(y2 + j)), f32x4.mul(s3, v128.load(y3 + j))),
        );
        v128.store(ga + j, f32x4.add(v128.load(ga + j), s));
      }
    }
  }
  for (; t < t1; t++) {
    const y0 = y + at(list, t) * rowBytes;
    for (let a: usize = 0; a < rowBytes; a += 4) {
      const s0 = f32x4.splat(load<f32>(y0 + a));
      const ga = g + (a >> 2) * rowBytes;
      for (let j = a & ~15; j < rowBytes; j += 16)
        v128.store(ga + j, f32x4.add(v128.load(ga + j), f32x4.mul(s0, v128.load(y0 + j))));
    }
  }
  return t1 - t0;
}

/** dst[r] = M src[r] for rows r0..r1−1 (M symmetric, e.g. G⁻¹; see `multiplyRows`). Returns the row count. */
export function multiplyRows(src: usize, m: usize, rowBytes: usize, r0: u32, r1: u32, dst: usize): u32 {
  for (let r = r0; r < r1; r++) symMatVec(m, src + r * rowBytes, dst + r * rowBytes, rowBytes);
  return r1 - r0;
}

/**
 * Exact least squares by the Woodbury identity for rows r0..r1−1 with 1..maxEntries entries,
 * all with a confidence > 1 (see `ialsExactRows`); sets done[u] = 1 for each row solved and
 * returns their share of the objective. `w` holds the rows G⁻¹ y_j. The small n × n system is
 * solved in float64. Scratch: maxEntries² + 2·maxEntries float64s.
 */
export function ialsExact(
  indptr: usize,
  indices: usize,
  conf: usize,
  x: usize,
  y: usize,
  w: usize,
  rowBytes: usize,
  r0: u32,
  r1: u32,
  maxEntries: u32,
  done: usize,
  scratch: usize,
): f64 {
  const s = scratch;
  const c = s + ((<usize>maxEntries * maxEntries) << 3);
  const v = c + ((<usize>maxEntries) << 3);
  let loss: f64 = 0;
  for (let u = r0; u < r1; u++) {
    const start = at(indptr, u);
    const n = at(indptr, u + 1) - start;
    if (n === 0 || n > maxEntries) continue;
    let usable = true;
    for (let a: u32 = 0; a < n; a++) {
      const ca = <f64>valueAt(conf, start + a);
      store<f64>(c + (a << 3), ca);
      store<f64>(v + (a << 3), 0);
      if (!(ca > 1)) usable = false;
    }
    if (!usable) continue;
    // S = D⁻¹ + M (lower triangle), v = M c.
    for (let a: u32 = 0; a < n; a++) {
      const wa = w + at(indices, start + a) * rowBytes;
      const ca = load<f64>(c + (a << 3));
      let va = load<f64>(v + (a << 3));
      for (let b: u32 = 0; b < a; b++) {
        const m = <f64>dotRow(wa, y + at(indices, start + b) * rowBytes, rowBytes);
        store<f64>(s + ((a * n + b) << 3), m);
        va += m * load<f64>(c + (b << 3));
        store<f64>(v + (b << 3), load<f64>(v + (b << 3)) + m * ca);
      }
      const m = <f64>dotRow(wa, y + at(indices, start + a) * rowBytes, rowBytes);
      store<f64>(s + ((a * n + a) << 3), m + 1 / (ca - 1));
      store<f64>(v + (a << 3), va + m * ca);
    }
    // Cholesky of S in place (lower), then S⁻¹ v.
    for (let j: u32 = 0; j < n && usable; j++) {
      let d = load<f64>(s + ((j * n + j) << 3));
      for (let q: u32 = 0; q < j; q++) {
        const l = load<f64>(s + ((j * n + q) << 3));
        d -= l * l;
      }
      if (!(d > 0)) {
        usable = false;
        break;
      }
      const l = sqrt<f64>(d);
      store<f64>(s + ((j * n + j) << 3), l);
      for (let i = j + 1; i < n; i++) {
        let t = load<f64>(s + ((i * n + j) << 3));
        for (let q: u32 = 0; q < j; q++)
          t -= load<f64>(s + ((i * n + q) << 3)) * load<f64>(s + ((j * n + q) << 3));
        store<f64>(s + ((i * n + j) << 3), t / l);
      }
    }
    if (!usable) continue;
    for (let i: u32 = 0; i < n; i++) {
      let t = load<f64>(v + (i << 3));
      for (let q: u32 = 0; q < i; q++) t -= load<f64>(s + ((i * n + q) << 3)) * load<f64>(v + (q << 3));
      store<f64>(v + (i << 3), t / load<f64>(s + ((i * n + i) << 3)));
    }
    for (let i = <i32>n - 1; i >= 0; i--) {
      let t = load<f64>(v + (i << 3));
      for (let q = <u32>i + 1; q < n; q++)
        t -= load<f64>(s + ((q * n + <u32>i) << 3)) * load<f64>(v + (q << 3));
      store<f64>(v + (i << 3), t / load<f64>(s + ((<u32>i * n + <u32>i) << 3)));
    }
    // x = Wᵀ (c − S⁻¹ M c), then the row's loss at the exact solution: ΣC − xᵀb, b = Σ C y.
    const xu = x + u * rowBytes;
    zeroRow(xu, rowBytes);
    for (let a: u32 = 0; a < n; a++) {
      const z = <f32>(load<f64>(c + (a << 3)) - load<f64>(v + (a << 3)));
      axpyRow(xu, w + at(indices, start + a) * rowBytes, f32x4.splat(z), rowBytes);
    }
    for (let a: u32 = 0; a < n; a++) {
      const ca = load<f64>(c + (a << 3));
      loss += ca - ca * <f64>dotRow(xu, y + at(indices, start + a) * rowBytes, rowBytes);
    }
    store<u8>(done + u, 1);
  }
  return loss;
}
