import { Rng, type TrainSet } from '@autorec/data';
import { trainSetFromTriplets } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { startFunctionPool } from '../engine/function-pool.ts';
import { invertSymmetricPositive, solveSymmetricPositive } from '../linalg.ts';
import { memoryStore } from '../stores/memory.ts';
import { IalsModel } from './ials.ts';
import { gramRows, ialsCgRows, ialsExactRows, multiplyRows } from './ials-solver.ts';
import { loadModel } from './registry.ts';

const closeTo = (v: number, digits: number) => expect.closeTo(v, digits);

runRecommenderContract('ials', () => new IalsModel({ factors: 6, iterations: 4, threads: 1 }));
runRecommenderContract(
  'ials (two threads, log weighting)',
  () => new IalsModel({ factors: 6, iterations: 4, threads: 2, weighting: 'log' }),
);
runRecommenderContract(
  'ials (typed-array kernels)',
  () => new IalsModel({ factors: 6, iterations: 4, threads: 1, kernels: 'js' }),
);

/** A random sparse row system: G = YᵀY + λI, entries with confidences > 1. */
function system(k: number, items: number, entries: number, seed: number) {
  const rng = new Rng(seed);
  const y = Float32Array.from({ length: items * k }, () => rng.normal() * 0.3);
  const g = new Float64Array(k * k);
  gramRows(y, k, 0, items, g);
  for (let f = 0; f < k; f++) g[f * k + f] += 0.1;
  const picked = [...new Set(Array.from({ length: entries }, () => Math.floor(rng.next() * items)))].sort(
    (a, b) => a - b,
  );
  const indices = Uint32Array.from(picked);
  const conf = Float32Array.from(picked, () => 1 + 5 * rng.next());
  // Exact answer by a dense Cholesky solve of (G + Σ (C−1) y yᵀ) x = Σ C y.
  const a = Float64Array.from(g);
  const b = new Float64Array(k);
  for (const [j, i] of picked.entries())
    for (let r = 0; r < k; r++) {
      b[r] += conf[j] * y[i * k + r];
      for (let s = 0; s < k; s++) a[r * k + s] += (conf[j] - 1) * y[i * k + r] * y[i * k + s];
    }
  const exact = solveSymmetricPositive(a, b, k);
  // The row's objective at the solution: ΣC − xᵀb.
  let loss = conf.reduce((s, c) => s + c, 0);
  for (let f = 0; f < k; f++) loss -= exact[f] * b[f];
  return { y, g, indptr: Uint32Array.of(0, indices.length), indices, conf, exact, loss };
}

