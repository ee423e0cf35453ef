import { Rng } from '@autorec/data';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exactSoftmaxLoss,
  gemm,
  gemmJs,
  NegativeSampler,
  type Negatives,
  type SparseBatch,
  sampledSoftmaxLoss,
  type TargetRows,
  transpose,
} from './mult-vae-dense.ts';
import { type GradientOptions, MultAdam, MultNet, type MultWeights, WEIGHT_NAMES } from './mult-vae-net.ts';
import { multinomialNll } from './mult-vae-network.ts';

const randomArray = (n: number, rng: Rng, sd = 1) =>
  Float32Array.from({ length: n }, () => rng.normal() * sd);

/** Listener b plays items `plays[b]`; input values 1/√n (the normalised input without dropout). */
function batchOf(plays: number[][]): { batch: SparseBatch; targets: TargetRows } {
  const start = new Int32Array(plays.length + 1);
  for (let b = 0; b < plays.length; b++) start[b + 1] = start[b] + plays[b].length;
  const item = Int32Array.from(plays.flat());
  const segment = Int32Array.from(plays.flatMap((p, b) => p.map(() => b)));
  const value = Float32Array.from(plays.flatMap((p) => p.map(() => 1 / Math.sqrt(p.length))));
  return {
    batch: { rows: plays.length, segment, item, value },
    targets: { rows: plays.length, start, item },
  };
}

