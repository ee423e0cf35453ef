import { csrFromTriplets, Rng } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import type { KernelKind } from '../engine/kernels.ts';
import { DecoderOutput, type EncoderActivation } from './autorec-activation.ts';
import { loadBatch } from './autorec-batch.ts';
import { BatchPass } from './autorec-batch-pass.ts';
import { batchEnd, encodeOne } from './autorec-inference.ts';
import { AutoRecNetwork } from './autorec-network.ts';

/** A 4-row × 6-column matrix with a few observed entries per row. */
function tinyMatrix() {
  const rows = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3];
  const cols = [0, 2, 5, 1, 2, 0, 3, 4, 5, 2];
  const vals = [5, 3, 1, 4, 2, 1, 5, 4, 2, 3];
  return csrFromTriplets(4, 6, rows, cols, vals);
}

const ROWS = [0, 1, 2, 3];

/** Loss = Σ_observed (g(z) − t)² for the whole tiny matrix as one batch. */
function loss(
  net: AutoRecNetwork,
  act: EncoderActivation,
  out: DecoderOutput,
  m: ReturnType<typeof tinyMatrix>,
) {
  const nList = loadBatch(net, m, m.values, ROWS, 0, 4);
  new BatchPass(net).forward(4, nList, act);
  const { tgtColPtr, targets } = net.train!.views;
  let l = 0;
  for (let q = 0; q < tgtColPtr[nList]; q++) l += (out.value(net.outValue[q]) - targets[q]) ** 2;
  return l;
}

