/**
 * The two kernels of implicit ALS training, written as self-contained functions (no imports,
 * no module-level names, helpers nested inside) so that a worker thread can rebuild them from
 * their source text (`Function.prototype.toString`) and run them on shared memory — see
 * `engine/function-pool.ts`. Rows are user-major or item-major CSR with the confidence of each
 * stored entry in `conf`; factors are row-major Float32Arrays with `k` floats per row.
 *
 * Hand-written loops rather than a BLAS because none runs in both Node and the browser without
 * native code; the k × k products are unrolled by four (independent sums) as in `svd.ts`.
 */

/**
 * Conjugate-gradient least squares for rows r0..r1−1 (Takács, Pilászy & Tikk 2011, as
 * implicit's `_least_squares_cg`): for each row u with entries i and confidences C_ui it
 * improves the warm start x_u of
 *
 *     A x_u = b,   A = G + Σ_i (C_ui − 1) y_i y_iᵀ,   b = Σ_i C_ui y_i,   G = YᵀY + λI
 *
 * by `cgSteps` CG steps, never forming the k × k matrix of the row: A·p is G·p plus one dot
 * product and one axpy per entry. A row without entries gets x_u = 0; rows with done[u] = 1
 * (solved exactly by `ialsExactRows`) are skipped. `G` is k × k, row-major.
 *
 * Returns the rows' share of the training objective at the new x_u, Σ_u (ΣC − xᵀb − xᵀr)
 * with r = b − A x the CG residual (since xᵀAx − 2xᵀb + ΣC = ΣC − xᵀb − xᵀr): the loss comes
 * for one extra axpy per entry instead of another pass over the data.
 *
 * Loops are written out (no helper closures): V8 ran this 2× faster than with small helpers.
 */
export function ialsCgRows(
  indptr: Uint32Array,
  indices: Uint32Array,
  conf: Float32Array,
  x: Float32Array,
  y: Float32Array,
  g: Float64Array,
  k: number,
  r0: number,
  r1: number,
  cgSteps: number,
  done: Uint8Array,
): number {
  const xs = new Float64Array(k);
  const r = new Float64Array(k);
  const p = new Float64Array(k);
  const ap = new Float64Array(k);
  const b = new Float64Array(k);
  const k4 = k & ~3;
  let loss = 0;
  for (let u = r0; u < r1; u++) {
    const start = indptr[u];
    const end = indptr[u + 1];
    const xo = u * k;
    if (start === end) {
      x.fill(0, xo, xo + k);
      continue;
    }
    if (done[u] === 1) continue;
    for (let f = 0; f < k; f++) {
      xs[f] = x[xo + f];
      b[f] = 0;
    }
    // r = b − A x: first −G x, then each entry's C y − (C − 1)(y·x) y.
    for (let a = 0; a < k; a++) {
      const go = a * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let c = 0;
      for (; c < k4; c += 4) {
        s0 += g[go + c] * xs[c];
        s1 += g[go + c + 1] * xs[c + 1];
        s2 += g[go + c + 2] * xs[c + 2];
        s3 += g[go + c + 3] * xs[c + 3];
      }
      let s = s0 + s1 + (s2 + s3);
      for (; c < k; c++) s += g[go + c] * xs[c];
      r[a] = -s;
    }
    let confSum = 0;
    for (let q = start; q < end; q++) {
      const yo = indices[q] * k;
      const cq = conf[q];
      confSum += cq;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let f = 0;
      for (; f < k4; f += 4) {
        s0 += y[yo + f] * xs[f];
        s1 += y[yo + f + 1] * xs[f + 1];
        s2 += y[yo + f + 2] * xs[f + 2];
        s3 += y[yo + f + 3] * xs[f + 3];
      }
      let d = s0 + s1 + (s2 + s3);
      for (; f < k; f++) d += y[yo + f] * xs[f];
      const t = cq - (cq - 1) * d;
      for (f = 0; f < k; f++) {
        const yv = y[yo + f];
        r[f] += t * yv;
        b[f] += cq * yv;
      }
    }
    let rsOld = 0;
    for (let f = 0; f < k; f++) {
      p[f] = r[f];
      rsOld += r[f] * r[f];
    }
    for (let step = 0; step < cgSteps && rsOld >= 1e-20; step++) {
      // ap = A p
      for (let a = 0; a < k; a++) {
        const go = a * k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let c = 0;
        for (; c < k4; c += 4) {
          s0 += g[go + c] * p[c];
          s1 += g[go + c + 1] * p[c + 1];
          s2 += g[go + c + 2] * p[c + 2];
          s3 += g[go + c + 3] * p[c + 3];
        }
        let s = s0 + s1 + (s2 + s3);
        for (; c < k; c++) s += g[go + c] * p[c];
        ap[a] = s;
      }
      for (let q = start; q < end; q++) {
        const yo = indices[q] * k;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        let f = 0;
        for (; f < k4; f += 4) {
          s0 += y[yo + f] * p[f];
          s1 += y[yo + f + 1] * p[f + 1];
          s2 += y[yo + f + 2] * p[f + 2];
          s3 += y[yo + f + 3] * p[f + 3];
        }
        let d = s0 + s1 + (s2 + s3);
        for (; f < k; f++) d += y[yo + f] * p[f];
        const t = (conf[q] - 1) * d;
        for (f = 0; f < k; f++) ap[f] += t * y[yo + f];
      }
      let pAp = 0;
      for (let f = 0; f < k; f++) pAp += p[f] * ap[f];
      const alpha = rsOld / pAp;
      let rsNew = 0;
      for (let f = 0; f < k; f++) {
        xs[f] += alpha * p[f];
        r[f] -= alpha * ap[f];
        rsNew += r[f] * r[f];
      }
      const beta = rsNew / rsOld;
      for (let f = 0; f < k; f++) p[f] = r[f] + beta * p[f];
      rsOld = rsNew;
    }
    let xb = 0;
    let xr = 0;
    for (let f = 0; f < k; f++) {
      x[xo + f] = xs[f];
      xb += xs[f] * b[f];
      xr += xs[f] * r[f];
    }
    loss += confSum - xb - xr;
  }
  return loss;
}

