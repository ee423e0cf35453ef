import { csrFromTriplets, Rng, type TrainSet } from '@autorec/data';
import { tasteGroups } from '@autorec/test-utils';
import { describe, expect, it, vi } from 'vitest';
import { multModule } from '../engine/mult-kernels.ts';
import { evaluateHeldOutUsers } from '../evaluation/held-out-users.ts';
import { type MemoryStore, memoryStore } from '../stores/memory.ts';
import { topK } from '../topk.ts';
import { MultDaeModel } from './mult-dae.ts';
import { MultVaeModel } from './mult-vae.ts';
import type { SparseBatch } from './mult-vae-dense.ts';
import { MultNet, type MultWeights, WEIGHT_NAMES } from './mult-vae-net.ts';
import type { MultAutoencoder } from './mult-vae-network.ts';
import { MultKernelScorer } from './mult-vae-scorer.ts';
import { loadModel } from './registry.ts';

const simd = (await multModule(false)) !== null;

/** `rows` listeners with 1..8 distinct plays each over `items`, 1/√n per play (the ranking input). */
function randomBatch(rows: number, items: number, rng: Rng): SparseBatch {
  const segment: number[] = [];
  const item: number[] = [];
  const value: number[] = [];
  for (let b = 0; b < rows; b++) {
    const set = new Set<number>();
    const n = 1 + rng.int(Math.min(items, 8));
    while (set.size < n) set.add(rng.int(items));
    for (const i of [...set].sort((x, y) => x - y)) {
      segment.push(b);
      item.push(i);
      value.push(1 / Math.sqrt(n));
    }
  }
  return {
    rows,
    segment: Int32Array.from(segment),
    item: Int32Array.from(item),
    value: Float32Array.from(value),
  };
}

/** A random network and a copy of it (same weights in arrays of its own). */
function twoNets(items: number, hidden: number, latent: number, variational: boolean, seed: number) {
  const a = new MultNet(items, hidden, latent, variational, seed);
  // Larger weights than Xavier's, so the logits spread out and near-ties are rare.
  for (const n of WEIGHT_NAMES) for (let j = 0; j < a.w[n].length; j++) a.w[n][j] *= 3;
  const copy = Object.fromEntries(WEIGHT_NAMES.map((n) => [n, a.w[n].slice()])) as MultWeights;
  return { js: a, kernel: new MultNet(items, hidden, latent, variational, copy) };
}

/** Top-k lists of two score blocks agree, except where the two paths' rounding can swap neighbours. */
function expectSameTopK(a: Float32Array, b: Float32Array, rows: number, items: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    const ta = topK(a, k, undefined, r * items, items);
    const tb = topK(b, k, undefined, r * items, items);
    for (let j = 0; j < k; j++) {
      if (ta.indices[j] === tb.indices[j]) continue;
      // A swap is only allowed between scores equal to float rounding.
      expect(Math.abs(ta.scores[j] - tb.scores[j])).toBeLessThan(1e-4 * (1 + Math.abs(ta.scores[j])));
    }
  }
}

describe.runIf(simd)('Mult-VAE ranking on the kernels', () => {
  it('gives the typed-array network’s logits to float rounding, and the same top-K lists', async () => {
    for (const [variational, seed] of [
      [true, 1],
      [false, 2],
    ] as const) {
      // 301 items (not a multiple of 4: the kernel's item tail) and 300 listeners (two passes of
      // at most 256, an odd listener at the end of each block).
      const { js, kernel } = twoNets(301, 24, 8, variational, seed);
      const scorer = await MultKernelScorer.create(kernel, 1, 'test');
      try {
        const batch = randomBatch(300, 301, new Rng(seed + 10));
        const expected = js.scores(batch);
        const got = scorer.scores(batch);
        expect(got.length).toBe(300 * 301);
        let worst = 0;
        for (let j = 0; j < got.length; j++)
          worst = Math.max(worst, Math.abs(got[j] - expected[j]) / (1 + Math.abs(expected[j])));
        expect(worst).toBeLessThan(1e-5);
        expectSameTopK(expected, got, 300, 301, 20);
        // One listener (the fold-in path): the same row as in the batch.
        const one = randomBatch(1, 301, new Rng(seed + 20));
        const single = scorer.scores(one);
        const reference = js.scores(one);
        for (let i = 0; i < 301; i++) expect(single[i]).toBeCloseTo(reference[i], 4);
      } finally {
        scorer.close();
      }
      // close() hands the network its own arrays back, with the weights unchanged.
      for (const n of WEIGHT_NAMES) expect(kernel.w[n]).toEqual(js.w[n]);
    }
  });

  it('gives the same bits on two threads as on one, and writes into a caller’s array at an offset', async () => {
    const { js, kernel } = twoNets(203, 16, 8, true, 5);
    const batch = randomBatch(70, 203, new Rng(6));
    const one = await MultKernelScorer.create(kernel, 1, 'test');
    const single = one.scores(batch);
    one.close();
    const two = await MultKernelScorer.create(js, 2, 'test');
    try {
      const out = new Float32Array(5 + 70 * 203).fill(7);
      two.scores(batch, out, 5);
      expect(Array.from(out.subarray(0, 5))).toEqual([7, 7, 7, 7, 7]);
      expect(Buffer.compare(Buffer.from(out.slice(5).buffer), Buffer.from(single.buffer))).toBe(0);
    } finally {
      two.close();
    }
  });
});