describe('Mult-VAE dense helpers', () => {
  it('multiplies on tfjs as the plain loops do, and transposes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 1000 }),
        (m, k, n, seed) => {
          const rng = new Rng(seed);
          const a = randomArray(m * k, rng);
          const b = randomArray(k * n, rng);
          const want = gemmJs(a, b, m, k, n);
          // A naive triple loop as the twin's own reference.
          for (let i = 0; i < m; i += Math.max(1, m >> 2))
            for (let j = 0; j < n; j += Math.max(1, n >> 2)) {
              let s = 0;
              for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
              expect(want[i * n + j]).toBeCloseTo(s, 3);
            }
          const got = gemm(a, b, m, k, n, true);
          for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j], 3);
          const t = transpose(a, m, k);
          for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) expect(t[p * m + i]).toBe(a[i * k + p]);
        },
      ),
      { numRuns: 25 },
    );
    // Large enough to go through tfjs (≥ 2^15 multiply-adds).
    const rng = new Rng(4);
    const a = randomArray(70 * 33, rng);
    const b = randomArray(33 * 50, rng);
    const want = gemmJs(a, b, 70, 33, 50);
    const got = gemm(a, b, 70, 33, 50, true);
    for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j], 3);
    expect(() => gemm(a, b, 70, 33, 49)).toThrow(RangeError);
  });

  it('gives the exact softmax loss and gradient of multinomialNll, averaged over the batch', () => {
    const rng = new Rng(2);
    const I = 9;
    const { targets } = batchOf([[0, 3], [8], [1, 2, 4, 5]]);
    const B = targets.rows;
    const logits = randomArray(B * I, rng, 2); // rows × items
    const logitsT = transpose(logits, B, I);
    const loss = exactSoftmaxLoss(logitsT, I, targets);
    let want = 0;
    for (let b = 0; b < B; b++) {
      const x = new Float64Array(I);
      for (let p = targets.start[b]; p < targets.start[b + 1]; p++) x[targets.item[p]] = 1;
      const r = multinomialNll(logits.subarray(b * I, (b + 1) * I), x);
      want += r.loss / B;
      for (let i = 0; i < I; i++) expect(logitsT[i * B + b]).toBeCloseTo(r.grad[i] / B, 6);
    }
    expect(loss).toBeCloseTo(want, 5);
  });

  it('gives the sampled softmax the gradient of its loss (finite differences, float64)', () => {
    const rng = new Rng(7);
    const { targets } = batchOf([[0, 3], [8], [1, 2, 4], []]);
    const B = targets.rows;
    const negatives: Negatives = {
      item: Int32Array.of(3, 5, 6, 8),
      correction: Float32Array.of(0.3, -0.2, 1.1, 0),
    };
    // Listener 0 played negative 0 (item 3), listener 1 negative 3 (item 8).
    const hit = Int32Array.of(0 * B + 0, 3 * B + 1);
    const pos = Float64Array.from({ length: targets.item.length }, () => rng.normal());
    const negT = Float64Array.from({ length: 4 * B }, () => rng.normal());
    const lossOf = (p: Float64Array, n: Float64Array) =>
      sampledSoftmaxLoss(Float64Array.from(p), Float64Array.from(n), negatives, hit, targets);
    const gPos = Float64Array.from(pos);
    const gNeg = Float64Array.from(negT);
    const loss = sampledSoftmaxLoss(gPos, gNeg, negatives, hit, targets);
    expect(loss).toBeCloseTo(lossOf(pos, negT), 12);
    const h = 1e-6;
    const check = (values: Float64Array, grad: Float64Array, other: Float64Array, isPos: boolean) => {
      for (let j = 0; j < values.length; j++) {
        const up = Float64Array.from(values);
        const down = Float64Array.from(values);
        up[j] += h;
        down[j] -= h;
        const numeric = isPos
          ? (lossOf(up, other) - lossOf(down, other)) / (2 * h)
          : (lossOf(other, up) - lossOf(other, down)) / (2 * h);
        expect(grad[j]).toBeCloseTo(numeric, 6);
      }
    };
    check(pos, gPos, negT, true);
    check(negT, gNeg, pos, false);
    // Masked hits and the empty listener's column carry no gradient.
    for (const j of hit) expect(gNeg[j]).toBe(0);
    for (let s = 0; s < 4; s++) expect(gNeg[s * B + 3]).toBe(0);
  });

  it('is the exact softmax when every item is drawn once with no correction', () => {
    const rng = new Rng(8);
    const I = 7;
    const { targets } = batchOf([[0, 3], [6], [1, 2, 4]]);
    const B = targets.rows;
    const logitsT = randomArray(I * B, rng, 2);
    const exact = exactSoftmaxLoss(Float32Array.from(logitsT), I, targets);
    const pos = new Float64Array(targets.item.length);
    const hit: number[] = [];
    for (let b = 0; b < B; b++)
      for (let p = targets.start[b]; p < targets.start[b + 1]; p++) {
        pos[p] = logitsT[targets.item[p] * B + b];
        hit.push(targets.item[p] * B + b);
      }
    const all: Negatives = {
      item: Int32Array.from({ length: I }, (_, i) => i),
      correction: new Float32Array(I),
    };
    const sampled = sampledSoftmaxLoss(pos, Float64Array.from(logitsT), all, Int32Array.from(hit), targets);
    expect(sampled).toBeCloseTo(exact, 5);
  });

  it('draws negatives whose corrected sum estimates the partition function without bias', () => {
    const rng = new Rng(11);
    const I = 50;
    const listeners = Array.from({ length: I }, (_, i) => Math.floor(200 / (i + 1)));
    const f = Float64Array.from({ length: I }, (_, i) => 2 - i / 20 + 0.3 * rng.normal());
    const Z = f.reduce((s, v) => s + Math.exp(v), 0);
    for (const power of [0, 0.75, 1]) {
      const sampler = new NegativeSampler(I, listeners, power);
      let mean = 0;
      const runs = 4000;
      for (let r = 0; r < runs; r++) {
        const n = sampler.draw(10, () => rng.next());
        expect(new Set(n.item).size).toBe(n.item.length);
        for (let s = 0; s < n.item.length; s++) mean += Math.exp(f[n.item[s]] + n.correction[s]) / runs;
      }
      expect(Math.abs(mean / Z - 1)).toBeLessThan(0.03);
    }
    // Uniform, one draw per item: the correction is log(I / S).
    const uniform = new NegativeSampler(I, listeners, 0).draw(1, () => 0.5);
    expect(uniform.correction[0]).toBeCloseTo(Math.log(I), 5);
  });
});

