import { csrFromTriplets, IdIndex, type TrainSet } from '@autorec/data';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { memoryStore } from '../stores/memory.ts';
import { BprModel, sgdStep } from './bpr.ts';
import { loadModel } from './registry.ts';

runRecommenderContract('bpr', () => new BprModel({ factors: 6, iterations: 5 }));

/** Two taste groups: users 0–19 play items 0–9, users 20–39 items 10–19, each 6 of their 10. */
function twoGroups(): TrainSet {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let u = 0; u < 40; u++) {
    const base = u < 20 ? 0 : 10;
    for (let j = 0; j < 6; j++) {
      rows.push(u);
      cols.push(base + ((u + 3 * j) % 10));
    }
  }
  const { duplicates: _, ...ratings } = csrFromTriplets(
    40,
    20,
    rows,
    cols,
    rows.map(() => 1),
  );
  return {
    ratings,
    users: new IdIndex(Array.from({ length: 40 }, (_, u) => `u${u}`)),
    items: new IdIndex(Array.from({ length: 20 }, (_, i) => `i${i}`)),
    scale: { min: 1, max: 5 },
    transform: { name: 'binary', scale: { min: 1, max: 5 } },
  };
}

describe('bpr', () => {
  it('one SGD step follows the gradient of ln σ(x_ui − x_uj) − λ‖θ‖² (finite differences)', () => {
    const k = 3;
    const x = Float32Array.of(0.3, -0.2, 0.5, 1);
    const y = Float32Array.of(0.1, 0.4, -0.3, 0.2, -0.5, 0.2, 0.1, -0.1);
    const lr = 1e-3;
    const reg = 0.05;
    const margin = (xv: Float32Array, yv: Float32Array) => {
      let d = yv[k] - yv[4 + k];
      for (let f = 0; f < k; f++) d += xv[f] * (yv[f] - yv[4 + f]);
      return d;
    };
    // Objective f(θ) = ln σ(x_ui − x_uj) − λ/2 Σθ² over the user factors and both items (bias included).
    const objective = (xv: Float32Array, yv: Float32Array) => {
      const d = margin(xv, yv);
      let norm = 0;
      for (let f = 0; f < k; f++) norm += xv[f] ** 2;
      for (const v of yv) norm += v * v;
      return Math.log(1 / (1 + Math.exp(-d))) - (reg / 2) * norm;
    };
    const x1 = Float32Array.from(x);
    const y1 = Float32Array.from(y);
    const loss = sgdStep(x1, 0, y1, 0, y1, 4, k, lr, reg, true);
    expect(loss).toBeCloseTo(Math.log1p(Math.exp(-margin(x, y))), 6);
    // Each parameter moved by η · ∂f/∂θ.
    const h = 1e-3;
    const check = (which: 'x' | 'y', index: number, moved: number) => {
      const xp = Float64Array.from(x) as unknown as Float32Array;
      const yp = Float64Array.from(y) as unknown as Float32Array;
      const xm = Float64Array.from(x) as unknown as Float32Array;
      const ym = Float64Array.from(y) as unknown as Float32Array;
      (which === 'x' ? xp : yp)[index] += h;
      (which === 'x' ? xm : ym)[index] -= h;
      const grad = (objective(xp, yp) - objective(xm, ym)) / (2 * h);
      expect(moved, `${which}[${index}]`).toBeCloseTo(lr * grad, 7);
    };
    for (let f = 0; f < k; f++) check('x', f, x1[f] - x[f]);
    for (let q = 0; q < 8; q++) check('y', q, y1[q] - y[q]);
    expect(x1[k]).toBe(1); // the user's constant column never moves
  });

  it.each(['popularity', 'uniform'] as const)(
    'learns which group an item belongs to (%s negatives): every user ranks unplayed items of their own group first',
    async (negatives) => {
      const data = twoGroups();
      const model = new BprModel({ factors: 8, iterations: 100, learningRate: 0.05, seed: 3, negatives });
      const fit = await model.fit(data);
      expect(fit.epochs.at(-1)!.loss).toBeLessThan(fit.epochs[0].loss);
      for (const u of [0, 7, 25, 39]) {
        const own = u < 20 ? (i: number) => i < 10 : (i: number) => i >= 10;
        const recs = model.recommend(`u${u}`, 4).map((r) => Number(r.item.slice(1)));
        expect(recs.every(own), `u${u}: ${recs}`).toBe(true);
      }
      // A new listener of group 2 gets group 2; their plays are left out.
      const plays = [10, 12, 15].map((i) => ({ item: `i${i}`, count: 1 }));
      const fresh = model.recommendForPlays(plays, 5).map((r) => Number(r.item.slice(1)));
      expect(
        fresh.every((i) => i >= 10 && ![10, 12, 15].includes(i)),
        `${fresh}`,
      ).toBe(true);
      // Fold-in is deterministic for the same plays.
      expect(model.recommendForPlays(plays, 5)).toEqual(model.recommendForPlays(plays, 5));
      // Similar items stay inside the group.
      expect(model.similarItems('i3', 3).every((r) => Number(r.item.slice(1)) < 10)).toBe(true);
      model.dispose();
    },
  );

  it('saves and loads the same scores, and refuses state of another width', async () => {
    const data = twoGroups();
    const model = new BprModel({ factors: 4, iterations: 10 });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store);
    const back = await loadModel(store);
    expect(back.scoreUsers(Uint32Array.of(0, 30))).toEqual(model.scoreUsers(Uint32Array.of(0, 30)));
    const manifest = JSON.parse(await store.readText('manifest.json'));
    manifest.hyperParameters.factors = 5;
    const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
    const edited = memoryStore({ ...files, 'manifest.json': JSON.stringify(manifest) });
    await expect(loadModel(edited)).rejects.toThrow(
      /bpr\.bin: holds vectors of 5 values but manifest\.json says 6/,
    );
  });
});