/**
 * Adds Σ_{r ∈ r0..r1−1} y_r y_rᵀ to `g` (k × k, row-major, both triangles written): one part
 * of a Gram matrix YᵀY, so that threads can each sum a block of rows. Rows are taken four at
 * a time (a rank-4 update per accumulator load and store), which runs about twice as fast as
 * one row at a time; rows that are all zero (cold items) cost nothing.
 */
export function gramRows(y: Float32Array, k: number, r0: number, r1: number, g: Float64Array): number {
  const acc = new Float64Array(k * k);
  const live: number[] = [];
  for (let r = r0; r < r1; r++) {
    const yo = r * k;
    for (let f = 0; f < k; f++)
      if (y[yo + f] !== 0) {
        live.push(yo);
        break;
      }
  }
  const n4 = live.length & ~3;
  let j = 0;
  for (; j < n4; j += 4) {
    const o0 = live[j];
    const o1 = live[j + 1];
    const o2 = live[j + 2];
    const o3 = live[j + 3];
    for (let a = 0; a < k; a++) {
      const a0 = y[o0 + a];
      const a1 = y[o1 + a];
      const a2 = y[o2 + a];
      const a3 = y[o3 + a];
      const go = a * k;
      for (let b = a; b < k; b++)
        acc[go + b] += a0 * y[o0 + b] + a1 * y[o1 + b] + (a2 * y[o2 + b] + a3 * y[o3 + b]);
    }
  }
  for (; j < live.length; j++) {
    const o = live[j];
    for (let a = 0; a < k; a++) {
      const ya = y[o + a];
      const go = a * k;
      for (let b = a; b < k; b++) acc[go + b] += ya * y[o + b];
    }
  }
  for (let a = 0; a < k; a++)
    for (let b = a; b < k; b++) {
      g[a * k + b] += acc[a * k + b];
      if (b !== a) g[b * k + a] += acc[a * k + b];
    }
  return live.length;
}

/**
 * Exact least squares for rows r0..r1−1 with at most `maxEntries` entries each, by the
 * Woodbury identity instead of CG; rows with more entries or a confidence ≤ 1 are left to CG
 * (done[u] stays 0). Returns the solved rows' share of the objective, as `ialsCgRows`. With
 * A = G + Uᵀ D U (U: the n entries' factor rows, D = diag(C_ui − 1)) and b = Uᵀ c,
 *
 *     x = A⁻¹ b = Wᵀ (c − S⁻¹ M c),   W = U G⁻¹,  M = W Uᵀ,  S = D⁻¹ + M
 *
 * which costs n²k/2 + n³/6 instead of k² per CG step: for Last.fm 2K's artists (95% have at
 * most 16 training listeners, against 64 factors) this is several times cheaper than CG and
 * exact. `w` holds the rows G⁻¹ y_j of the other side (same layout as `y`).
 */