/** The same network and loss in tfjs ops with tfjs's own gradients: the twin the hand-written backward is checked against. */
function twinGradients(
  net: MultNet,
  batch: SparseBatch,
  targets: TargetRows,
  o: GradientOptions,
): { loss: number; grads: Record<string, Float32Array> } {
  const { items: I, latent: L } = net;
  const B = batch.rows;
  const x = new Float32Array(B * I);
  for (let p = 0; p < batch.item.length; p++) x[batch.segment[p] * I + batch.item[p]] += batch.value[p];
  const y = new Float32Array(B * I);
  for (let b = 0; b < B; b++)
    for (let p = targets.start[b]; p < targets.start[b + 1]; p++) y[b * I + targets.item[p]] = 1;
  // Sampled: each listener's candidates are their plays (offset 0) and the unplayed negatives (offset c_s).
  let offset: Float32Array | undefined;
  if (o.negatives) {
    offset = new Float32Array(B * I).fill(-1e30);
    for (let b = 0; b < B; b++) {
      for (let s = 0; s < o.negatives.item.length; s++)
        offset[b * I + o.negatives.item[s]] = o.negatives.correction[s];
      for (let p = targets.start[b]; p < targets.start[b + 1]; p++) offset[b * I + targets.item[p]] = 0;
    }
  }
  const shape = (n: (typeof WEIGHT_NAMES)[number]) => net.shape(n);
  const names = [...WEIGHT_NAMES];
  return tf.tidy(() => {
    const X = tf.tensor2d(x, [B, I]);
    const Y = tf.tensor2d(y, [B, I]);
    const f = (...ws: tf.Tensor[]) => {
      const w = Object.fromEntries(names.map((n, j) => [n, ws[j].reshape(shape(n))])) as Record<
        string,
        tf.Tensor2D
      >;
      const h1 = tf.tanh(tf.matMul(X, w.w1).add(w.b1));
      const code = tf.matMul(h1, w.w2).add(w.b2) as tf.Tensor2D;
      const mu = net.variational ? code.slice([0, 0], [B, L]) : code;
      const lv = net.variational ? code.slice([0, L], [B, L]) : undefined;
      let z: tf.Tensor = mu;
      if (lv && o.noise) z = mu.add(tf.exp(lv.mul(0.5)).mul(tf.tensor2d(o.noise, [B, L])));
      const h2 = tf.tanh(tf.matMul(z as tf.Tensor2D, w.w3).add(w.b3)) as tf.Tensor2D;
      const logits = tf.matMul(h2, w.w4, false, true).add(w.b4);
      const candidates = offset ? logits.add(tf.tensor2d(offset, [B, I])) : logits;
      const n = Y.sum(1);
      let loss = tf
        .sum(n.mul(tf.logSumExp(candidates, 1)))
        .sub(tf.sum(Y.mul(logits)))
        .div(B);
      if (lv) loss = loss.add(tf.sum(tf.exp(lv).add(mu.square()).sub(1).sub(lv)).mul((0.5 * o.beta) / B));
      if (o.weightDecay > 0)
        loss = loss.add(
          [w.w1, w.w2, w.w3, w.w4]
            .map((m) => tf.sum(m.square()))
            .reduce((a, b) => a.add(b))
            .mul(o.weightDecay),
        );
      return loss as tf.Scalar;
    };
    const { value, grads } = tf.valueAndGrads(f)(names.map((n) => tf.tensor1d(net.w[n])));
    return {
      loss: value.dataSync()[0],
      grads: Object.fromEntries(names.map((n, j) => [n, grads[j].dataSync() as Float32Array])),
    };
  });
}

function expectClose(got: Float32Array, want: Float32Array, what: string): void {
  let scale = 1e-3;
  for (const v of want) scale = Math.max(scale, Math.abs(v));
  for (let j = 0; j < want.length; j++)
    if (Math.abs(got[j] - want[j]) > 2e-4 * scale + 1e-6)
      throw new Error(`${what}[${j}]: ${got[j]} vs tfjs ${want[j]} (scale ${scale})`);
}

