import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnv1a } from './binary.ts';
import { type CsrMatrix, csrFromTriplets, nnz, rowNnz } from './sparse.ts';
import {
  cutByLabels,
  describeSplitOptions,
  heldOutUsersSplit,
  kFoldSplits,
  mergeParts,
  perUserSplit,
  randomSplit,
  SPLIT_LABEL,
  type Split,
  type SplitOptions,
  splitFromLabels,
  splitInteractions,
} from './splits.ts';

/** Random sparse count matrices with 1..40 users, 1..30 items. */
const matrixArb = fc
  .record({
    rows: fc.integer({ min: 1, max: 40 }),
    cols: fc.integer({ min: 1, max: 30 }),
    density: fc.double({ min: 0.05, max: 0.9, noNaN: true }),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  })
  .map(({ rows, cols, density, seed }) => randomMatrix(rows, cols, density, seed));

function randomMatrix(rows: number, cols: number, density: number, seed: number): CsrMatrix {
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      if (next() < density) {
        r.push(i);
        c.push(j);
        v.push(1 + Math.floor(next() * 20));
      }
  return csrFromTriplets(rows, cols, r, c, v);
}

function usersWithAtLeast(m: CsrMatrix, plays: number): number {
  let n = 0;
  for (let u = 0; u < m.rows; u++) if (rowNnz(m, u) >= plays) n++;
  return n;
}

/** (row, col) → value of every stored entry. */
function entries(m: CsrMatrix): Map<string, number> {
  const out = new Map<string, number>();
  for (let r = 0; r < m.rows; r++)
    for (let p = m.indptr[r]; p < m.indptr[r + 1]; p++) out.set(`${r},${m.indices[p]}`, m.values[p]);
  return out;
}

function parts(s: Split): CsrMatrix[] {
  return [s.train, s.validation, s.test, s.foldIn].filter((m): m is CsrMatrix => m !== undefined);
}

/** Same shape, pairwise disjoint, union equal to the input (values included). */
function expectPartition(m: CsrMatrix, s: Split): void {
  const all = new Map<string, number>();
  for (const part of parts(s)) {
    expect([part.rows, part.cols]).toEqual([m.rows, m.cols]);
    for (const [k, v] of entries(part)) {
      expect(all.has(k)).toBe(false);
      all.set(k, v);
    }
  }
  expect(all).toEqual(entries(m));
}

/** Each method, with a condition under which two seeds agree on every label with probability < 1e-5. */
const methods: { name: string; options: SplitOptions; varied: (m: CsrMatrix) => boolean }[] = [
  {
    name: 'random',
    options: { method: 'random', test: 0.2, validation: 0.1 },
    varied: (m) => nnz(m) >= 30,
  },
  {
    name: 'per-user',
    options: { method: 'per-user', test: 0.3, validationCount: 1 },
    varied: (m) => usersWithAtLeast(m, 4) >= 8,
  },
  {
    name: 'k-fold',
    options: { method: 'k-fold', folds: 4, fold: 1 },
    varied: (m) => nnz(m) >= 30,
  },
  {
    name: 'held-out-users',
    options: { method: 'held-out-users', testUsers: 3, validationUsers: 2, minPlaysToSplit: 2 },
    varied: (m) => usersWithAtLeast(m, 1) >= 20,
  },
];