describe('ials solver kernels', () => {
  it('gramRows sums y yᵀ over row blocks, skipping zero rows', () => {
    const k = 5;
    const rng = new Rng(3);
    const y = Float32Array.from({ length: 11 * k }, () => rng.normal());
    y.fill(0, 2 * k, 3 * k);
    const whole = new Float64Array(k * k);
    gramRows(y, k, 0, 11, whole);
    const parts = new Float64Array(k * k);
    gramRows(y, k, 0, 6, parts);
    gramRows(y, k, 6, 11, parts);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) {
        let s = 0;
        for (let r = 0; r < 11; r++) s += y[r * k + a] * y[r * k + b];
        expect(whole[a * k + b]).toBeCloseTo(s, 4);
        expect(parts[a * k + b]).toBeCloseTo(s, 4);
      }
  });

  it('the exact (Woodbury) row solve equals a dense Cholesky solve', () => {
    const k = 8;
    const { y, g, indptr, indices, conf, exact, loss } = system(k, 30, 5, 4);
    const w = new Float32Array(y.length);
    multiplyRows(y, invertSymmetricPositive(Float64Array.from(g), k), k, 0, 30, w);
    const x = new Float32Array(k);
    const done = new Uint8Array(1);
    expect(ialsExactRows(indptr, indices, conf, x, y, w, k, 0, 1, 16, done)).toBeCloseTo(loss, 3);
    expect(done[0]).toBe(1);
    for (let f = 0; f < k; f++) expect(x[f]).toBeCloseTo(exact[f], 4);
    // Too many entries for maxEntries: left to CG.
    const x2 = new Float32Array(k);
    const skipped = new Uint8Array(1);
    expect(ialsExactRows(indptr, indices, conf, x2, y, w, k, 0, 1, 2, skipped)).toBe(0);
    expect(skipped[0]).toBe(0);
    expect(Array.from(x2)).toEqual(new Array(k).fill(0));
  });

  it('CG converges to the exact row solution and zeroes empty rows', () => {
    const k = 8;
    const { y, g, indptr, indices, conf, exact, loss } = system(k, 30, 12, 5);
    const x = new Float32Array(k);
    const loss3 = ialsCgRows(indptr, indices, conf, x, y, g, k, 0, 1, 3, new Uint8Array(1));
    const after3 = Math.hypot(...Array.from(x, (v, f) => v - exact[f]));
    const loss20 = ialsCgRows(indptr, indices, conf, x, y, g, k, 0, 1, 20, new Uint8Array(1));
    for (let f = 0; f < k; f++) expect(x[f]).toBeCloseTo(exact[f], 3);
    // The returned objective falls to the exact solution's, never below it.
    expect(loss20).toBeCloseTo(loss, 3);
    expect(loss3).toBeGreaterThanOrEqual(loss20 - 1e-6);
    expect(after3).toBeLessThan(Math.hypot(...exact));
    const empty = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    ialsCgRows(Uint32Array.of(0, 0), indices, conf, empty, y, g, k, 0, 1, 3, new Uint8Array(1));
    expect(Array.from(empty)).toEqual(new Array(k).fill(0));
  });

  it('runs a kernel on a worker thread over shared memory', async () => {
    const pool = await startFunctionPool({ gramRows }, 2);
    expect(pool).toBeDefined();
    try {
      const k = 4;
      const y = new Float32Array(new SharedArrayBuffer(8 * k * 4));
      for (let j = 0; j < y.length; j++) y[j] = (j % 7) - 3;
      const g0 = new Float64Array(new SharedArrayBuffer(k * k * 8));
      const g1 = new Float64Array(new SharedArrayBuffer(k * k * 8));
      const result = await pool!.run([
        { fn: 'gramRows', args: [y, k, 0, 4, g0] },
        { fn: 'gramRows', args: [y, k, 4, 8, g1] },
      ]);
      expect(result).toEqual([4, 4]); // the non-zero rows each block summed
      const whole = new Float64Array(k * k);
      gramRows(y, k, 0, 8, whole);
      for (let j = 0; j < whole.length; j++) expect(g0[j] + g1[j]).toBeCloseTo(whole[j], 9);
      // A failing call rejects instead of hanging.
      await expect(pool!.run([undefined, { fn: 'gramRows', args: [null, k, 0, 1, g1] }])).rejects.toThrow(
        /worker failed/,
      );
    } finally {
      pool?.close();
    }
  });
});

/** Two disjoint "taste" groups of users and items, with play counts. */
function twoTastes(): TrainSet {
  const rng = new Rng(9);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  const users = 60;
  const items = 40;
  for (let u = 0; u < users; u++) {
    const group = u % 2;
    for (let i = group; i < items; i += 2)
      if (rng.next() < 0.5) {
        rows.push(u);
        cols.push(i);
        vals.push(1 + Math.floor(rng.next() * 200));
      }
  }
  return trainSetFromTriplets(users, items, rows, cols, vals, { min: 1, max: 200 });
}