export function ialsExactRows(
  indptr: Uint32Array,
  indices: Uint32Array,
  conf: Float32Array,
  x: Float32Array,
  y: Float32Array,
  w: Float32Array,
  k: number,
  r0: number,
  r1: number,
  maxEntries: number,
  done: Uint8Array,
): number {
  const n2 = maxEntries * maxEntries;
  const s = new Float64Array(n2);
  const c = new Float64Array(maxEntries);
  const v = new Float64Array(maxEntries);
  const xs = new Float64Array(k);
  const k4 = k & ~3;
  const dotWY = (wo: number, yo: number) => {
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let b = 0;
    for (; b < k4; b += 4) {
      s0 += w[wo + b] * y[yo + b];
      s1 += w[wo + b + 1] * y[yo + b + 1];
      s2 += w[wo + b + 2] * y[yo + b + 2];
      s3 += w[wo + b + 3] * y[yo + b + 3];
    }
    let t = s0 + s1 + (s2 + s3);
    for (; b < k; b++) t += w[wo + b] * y[yo + b];
    return t;
  };
  let loss = 0;
  rows: for (let u = r0; u < r1; u++) {
    const start = indptr[u];
    const n = indptr[u + 1] - start;
    if (n === 0 || n > maxEntries) continue;
    for (let a = 0; a < n; a++) {
      c[a] = conf[start + a];
      if (!(c[a] > 1)) continue rows;
    }
    // S = D⁻¹ + M (lower triangle), v = M c.
    v.fill(0, 0, n);
    for (let a = 0; a < n; a++) {
      const wa = indices[start + a] * k;
      for (let b = 0; b <= a; b++) {
        const m = dotWY(wa, indices[start + b] * k);
        s[a * n + b] = m;
        v[a] += m * c[b];
        if (b !== a) v[b] += m * c[a];
      }
      s[a * n + a] += 1 / (c[a] - 1);
    }
    // Cholesky of S in place, then S⁻¹ v.
    for (let j = 0; j < n; j++) {
      let d = s[j * n + j];
      for (let q = 0; q < j; q++) d -= s[j * n + q] * s[j * n + q];
      if (!(d > 0)) continue rows;
      const l = Math.sqrt(d);
      s[j * n + j] = l;
      for (let i = j + 1; i < n; i++) {
        let t = s[i * n + j];
        for (let q = 0; q < j; q++) t -= s[i * n + q] * s[j * n + q];
        s[i * n + j] = t / l;
      }
    }
    for (let i = 0; i < n; i++) {
      let t = v[i];
      for (let q = 0; q < i; q++) t -= s[i * n + q] * v[q];
      v[i] = t / s[i * n + i];
    }
    for (let i = n - 1; i >= 0; i--) {
      let t = v[i];
      for (let q = i + 1; q < n; q++) t -= s[q * n + i] * v[q];
      v[i] = t / s[i * n + i];
    }
    // x = Wᵀ (c − S⁻¹ M c)
    xs.fill(0);
    for (let a = 0; a < n; a++) {
      const z = c[a] - v[a];
      const wa = indices[start + a] * k;
      for (let f = 0; f < k; f++) xs[f] += z * w[wa + f];
    }
    // The row's loss at the exact solution (r = 0): ΣC − xᵀb, b = Σ C y.
    let xb = 0;
    for (let a = 0; a < n; a++) {
      const yo = indices[start + a] * k;
      let d = 0;
      for (let f = 0; f < k; f++) d += xs[f] * y[yo + f];
      xb += c[a] * d;
      loss += c[a];
    }
    loss -= xb;
    const xo = u * k;
    for (let f = 0; f < k; f++) x[xo + f] = xs[f];
    done[u] = 1;
  }
  return loss;
}

/**
 * dst[r] = M src[r] for rows r0..r1−1 (M k × k, row-major; rows of k floats): with M = G⁻¹
 * (symmetric) these are the rows G⁻¹ y_j that `ialsExactRows` reads. One dot product per
 * output value, four independent sums each.
 */
export function multiplyRows(
  src: Float32Array,
  m: Float64Array,
  k: number,
  r0: number,
  r1: number,
  dst: Float32Array,
): number {
  const v = new Float64Array(k);
  const k4 = k & ~3;
  for (let r = r0; r < r1; r++) {
    const o = r * k;
    let any = false;
    for (let a = 0; a < k; a++) {
      v[a] = src[o + a];
      if (v[a] !== 0) any = true;
    }
    if (!any) {
      dst.fill(0, o, o + k);
      continue;
    }
    for (let b = 0; b < k; b++) {
      const mo = b * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let a = 0;
      for (; a < k4; a += 4) {
        s0 += m[mo + a] * v[a];
        s1 += m[mo + a + 1] * v[a + 1];
        s2 += m[mo + a + 2] * v[a + 2];
        s3 += m[mo + a + 3] * v[a + 3];
      }
      let t = s0 + s1 + (s2 + s3);
      for (; a < k; a++) t += m[mo + a] * v[a];
      dst[o + b] = t;
    }
  }
  return r1 - r0;
}