describe('splits: properties', () => {
  for (const { name, options, varied } of methods) {
    it(`${name}: disjoint, complete, same shape, deterministic by seed`, () => {
      fc.assert(
        fc.property(matrixArb, fc.integer(), (m, seed) => {
          fc.pre(options.method !== 'held-out-users' || usersWithAtLeast(m, 1) >= 5);
          const a = splitInteractions(m, options, seed);
          expectPartition(m, a);
          const b = splitInteractions(m, options, seed);
          expect(b.labels).toEqual(a.labels);
          expect(entries(b.test)).toEqual(entries(a.test));
        }),
        { numRuns: 60 },
      );
    });

    it(`${name}: different seeds give different splits`, () => {
      fc.assert(
        fc.property(matrixArb, fc.integer(), fc.integer(), (m, s1, s2) => {
          fc.pre(s1 !== s2 && varied(m));
          expect(splitInteractions(m, options, s1).labels).not.toEqual(
            splitInteractions(m, options, s2).labels,
          );
        }),
        { numRuns: 40 },
      );
    });
  }

  it('mergeParts undoes cutByLabels', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), (m, seed) => {
        fc.pre(usersWithAtLeast(m, 1) >= 3);
        const s = heldOutUsersSplit(m, { testUsers: 1, validationUsers: 1, minPlaysToSplit: 1 }, seed);
        const cut = cutByLabels(m, s.labels);
        expect(mergeParts(cut.parts, s.labels)).toEqual({ ...m, duplicates: undefined });
        const r = randomSplit(m, { test: 0.3 }, seed);
        expect(mergeParts([r.train, undefined, r.test], r.labels)).toEqual({ ...m, duplicates: undefined });
      }),
      { numRuns: 50 },
    );
  });

  it('random: exact sizes', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), (m, seed) => {
        const s = randomSplit(m, { test: 0.25, validation: 0.15 }, seed);
        expect(nnz(s.test)).toBe(Math.round(0.25 * nnz(m)));
        expect(nnz(s.validation!)).toBe(Math.round(0.15 * nnz(m)));
      }),
      { numRuns: 50 },
    );
  });

  it('per-user: every user keeps minTrain plays and gives the requested count', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), fc.integer({ min: 1, max: 3 }), (m, seed, k) => {
        const s = perUserSplit(m, { testCount: k, minTrain: 2 }, seed);
        for (let u = 0; u < m.rows; u++) {
          const d = rowNnz(m, u);
          expect(rowNnz(s.test, u)).toBe(Math.min(k, Math.max(0, d - 2)));
          expect(rowNnz(s.train, u)).toBe(d - rowNnz(s.test, u));
        }
      }),
      { numRuns: 50 },
    );
  });

  it('k-fold: the folds partition the interactions with sizes within one', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), fc.integer({ min: 2, max: 6 }), (m, seed, k) => {
        const folds = [...kFoldSplits(m, k, seed)];
        expect(folds).toHaveLength(k);
        const seen = new Map<string, number>();
        const sizes = folds.map((f) => nnz(f.test));
        for (const f of folds) {
          expectPartition(m, f);
          for (const key of entries(f.test).keys()) seen.set(key, (seen.get(key) ?? 0) + 1);
        }
        expect(seen.size).toBe(nnz(m));
        expect([...seen.values()].every((c) => c === 1)).toBe(true);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // A single fold from splitInteractions equals the generator's fold.
        const one = splitInteractions(m, { method: 'k-fold', folds: k, fold: k - 1 }, seed);
        expect(one.labels).toEqual(folds[k - 1].labels);
      }),
      { numRuns: 40 },
    );
  });

  it("k-fold with validation: carved from the fold's training part only, the test fold unchanged", () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), fc.integer({ min: 2, max: 5 }), (m, seed, k) => {
        const plain = [...kFoldSplits(m, k, seed)];
        const carved = [...kFoldSplits(m, k, seed, 0.2)];
        for (let f = 0; f < k; f++) {
          const a = plain[f];
          const b = carved[f];
          expectPartition(m, b);
          // Same test fold; validation only ever takes training interactions.
          expect(entries(b.test)).toEqual(entries(a.test));
          const trainBefore = nnz(a.train);
          expect(nnz(b.validation!)).toBe(Math.round(0.2 * trainBefore));
          for (const key of entries(b.validation!).keys()) expect(entries(a.train).has(key)).toBe(true);
          expect(b.options).toEqual({ method: 'k-fold', folds: k, fold: f, validation: 0.2 });
        }
        const one = splitInteractions(m, { method: 'k-fold', folds: k, fold: 0, validation: 0.2 }, seed);
        expect(one.labels).toEqual(carved[0].labels);
      }),
      { numRuns: 30 },
    );
    expect(() => [...kFoldSplits(randomMatrix(5, 5, 0.5, 1), 3, 1, 1)]).toThrow(/validation must be a share/);
  });

  it('held-out users: training rows of held-out users are empty; each splits into fold-in and target', () => {
    fc.assert(
      fc.property(matrixArb, fc.integer(), (m, seed) => {
        fc.pre(usersWithAtLeast(m, 1) >= 4);
        const s = heldOutUsersSplit(m, { testUsers: 2, validationUsers: 2, targetFraction: 0.2 }, seed);
        expect(s.testUsers).toHaveLength(2);
        expect(s.validationUsers).toHaveLength(2);
        for (const u of [...s.testUsers!, ...s.validationUsers!]) {
          const d = rowNnz(m, u);
          expect(rowNnz(s.train, u)).toBe(0);
          const target = rowNnz(s.test, u) + rowNnz(s.validation!, u);
          expect(target).toBe(d < 5 ? 0 : d - Math.floor(0.8 * d));
          expect(rowNnz(s.foldIn!, u)).toBe(d - target);
        }
        for (const u of s.testUsers!) expect(rowNnz(s.validation!, u)).toBe(0);
        for (const u of s.validationUsers!) expect(rowNnz(s.test, u)).toBe(0);
      }),
      { numRuns: 50 },
    );
  });
});

