import { Rng, type TrainSet } from '@autorec/data';
import { trainSetFromTriplets } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../errors.ts';
import { solveSymmetricPositive } from '../linalg.ts';
import { EaseModel, easeRequirements } from './ease.ts';

runRecommenderContract('ease', () => new EaseModel({ lambda: 5 }));
runRecommenderContract('ease (ratings as values)', () => new EaseModel({ lambda: 5, values: 'ratings' }));

/** Random plays; item `items − 1` has none (cold). */
function plays(users: number, items: number, seed: number): TrainSet {
  const rng = new Rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items - 1; i++)
      if (rng.next() < 0.3 + 0.4 * ((u + i) % 2)) {
        rows.push(u);
        cols.push(i);
        vals.push(1 + Math.floor(rng.next() * 5));
      }
  return trainSetFromTriplets(users, items, rows, cols, vals);
}

describe('EaseModel', () => {
  it('computes Steck’s B = −P / diag(P) with P = (XᵀX + λI)⁻¹, as a dense float64 reference', async () => {
    const data = plays(40, 13, 3);
    const lambda = 3;
    const model = new EaseModel({ lambda });
    const fit = await model.fit(data);
    expect(fit.epochs).toHaveLength(1);
    const n = 12; // the warm items
    const m = data.ratings;
    const g = new Float64Array(n * n);
    for (let u = 0; u < m.rows; u++)
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++)
        for (let q = m.indptr[u]; q < m.indptr[u + 1]; q++) g[m.indices[p] * n + m.indices[q]] += 1;
    for (let i = 0; i < n; i++) g[i * n + i] += lambda;
    const inverse = new Float64Array(n * n);
    for (let c = 0; c < n; c++) {
      const e = new Float64Array(n);
      e[c] = 1;
      const col = solveSymmetricPositive(Float64Array.from(g), e, n);
      for (let r = 0; r < n; r++) inverse[r * n + c] = col[r];
    }
    for (let i = 0; i < n; i++) {
      // Row i of B is the similarity of item i to every item.
      const row = model.itemSimilarities(i);
      for (let j = 0; j < n; j++) {
        const expected = i === j ? 0 : -inverse[i * n + j] / inverse[j * n + j];
        expect(row[j]).toBeCloseTo(expected, 5);
      }
      expect(row[12]).toBe(0); // the cold item
    }
    // A user's scores are the sum of B's rows over their plays; a new listener's the same.
    const u = 4;
    const items = m.indices.subarray(m.indptr[u], m.indptr[u + 1]);
    const scores = model.scoreUsers(Uint32Array.of(u));
    const folded = model.scoreFoldIn(
      items,
      Float32Array.from(items, () => 1),
    );
    for (let j = 0; j < 13; j++) expect(folded[j]).toBeCloseTo(scores[j], 5);
  });

  it('states its memory and refuses a catalogue above the budget, saying what would fit', async () => {
    expect(easeRequirements(17_632).bytes).toBe(4 * 17_632 ** 2);
    const data = plays(30, 41, 5);
    const small = new EaseModel({ maxItems: 20 });
    let error: unknown;
    try {
      await small.fit(data);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    expect((error as Error).message).toMatch(
      /ease: 40 items with training plays need 0\.00 GiB .* above the budget of 2048 MB and 20 items; keep only items with at least \d+ listeners \(≤ 20 items\)/,
    );
    await expect(new EaseModel({ memoryBudget: 0.001 }).fit(data)).rejects.toThrow(/memoryBudget/);
  });
});