/** Two taste groups of listeners over 40 items (each listener 6 of their group's 20). */
function groups(users: number, seed: number): TrainSet {
  return tasteGroups({ users, groupItems: 20, picks: 6, seed, split: 'alternate' });
}

describe('Mult-VAE / Mult-DAE models rank on the kernels as on the typed-array network', () => {
  const options = { hidden: 16, latent: 8, epochs: 3, batchSize: 32, seed: 4 };
  for (const Model of [MultVaeModel, MultDaeModel]) {
    it.runIf(simd)(
      `${Model.name}: every ranking path (scoreUsers, fold-in one and many, similar items)`,
      async () => {
        const data = groups(120, 3);
        // Trained on the kernels in both (same weights), then one ranks on the kernels, one on js.
        const kernel = new Model({ ...options, kernels: 'auto' });
        expect(kernel.rankingEngine).toBeUndefined();
        await kernel.fit(data);
        expect(kernel.rankingEngine).toBe('wasm-simd×1');
        try {
          // The same weights in both: the trained state loaded into a kernel and a js model.
          const store = memoryStore();
          await kernel.save(store);
          const loadedJs = await loadWith(store, 'js');
          const loadedKernel = await loadWith(store, 'auto');
          expect(loadedJs.rankingEngine).toBe('js');
          expect(loadedKernel.rankingEngine).toBe('wasm-simd×1');
          const close = (a: Float32Array, b: Float32Array) => {
            expect(a.length).toBe(b.length);
            for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 4);
          };
          const users = Uint32Array.from({ length: 120 }, (_, u) => u);
          close(loadedKernel.scoreUsers(users), loadedJs.scoreUsers(users));
          // The loaded model ranks as the one it was saved from, bit for bit.
          expect(loadedKernel.scoreUsers(users)).toEqual(kernel.scoreUsers(users));
          const items = Uint32Array.of(3, 1, 3, 25);
          const ratings = Float32Array.of(2, 5, 1, 4);
          close(loadedKernel.scoreFoldIn(items, ratings), loadedJs.scoreFoldIn(items, ratings));
          close(loadedKernel.itemSimilarities(7), loadedJs.itemSimilarities(7));
          expect(loadedKernel.similarItems('i7', 5).map((s) => s.item)).toEqual(
            loadedJs.similarItems('i7', 5).map((s) => s.item),
          );
          // Many fold-ins at once: each row as scoreFoldIn scores it alone (a row without plays: zeros).
          const m = data.ratings;
          const rows = [5, 0, 77, 5, 119];
          for (const model of [loadedKernel, loadedJs]) {
            const block = model.scoreFoldInRows(m, rows);
            rows.forEach((r, b) => {
              const alone = model.scoreFoldIn(
                m.indices.subarray(m.indptr[r], m.indptr[r + 1]),
                m.values.subarray(m.indptr[r], m.indptr[r + 1]),
              );
              expect(block.subarray(b * 40, (b + 1) * 40)).toEqual(alone);
            });
          }
          loadedJs.dispose();
          loadedKernel.dispose();
          expect(loadedKernel.rankingEngine).toBeUndefined();
          expect(() => loadedKernel.scoreFoldIn(items, ratings)).toThrow(/not trained/);
        } finally {
          kernel.dispose();
        }
      },
    );
  }

  it.runIf(simd)(
    'ranks on the typed-array network when the scorer cannot start (auto), else fails (wasm-simd)',
    async () => {
      const data = groups(40, 2);
      const spy = vi
        .spyOn(MultKernelScorer, 'create')
        .mockRejectedValue(new RangeError('test: no memory for the scorer'));
      try {
        const auto = new MultVaeModel({ ...options, epochs: 1 });
        await auto.fit(data);
        expect(auto.rankingEngine).toBe('js');
        expect(auto.recommend('u0', 3)).toHaveLength(3);
        auto.dispose();
        const strict = new MultVaeModel({ ...options, epochs: 1, kernels: 'wasm-simd' });
        await expect(strict.fit(data)).rejects.toThrow(/no memory for the scorer/);
      } finally {
        spy.mockRestore();
      }
    },
  );

  it.runIf(simd)('folds in rows without plays as zeros, in a batch with others', async () => {
    const data = groups(60, 8);
    const model = new MultVaeModel({ ...options, kernels: 'auto' });
    await model.fit(data);
    try {
      const m = data.ratings;
      // Row 2 emptied: its plays removed from the CSR.
      const len2 = m.indptr[3] - m.indptr[2];
      const indptr = Uint32Array.from(m.indptr, (p, r) => (r <= 2 ? p : p - len2));
      const indices = Uint32Array.from([
        ...m.indices.subarray(0, m.indptr[2]),
        ...m.indices.subarray(m.indptr[3]),
      ]);
      const values = Float32Array.from([
        ...m.values.subarray(0, m.indptr[2]),
        ...m.values.subarray(m.indptr[3]),
      ]);
      const plays = { ...m, indptr, indices, values };
      const block = model.scoreFoldInRows(plays, [1, 2, 3]);
      expect(Array.from(block.subarray(40, 80))).toEqual(new Array(40).fill(0));
      expect(block.subarray(0, 40)).toEqual(
        model.scoreFoldIn(indices.subarray(indptr[1], indptr[2]), values.subarray(indptr[1], indptr[2])),
      );
      expect(block.subarray(80, 120)).toEqual(
        model.scoreFoldIn(indices.subarray(indptr[3], indptr[4]), values.subarray(indptr[3], indptr[4])),
      );
      // Into a reused block (stale values in it): every row overwritten, the empty one with zeros.
      const reused = new Float32Array(3 * 40 + 5).fill(7);
      expect(model.scoreFoldInRows(plays, [1, 2, 3], reused)).toBe(reused);
      expect(reused.subarray(0, 120)).toEqual(block);
      expect(Array.from(reused.subarray(120))).toEqual([7, 7, 7, 7, 7]);
      expect(() => model.scoreFoldInRows(plays, [1, 2], new Float32Array(79))).toThrow(
        /79 floats for 2 fold-in rows × 40 items/,
      );
      expect(() => model.scoreFoldInRows(plays, [60])).toThrow(/fold-in row 60 outside 0\.\.59/);
      expect(() => model.scoreFoldInRows({ ...plays, cols: 41 }, [0])).toThrow(/41 columns/);
    } finally {
      model.dispose();
    }
  });

  it.runIf(simd)(
    'evaluates held-out users the same on the kernels and on the typed-array network',
    async () => {
      const data = groups(200, 11);
      const m = data.ratings;
      // Listeners 150..199 held out: half their plays folded in, half to predict.
      const fold: [number, number, number][] = [];
      const test: [number, number, number][] = [];
      const train: [number, number, number][] = [];
      for (let u = 0; u < 200; u++)
        for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
          const t: [number, number, number] = [u, m.indices[p], m.values[p]];
          if (u < 150) train.push(t);
          else ((p - m.indptr[u]) % 2 === 0 ? fold : test).push(t);
        }
      const csr = (t: [number, number, number][]) => {
        const { duplicates: _, ...r } = csrFromTriplets(
          200,
          40,
          t.map((x) => x[0]),
          t.map((x) => x[1]),
          t.map((x) => x[2]),
        );
        return r;
      };
      const split = { foldIn: csr(fold), test: csr(test) };
      const trained = new MultVaeModel({ ...options, kernels: 'auto' });
      await trained.fit({ ...data, ratings: csr(train) });
      const store = memoryStore();
      await trained.save(store);
      trained.dispose();
      const results = [];
      for (const kernels of ['js', 'auto'] as const) {
        const model = await loadWith(store, kernels);
        results.push(await evaluateHeldOutUsers(model, split, { k: [5, 10] }));
        model.dispose();
      }
      expect(results[0].users).toBe(50);
      expect(results[1].atK).toEqual(results[0].atK);
    },
  );
});

/** The model saved in `store`, loaded with its `kernels` option set to `kernels`. */
async function loadWith(store: MemoryStore, kernels: 'js' | 'auto'): Promise<MultAutoencoder> {
  const manifest = JSON.parse(await store.readText('manifest.json'));
  manifest.hyperParameters.kernels = kernels;
  const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f) as Uint8Array]));
  return (await loadModel(
    memoryStore({ ...files, 'manifest.json': JSON.stringify(manifest) }),
  )) as MultAutoencoder;
}