describe('splits: cold users and items', () => {
  it('reports test songs and users with nothing in training', () => {
    // User 2 has one play, song 3 has one listener: with every play of theirs in test they are cold.
    const m = csrFromTriplets(3, 4, [0, 0, 0, 1, 1, 2], [0, 1, 3, 0, 1, 2], [1, 2, 3, 4, 5, 6]);
    const labels = new Uint8Array(nnz(m));
    labels[2] = SPLIT_LABEL.test; // (0, 3)
    labels[5] = SPLIT_LABEL.test; // (2, 2)
    const s = splitFromLabels(m, labels, { method: 'random', test: 0.3 }, 1);
    expect(Array.from(s.cold.test.users)).toEqual([2]);
    expect(Array.from(s.cold.test.items)).toEqual([2, 3]);
    expect(s.cold.test.interactions).toBe(2);
  });

  it('counts fold-in plays as known for held-out users, but not for items', () => {
    const m = csrFromTriplets(2, 3, [0, 1, 1], [0, 1, 2], [1, 1, 1]);
    const labels = Uint8Array.of(SPLIT_LABEL.train, SPLIT_LABEL.testFoldIn, SPLIT_LABEL.test);
    const s = splitFromLabels(m, labels, { method: 'held-out-users', testUsers: 1 }, 1);
    expect(Array.from(s.cold.test.users)).toEqual([]);
    expect(Array.from(s.cold.test.items)).toEqual([2]);
    expect(Array.from(s.testUsers!)).toEqual([1]);
  });
});

describe('splits: stability and errors', () => {
  it('pins the labels for fixed seeds so Node and browsers agree across releases', () => {
    const m = randomMatrix(50, 40, 0.3, 12345);
    const hashes = methods.map(({ options }) => fnv1a(splitInteractions(m, options, 42).labels));
    expect(hashes).toMatchSnapshot();
  });

  it('rejects bad options with a message naming the option', () => {
    const m = randomMatrix(5, 5, 0.5, 1);
    expect(() => randomSplit(m, { test: 1.2 }, 1)).toThrow(/test must be a share/);
    expect(() => randomSplit(m, { test: 0.6, validation: 0.5 }, 1)).toThrow(/test \+ validation/);
    expect(() => perUserSplit(m, { testCount: -1 }, 1)).toThrow(/testCount/);
    expect(() => splitInteractions(m, { method: 'k-fold', folds: 1, fold: 0 }, 1)).toThrow(/folds/);
    expect(() => splitInteractions(m, { method: 'k-fold', folds: 3, fold: 3 }, 1)).toThrow(/fold must be/);
    expect(() => heldOutUsersSplit(m, { testUsers: 99 }, 1)).toThrow(/99 held-out users/);
    expect(() => randomSplit(m, {}, 1.5)).toThrow(/seed/);
    expect(() => splitFromLabels(m, new Uint8Array(1), { method: 'random' }, 1)).toThrow(/labels for/);
  });
});

describe('describeSplitOptions', () => {
  it('says what each split holds out, with the defaults the split applies', () => {
    expect(describeSplitOptions({ method: 'random', test: 0.1, validation: 0.1 })).toBe(
      'random holdout: 10% test, 10% validation',
    );
    expect(describeSplitOptions({ method: 'random' })).toBe('random holdout: 10% test, 0% validation');
    expect(describeSplitOptions({ method: 'random', test: 0, validation: 0 })).toBe(
      'no split: every play trains the model',
    );
    expect(describeSplitOptions({ method: 'per-user', testCount: 1 })).toBe(
      "per-user holdout: 1 of each user's plays for test, 0% validation",
    );
    expect(describeSplitOptions({ method: 'k-fold', folds: 5, fold: 0, validation: 0.1 })).toBe(
      "fold 1 of 5-fold cross-validation, 10% of the fold's training part for validation",
    );
    expect(describeSplitOptions({ method: 'held-out-users', testUsers: 200, validationUsers: 200 })).toBe(
      'held-out users: 200 test, 200 validation',
    );
    expect(describeSplitOptions({ method: 'given', validation: 0.05 })).toBe(
      'given split, 5% of the training file for validation',
    );
  });
});