describe('AutoRecNetwork gradients', () => {
  const cases: [KernelKind, EncoderActivation, 'identity' | 'sigmoid'][] = [
    ['wasm-simd', 'sigmoid', 'identity'],
    ['wasm-simd', 'tanh', 'sigmoid'],
    ['wasm-simd', 'relu', 'identity'],
    ['js', 'identity', 'identity'],
    ['js', 'sigmoid', 'sigmoid'],
    ['wasm-simd', 'selu', 'identity'],
    ['js', 'selu', 'identity'],
  ];
  for (const [kernels, act, dec] of cases) {
    it(`match finite differences (${kernels}, ${act} encoder, ${dec} decoder)`, () => {
      const m = tinyMatrix();
      // RProp layout: gradients accumulate in gE/gV instead of stepping the weights.
      const net = new AutoRecNetwork(
        { width: 6, hidden: 5, batchRows: 4, nnzCapacity: 16, optimizer: 'rprop' },
        kernels,
      );
      const out = new DecoderOutput(dec, 1, 5);
      net.initialise(new Rng(3), new Float32Array(6).fill(0.5));
      // Bigger weights than Glorot so every path carries a visible gradient.
      for (let q = 0; q < net.e.length; q++) if (q % net.stride < 5) net.e[q] *= 4;
      for (let j = 0; j < 5; j++) net.be[j] = 0.1 * (j - 2);
      loss(net, act, out, m);
      const { list, tgtColPtr, targets, delta } = net.train!.views;
      const nList = 6;
      const gbV = new Float64Array(6);
      for (let t = 0; t < nList; t++)
        for (let q = tgtColPtr[t]; q < tgtColPtr[t + 1]; q++) {
          const z = net.outValue[q];
          delta[q] = 2 * (out.value(z) - targets[q]) * out.slope(z);
          gbV[list[t]] += delta[q];
        }
      const gbE = new Float64Array(net.stride);
      expect(new BatchPass(net).backward(4, nList, act, gbE)).toBe(0);
      const gE = net.arena.f32(net.train!.gE!).slice();
      const gV = net.arena.f32(net.train!.gV!).slice();

      const h = 1e-2;
      const check = (w: Float32Array, q: number, analytic: number) => {
        const keep = w[q];
        w[q] = keep + h;
        const up = loss(net, act, out, m);
        w[q] = keep - h;
        const down = loss(net, act, out, m);
        w[q] = keep;
        const numeric = (up - down) / (2 * h);
        expect(Math.abs(numeric - analytic)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      };
      let nonzero = 0;
      for (let c = 0; c < 6; c++)
        for (let j = 0; j < 5; j++) {
          check(net.e, c * net.stride + j, gE[c * net.stride + j]);
          check(net.v, c * net.stride + j, gV[c * net.stride + j]);
          if (gE[c * net.stride + j] !== 0) nonzero++;
        }
      for (let j = 0; j < 5; j++) check(net.be, j, gbE[j]);
      for (let c = 0; c < 6; c++) check(net.bv, c, gbV[c]);
      expect(nonzero).toBeGreaterThan(act === 'relu' ? 5 : 25);
      // Padding lanes carry nothing.
      for (let c = 0; c < 6; c++) for (let j = 5; j < net.stride; j++) expect(gE[c * net.stride + j]).toBe(0);
    });
  }

  it('lays a batch out column by column with dropout applied to inputs only', () => {
    const m = tinyMatrix();
    const net = new AutoRecNetwork({ width: 6, hidden: 3, batchRows: 4, nnzCapacity: 16, optimizer: 'adam' });
    const nList = loadBatch(net, m, m.values, ROWS, 1, 3, 0.5, new Rng(1));
    const v = net.train!.views;
    // Rows 1 and 2 touch columns 1, 2, 0, 3, 4, 5 in order of first appearance.
    expect(Array.from(v.list.subarray(0, nList))).toEqual([1, 2, 0, 3, 4, 5]);
    expect(Array.from(v.tgtColPtr.subarray(0, nList + 1))).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(v.targets.subarray(0, 6))).toEqual([4, 2, 1, 5, 4, 2]);
    const kept = v.inColPtr[nList];
    expect(kept).toBeLessThan(6);
    for (let q = 0; q < kept; q++) expect([8, 4, 2, 10]).toContain(v.inColVals[q]);
  });

  it('adds sampled unplayed columns as zero targets with their weight, never a played one', () => {
    const m = tinyMatrix();
    const net = new AutoRecNetwork({ width: 6, hidden: 3, batchRows: 4, nnzCapacity: 64, optimizer: 'adam' });
    const ones = new Float32Array(m.values.length).fill(1);
    const candidates = Uint32Array.of(0, 1, 2, 3, 4, 5);
    const nList = loadBatch(net, m, ones, ROWS, 0, 4, 0, undefined, m.values, {
      perEntry: 1,
      weight: 0.25,
      candidates,
      rng: new Rng(3),
    });
    const v = net.train!.views;
    const played = new Set(
      ROWS.flatMap((r) => Array.from(m.indices.subarray(m.indptr[r], m.indptr[r + 1]), (c) => `${r},${c}`)),
    );
    let negatives = 0;
    let positives = 0;
    for (let j = 0; j < nList; j++) {
      let observedHere = 0;
      for (let q = v.tgtColPtr[j]; q < v.tgtColPtr[j + 1]; q++) {
        const key = `${v.tgtColRows[q]},${v.list[j]}`;
        if (v.targets[q] === 1) {
          expect(v.weights[q]).toBe(1);
          expect(played.has(key)).toBe(true);
          observedHere++;
        } else {
          expect(v.targets[q]).toBe(0);
          expect(v.weights[q]).toBe(0.25);
          expect(played.has(key)).toBe(false);
          negatives++;
        }
      }
      // Only observed targets count towards the column's L2 share.
      expect(v.positives[j]).toBe(observedHere);
      positives += observedHere;
    }
    expect(positives).toBe(10);
    // One per played entry, except where a row has fewer unplayed columns than that (row 2: 2).
    expect(negatives).toBe(3 + 2 + 2 + 1);
    // Inputs stay the observed ratings only.
    expect(v.inColPtr[nList]).toBe(10);
  });

  it('scales the sigmoid decoder to the rating range and inverts it', () => {
    const out = new DecoderOutput('sigmoid', 1, 5);
    expect(out.value(-50)).toBeCloseTo(1, 6);
    expect(out.value(50)).toBeCloseTo(5, 6);
    expect(out.value(0)).toBe(3);
    for (const x of [1.2, 2.5, 4.9]) expect(out.value(out.inverse(x))).toBeCloseTo(x, 5);
    // A residual model's range is ±(max − min) around the baseline, centred on 0.
    expect(new DecoderOutput('sigmoid', -4, 4).value(0)).toBe(0);
    expect(new DecoderOutput('identity', 1, 5).value(7)).toBe(7);
  });

  it('takes targets and encoder inputs from separate arrays (residual targets, rating inputs)', () => {
    const m = tinyMatrix();
    const net = new AutoRecNetwork({ width: 6, hidden: 3, batchRows: 4, nnzCapacity: 16, optimizer: 'adam' });
    const targets = Float32Array.from(m.values, (x) => x - 3);
    const nList = loadBatch(net, m, targets, ROWS, 1, 3, 0, undefined, m.values);
    const v = net.train!.views;
    expect(Array.from(v.targets.subarray(0, 6))).toEqual([1, -1, -2, 2, 1, -1]);
    // Inputs are the ratings themselves, so no rated entry reaches the encoder as 0 (unobserved).
    expect(Array.from(v.inColVals.subarray(0, v.inColPtr[nList]))).toEqual([4, 2, 1, 5, 4, 2]);
  });

  it('encodes a row longer than the batch buffers in pieces, as if it fitted', () => {
    const small = new AutoRecNetwork({ width: 60, hidden: 9, batchRows: 2, nnzCapacity: 16 });
    const big = new AutoRecNetwork({ width: 60, hidden: 9, batchRows: 2, nnzCapacity: 64 });
    small.initialise(new Rng(4), new Float32Array(60));
    big.restore(small.snapshot());
    const cols = Array.from({ length: 50 }, (_, j) => j + 5);
    const vals = cols.map((c) => (c % 5) + 1);
    const a = encodeOne(small, cols, vals, 'sigmoid');
    const b = encodeOne(big, cols, vals, 'sigmoid');
    expect(a).toHaveLength(9);
    for (let j = 0; j < 9; j++) expect(a[j]).toBeCloseTo(b[j], 6);
  });
});

describe('batchEnd', () => {
  it('cuts items into greedy batches that respect the row limit and every budget', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 50; trial++) {
      const count = Math.floor(rng.next() * 40);
      const a = Array.from({ length: count }, () => Math.floor(rng.next() * 10));
      const b = Array.from({ length: count }, () => Math.floor(rng.next() * 5));
      const maxRows = 1 + Math.floor(rng.next() * 6);
      const budgets = [
        [12, (k: number) => a[k]],
        [8, (k: number) => b[k]],
      ] as const;
      let from = 0;
      while (from < count) {
        const end = batchEnd(from, count, maxRows, budgets);
        expect(end).toBeGreaterThan(from); // every item fits alone here
        expect(end - from).toBeLessThanOrEqual(maxRows);
        const sum = (xs: number[]) => xs.slice(from, end).reduce((x, y) => x + y, 0);
        expect(sum(a)).toBeLessThanOrEqual(12);
        expect(sum(b)).toBeLessThanOrEqual(8);
        // Greedy: the next item would have broken a limit.
        if (end < count)
          expect(end - from === maxRows || sum(a) + a[end] > 12 || sum(b) + b[end] > 8).toBe(true);
        from = end;
      }
    }
  });
});