describe('IalsModel', () => {
  it('learns tastes: recommendations and a new listener stay within their group', async () => {
    for (const weighting of ['bm25', 'tfidf', 'log', 'none'] as const) {
      // Raw counts up to 200 need a small α (C up to 1 + 200α); the weightings bring them to a few units.
      const alpha = weighting === 'none' ? 0.05 : 1;
      const model = new IalsModel({ factors: 4, iterations: 8, weighting, alpha, threads: 1 });
      const fit = await model.fit(twoTastes());
      expect(fit.epochs).toHaveLength(8);
      // The objective falls over the sweeps.
      expect(fit.epochs.at(-1)!.loss).toBeLessThan(fit.epochs[0].loss);
      for (const user of ['u0', 'u1', 'u2', 'u3']) {
        const parity = Number(user.slice(1)) % 2;
        for (const r of model.recommend(user, 5))
          expect([weighting, user, Number(r.item.slice(1)) % 2]).toEqual([weighting, user, parity]);
      }
      const odd = model.recommendForPlays(
        [
          { item: 'i1', count: 50 },
          { item: 'i3', count: 7 },
        ],
        5,
      );
      for (const r of odd) expect([weighting, Number(r.item.slice(1)) % 2]).toEqual([weighting, 1]);
      for (const r of model.similarItems('i4', 5)) expect(Number(r.item.slice(1)) % 2).toBe(0);
    }
  });

  it('folds in a training user’s own plays to the factors training gave them', async () => {
    const data = twoTastes();
    const model = new IalsModel({ factors: 4, iterations: 10, threads: 1, cgSteps: 30 });
    await model.fit(data);
    const m = data.ratings;
    const u = 5;
    const items = m.indices.subarray(m.indptr[u], m.indptr[u + 1]);
    const values = m.values.subarray(m.indptr[u], m.indptr[u + 1]);
    const folded = model.foldInUser(items, values);
    // After the last sweep's item step the user's exact solve moves a little; it stays close.
    const trained = model.factors.users.subarray(u * 4, u * 4 + 4);
    const scale = Math.hypot(...trained);
    expect(Math.hypot(...Array.from(folded, (v, f) => v - trained[f]))).toBeLessThan(0.25 * scale);
    const fromIds = model.scoreFoldIn(items, values);
    const direct = model.scoreUsers(Uint32Array.of(u));
    let agree = 0;
    const top = (s: Float32Array) => [...s.keys()].sort((a, b) => s[b] - s[a]).slice(0, 5);
    for (const i of top(fromIds)) if (top(direct).includes(i)) agree++;
    expect(agree).toBeGreaterThanOrEqual(4);
  });

  it('trains to the same factors on one thread and on two, with either kernel set', async () => {
    const data = twoTastes();
    for (const kernels of ['wasm-simd', 'js'] as const) {
      const one = new IalsModel({ factors: 5, iterations: 3, threads: 1, kernels });
      const two = new IalsModel({ factors: 5, iterations: 3, threads: 2, kernels });
      expect((await one.fit(data)).backend).toBe(kernels === 'js' ? 'js' : 'wasm-simd×1');
      expect((await two.fit(data)).backend).toBe(`${kernels}×2`);
      const a = one.factors.items;
      const b = two.factors.items;
      for (let j = 0; j < a.length; j++) expect([kernels, j, b[j]]).toEqual([kernels, j, closeTo(a[j], 4)]);
    }
  });

  it('trains nearly the same model with the float32 WebAssembly kernels as with the float64 twins', async () => {
    const data = twoTastes();
    // 10 factors pad to 16 in WebAssembly: the padding must not change the model.
    const wasm = new IalsModel({ factors: 10, iterations: 5, threads: 1, kernels: 'wasm-simd' });
    const js = new IalsModel({ factors: 10, iterations: 5, threads: 1, kernels: 'js' });
    const fw = await wasm.fit(data);
    const fj = await js.fit(data);
    expect(wasm.factors.items).toHaveLength(40 * 10);
    for (let e = 0; e < 5; e++) expect(fw.epochs[e].loss).toBeCloseTo(fj.epochs[e].loss!, 5);
    const a = js.factors.users;
    const b = wasm.factors.users;
    const scale = Math.max(...Array.from(a, Math.abs));
    for (let j = 0; j < a.length; j++) expect(Math.abs(b[j] - a[j])).toBeLessThan(1e-3 * scale);
  });

  it('rejects bad options and corrupt state with a message naming the problem', async () => {
    expect(() => new IalsModel({ weighting: 'idf' })).toThrow(/weighting.*bm25, tfidf, log, none/);
    expect(() => new IalsModel({ factors: 0 })).toThrow(/factors/);
    const model = new IalsModel({ factors: 3, iterations: 1, threads: 1 });
    await model.fit(twoTastes());
    const store = memoryStore();
    await model.save(store);
    const manifest = JSON.parse(await store.readText('manifest.json'));
    manifest.hyperParameters.factors = 4;
    const files = Object.fromEntries(store.files().map((name) => [name, store.peek(name)!]));
    const edited = memoryStore({ ...files, 'manifest.json': JSON.stringify(manifest) });
    await expect(loadModel(edited)).rejects.toThrow(/ials\.bin: holds 3 factors but manifest\.json says 4/);
  });
});