describe('MultNet gradients against the tfjs twin', () => {
  const plays = [
    [0, 3, 5],
    [8, 2],
    [1, 2, 4, 5, 9],
    [10, 11],
  ];
  const cases: [string, boolean, (rng: Rng, L: number) => GradientOptions][] = [
    [
      'VAE, exact softmax, β and λ',
      true,
      (rng, L) => ({ beta: 0.3, weightDecay: 0.01, noise: randomArray(4 * L, rng) }),
    ],
    ['DAE, exact softmax, λ', false, () => ({ beta: 0, weightDecay: 0.02 })],
    [
      'VAE, sampled softmax',
      true,
      (rng, L) => ({
        beta: 0.2,
        weightDecay: 0,
        noise: randomArray(4 * L, rng),
        negatives: {
          item: Int32Array.of(2, 6, 7, 9, 11),
          correction: Float32Array.of(0.5, 1, 0.2, -0.3, 0.7),
        },
      }),
    ],
  ];
  for (const [name, variational, options] of cases)
    it(name, () => {
      const rng = new Rng(21);
      const net = new MultNet(12, 5, 3, variational, 13);
      // Biases away from 0 so their gradients are exercised.
      for (const n of ['b1', 'b2', 'b3', 'b4'] as const) net.w[n].set(randomArray(net.w[n].length, rng, 0.3));
      const { batch, targets } = batchOf(plays);
      const o = options(rng, 3);
      const g = net.zeros();
      const r = net.gradients(batch, targets, o, g);
      const twin = twinGradients(net, batch, targets, o);
      expect(r.loss).toBeCloseTo(twin.loss, 4);
      for (const n of WEIGHT_NAMES) expectClose(g[n], twin.grads[n], n);
      expect(Array.from(r.rows1)).toEqual([0, 1, 2, 3, 4, 5, 8, 9, 10, 11]);
      if (o.negatives) expect(Array.from(r.rows4 ?? [])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      else expect(r.rows4).toBeNull();
    });

  it('steps Adam as tfjs’s Adam does, and only the touched rows when sampled', () => {
    const { batch, targets } = batchOf([
      [0, 1],
      [2, 3],
    ]);
    const net = new MultNet(12, 4, 2, false, 3);
    const start = Object.fromEntries(
      WEIGHT_NAMES.map((n) => [n, Float32Array.from(net.w[n])]),
    ) as MultWeights;
    const adam = new MultAdam(net, 0.01);
    const o = { beta: 0, weightDecay: 0 };
    // Reference: tfjs Adam (same β₁, β₂, ε) on the twin's gradients, two steps.
    const ref = new MultNet(12, 4, 2, false, start);
    const vars = WEIGHT_NAMES.map((n) =>
      tf.variable(tf.tensor1d(Float32Array.from(start[n])), true, `ref-${n}`),
    );
    const optimizer = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    for (let s = 0; s < 2; s++) {
      adam.step(batch, targets, o);
      const twin = twinGradients(ref, batch, targets, o);
      const grads = WEIGHT_NAMES.map((n, j) => ({ name: vars[j].name, tensor: tf.tensor1d(twin.grads[n]) }));
      optimizer.applyGradients(grads);
      tf.dispose(grads.map((g) => g.tensor));
      for (const [j, n] of WEIGHT_NAMES.entries()) ref.w[n].set(vars[j].dataSync());
    }
    for (const n of WEIGHT_NAMES) expectClose(net.w[n], ref.w[n], n);
    tf.dispose(vars);
    optimizer.dispose();

    const lazy = new MultNet(12, 4, 2, false, start);
    const before = Float32Array.from(lazy.w.w4);
    new MultAdam(lazy, 0.01).step(batch, targets, {
      ...o,
      negatives: { item: Int32Array.of(7), correction: Float32Array.of(0) },
    });
    for (let i = 0; i < 12; i++) {
      const moved = lazy.w.w4.subarray(i * 4, i * 4 + 4).some((v, k) => v !== before[i * 4 + k]);
      expect(moved).toBe([0, 1, 2, 3, 7].includes(i));
    }
  });
});
