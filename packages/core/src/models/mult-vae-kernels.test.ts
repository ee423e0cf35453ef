import { readFileSync } from 'node:fs';
import { Rng } from '@autorec/data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileKernels, MULT_KERNELS, renderGeneratedModule } from '../../assembly/compile.ts';
import { Arena, type ArenaBlock } from '../engine/kernels.ts';
import {
  expF64,
  GEMM_PACK_FLOATS,
  jsMultKernels,
  type MultKernels,
  multModule,
  startMultKernels,
  tanhF64,
} from '../engine/mult-kernels.ts';
import { NegativeSampler, type SparseBatch, sampledSoftmaxLoss, type TargetRows } from './mult-vae-dense.ts';
import { MultKernelTrainer } from './mult-vae-kernels.ts';
import { type GradientOptions, MultAdam, MultNet, WEIGHT_NAMES } from './mult-vae-net.ts';

const simd = (await multModule(false)) !== null;

/** Random plays: `rows` listeners over `items` items, at least one play each, no repeats. */
function randomBatch(rows: number, items: number, rng: Rng): { batch: SparseBatch; targets: TargetRows } {
  const plays: number[][] = [];
  for (let b = 0; b < rows; b++) {
    const set = new Set<number>();
    const n = 1 + rng.int(Math.min(items, 6));
    while (set.size < n) set.add(rng.int(items));
    plays.push([...set].sort((x, y) => x - y));
  }
  const start = new Int32Array(rows + 1);
  for (let b = 0; b < rows; b++) start[b + 1] = start[b] + plays[b].length;
  const item = Int32Array.from(plays.flat());
  return {
    batch: {
      rows,
      segment: Int32Array.from(plays.flatMap((p, b) => p.map(() => b))),
      item,
      value: Float32Array.from(
        plays.flatMap((p) => p.map(() => (1 / Math.sqrt(p.length)) * (1 + rng.next()))),
      ),
    },
    targets: { rows, start, item },
  };
}

interface KernelCase {
  m: number;
  k: number;
  n: number;
  rows: number;
  items: number;
  width: number;
  seed: number;
}

const kernelCases: fc.Arbitrary<KernelCase> = fc.record({
  m: fc.integer({ min: 1, max: 13 }),
  // Past 128 the kernel's gemm works in blocks of the inner dimension.
  k: fc.oneof(fc.integer({ min: 0, max: 11 }), fc.integer({ min: 120, max: 300 })),
  // Past 256 columns the kernel's gemm packs B in column blocks.
  n: fc.oneof(fc.integer({ min: 1, max: 21 }), fc.integer({ min: 250, max: 270 })),
  rows: fc.integer({ min: 1, max: 7 }),
  items: fc.integer({ min: 1, max: 12 }),
  width: fc.constantFrom(8, 16, 24),
  seed: fc.integer({ min: 0, max: 1e6 }),
});

/**
 * Every kernel once on random data over one arena, each call split into `threads` ranges:
 * returns the arena's bytes after them and the kernels' return values.
 */
async function runKernels(c: KernelCase, make: (a: Arena) => Promise<MultKernels>, parts: number) {
  const rng = new Rng(c.seed);
  const { batch } = randomBatch(c.rows, c.items, rng);
  const P = batch.item.length;
  const W = c.width;
  const arena = new Arena();
  const sizes = {
    a: c.m * Math.max(1, c.k),
    b: Math.max(1, c.k) * c.n,
    c: c.m * c.n,
    ct: c.m * c.n,
    ptr: c.rows + 1,
    idx: P,
    val: P,
    src: c.items * W,
    h: c.rows * W,
    out: P,
    bias: c.items,
    dst: c.items * W,
    list: c.items,
    g: c.items * W,
    m1: c.items * W,
    v1: c.items * W,
    rowsOut: c.items * W,
    scores: c.rows * c.items,
    pack0: GEMM_PACK_FLOATS,
    pack1: GEMM_PACK_FLOATS,
  };
  const blocks = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, arena.reserve(n)])) as Record<
    keyof typeof sizes,
    ArenaBlock
  >;
  arena.commit('test', parts > 1);
  const f = (name: keyof typeof sizes) => arena.f32(blocks[name]);
  for (const name of ['a', 'b', 'val', 'src', 'h', 'bias', 'dst', 'g', 'm1'] as const)
    f(name).set(Float32Array.from({ length: sizes[name] }, () => rng.normal()));
  f('v1').set(Float32Array.from({ length: sizes.v1 }, () => rng.next()));
  const ptr = arena.i32(blocks.ptr);
  for (let p = 0; p < P; p++) ptr[batch.segment[p] + 1]++;
  for (let r = 0; r < c.rows; r++) ptr[r + 1] += ptr[r];
  arena.i32(blocks.idx).set(batch.item);
  const list = [...new Set(batch.item)].sort((x, y) => x - y);
  arena.i32(blocks.list).set(list);
  const k = await make(arena);
  const o = (name: keyof typeof sizes) => blocks[name].offset;
  const rb = W * 4;
  const cut = (n: number) => {
    const r: [number, number][] = [];
    for (let t = 0; t < parts; t++) r.push([Math.floor((n * t) / parts), Math.floor((n * (t + 1)) / parts)]);
    return r;
  };
  const results: number[] = [];
  const each = (n: number, call: (a: number, b: number, t: number) => { name: never; args: number[] }) => {
    const calls = cut(n).map(([a, b], t) => call(a, b, t));
    if (k.threads >= parts) results.push(...k.run(calls));
    else for (const one of calls) results.push(...k.run([one]));
  };
  const hyper = [0.01, 0.9, 0.1, 0.999, 0.001, 1e-8];
  type Call = { name: never; args: number[] };
  const call = (name: string, args: number[]) => ({ name, args }) as unknown as Call;
  const pack = (t: number) => o(t === 0 ? 'pack0' : 'pack1');
  each(c.m, (m0, m1, t) => call('gemm', [o('a'), c.k * 4, 4, o('b'), o('c'), m0, m1, c.k, c.n, pack(t)]));
  // A stored transposed: the same A read as k × m.
  each(c.m, (m0, m1, t) => call('gemm', [o('a'), 4, c.m * 4, o('b'), o('ct'), m0, m1, c.k, c.n, pack(t)]));
  each(c.rows, (r0, r1) =>
    call('gatherRows', [r0, r1, o('ptr'), o('idx'), o('val'), o('src'), o('h'), rb, 1]),
  );
  each(c.rows, (r0, r1) =>
    call('dotRows', [r0, r1, o('ptr'), o('idx'), o('h'), o('src'), o('bias'), o('out'), rb]),
  );
  each(c.items, (i0, i1) =>
    call('scoreItems', [i0, i1, c.rows, o('h'), o('src'), o('bias'), o('scores'), c.items, rb]),
  );
  const scored = {
    h: f('h').slice(),
    w: f('src').slice(),
    bias: f('bias').slice(),
    out: f('scores').slice(),
  };
  each(c.items, (lo, hi) =>
    call('scatterRows', [lo, hi, c.rows, o('ptr'), o('idx'), o('val'), o('h'), o('dst'), rb]),
  );
  each(list.length, (s0, s1) => call('addListRows', [s0, s1, o('list'), o('src'), o('dst'), rb]));
  each(list.length, (s0, s1) => call('gatherList', [s0, s1, o('list'), o('dst'), o('rowsOut'), rb]));
  each(list.length, (t0, t1) =>
    call('adamRows', [t0, t1, o('list'), W, o('src'), o('g'), o('m1'), o('v1'), 0.02, ...hyper]),
  );
  each(c.items * W, (e0, e1) => call('adamRange', [o('dst'), o('g'), o('m1'), o('v1'), e0, e1, 0, ...hyper]));
  each(c.items, (e0, e1) => call('adamRange', [o('bias'), o('g'), o('m1'), o('v1'), e0, e1, 0.5, ...hyper]));
  k.close();
  // Everything but the gemm's scratch (the last blocks), which only the WebAssembly kernel writes.
  const bytes = new Uint8Array(arena.f32(blocks.a).buffer, 0, blocks.pack0.offset).slice();
  const sum = results.reduce((s, r) => s + r, 0);
  return {
    bytes,
    sum,
    c: f('c').slice(),
    ct: f('ct').slice(),
    a: f('a').slice(),
    b: f('b').slice(),
    scored,
  };
}

describe('Mult-VAE kernels', () => {
  it('compute the products their twins describe (a naive triple loop)', async () => {
    const c: KernelCase = { m: 6, k: 5, n: 11, rows: 3, items: 4, width: 8, seed: 3 };
    const r = await runKernels(c, async (a) => jsMultKernels(a), 1);
    for (let i = 0; i < c.m; i++)
      for (let j = 0; j < c.n; j++) {
        let s = 0;
        let st = 0;
        for (let p = 0; p < c.k; p++) {
          s += r.a[i * c.k + p] * r.b[p * c.n + j];
          st += r.a[p * c.m + i] * r.b[p * c.n + j];
        }
        expect(r.c[i * c.n + j]).toBeCloseTo(s, 4);
        expect(r.ct[i * c.n + j]).toBeCloseTo(st, 4);
      }
    // scoreItems: listener-major logits h[b] · w[i] + bias[i].
    const { h, w, bias, out } = r.scored;
    for (let b = 0; b < c.rows; b++)
      for (let i = 0; i < c.items; i++) {
        let s = bias[i];
        for (let j = 0; j < c.width; j++) s += h[b * c.width + j] * w[i * c.width + j];
        expect(out[b * c.items + i]).toBeCloseTo(s, 4);
      }
  });

  it.runIf(simd)(
    'agree bit for bit with their typed-array twins, on one thread and on two',
    async () => {
      await fc.assert(
        fc.asyncProperty(kernelCases, async (c) => {
          const twin = await runKernels(c, async (a) => jsMultKernels(a), 1);
          const wasm = await runKernels(c, (a) => startMultKernels(a, 1, 'wasm-simd'), 1);
          expect(wasm.sum).toBe(twin.sum);
          expect(Buffer.compare(wasm.bytes, twin.bytes)).toBe(0);
          const split = await runKernels(c, (a) => startMultKernels(a, 2, 'wasm-simd'), 2);
          // Σ p² is summed per range, then the ranges' sums: float64 rounding apart.
          expect(split.sum).toBeCloseTo(twin.sum, 9);
          expect(Buffer.compare(split.bytes, twin.bytes)).toBe(0);
        }),
        { numRuns: 40, seed: 13 },
      );
    },
    60_000,
  );

  it('compute tanh and the sampled softmax as the model does, to float rounding', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1e6 }),
        async (B, S, seed) => {
          const rng = new Rng(seed);
          const c = softmaxCase(B, S, rng);
          const twin = await runSoftmax(c, async (a) => jsMultKernels(a), 1);
          // The model's own loss (sampledSoftmaxLoss) and Math.tanh: the twins' exp and tanh differ by ulps.
          const negT = c.negT.slice();
          const pos = c.pos.slice();
          const hits: number[] = [];
          for (let j = 0; j < negT.length; j++) if (negT[j] === Number.NEGATIVE_INFINITY) hits.push(j);
          const negatives = { item: new Int32Array(S), correction: c.corr };
          const loss = sampledSoftmaxLoss(pos, negT, negatives, Int32Array.from(hits), c.targets);
          expect(twin.loss / B).toBeCloseTo(loss, 9);
          for (let j = 0; j < negT.length; j++) expect(twin.negT[j]).toBeCloseTo(negT[j], 7);
          for (let j = 0; j < pos.length; j++) expect(twin.pos[j]).toBeCloseTo(pos[j], 7);
          for (let j = 0; j < c.x.length; j++)
            expect(twin.x[j]).toBeCloseTo(Math.tanh(c.x[j] + c.bias[j % 8]), 6);
          if (!simd) return;
          // The WebAssembly kernels are their bits, on one thread and on two.
          for (const parts of [1, 2]) {
            const wasm = await runSoftmax(c, (a) => startMultKernels(a, parts, 'wasm-simd'), parts);
            expect(wasm.loss).toBeCloseTo(twin.loss, 9);
            for (const key of ['negT', 'pos', 'x'] as const) expect(wasm[key]).toEqual(twin[key]);
          }
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });

  it('compute e^x and tanh x to 1e-15, over the whole range', () => {
    // Above 709 it gives ∞ (e^x is finite up to 709.78; the kernels pass x ≤ 40).
    for (let x = -760; x <= 709; x += 0.37) {
      const want = Math.exp(x);
      const got = expF64(x);
      if (want === 0 || !Number.isFinite(want)) expect(got).toBe(want);
      else if (want < 2.3e-308)
        expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-323); // subnormal: an ulp
      else expect(Math.abs(got - want) / want).toBeLessThan(1e-15);
    }
    expect(expF64(Number.NEGATIVE_INFINITY)).toBe(0);
    for (let x = -25; x <= 25; x += 0.0137) expect(Math.abs(tanhF64(x) - Math.tanh(x))).toBeLessThan(1e-15);
    expect(tanhF64(-0.001)).toBeCloseTo(Math.tanh(-0.001), 17);
  });

  it('leave memory untouched when a thread instantiates them (no data segment)', async () => {
    if (!simd) return;
    const arena = new Arena();
    const block = arena.reserve(4096);
    arena.commit('test', true);
    arena.f32(block).fill(0.5);
    const k = await startMultKernels(arena, 2, 'wasm-simd');
    k.close();
    expect(arena.f32(block).every((v) => v === 0.5)).toBe(true);
  });

  it('are the committed bytes of the AssemblyScript source (else run npm run build:kernels)', async () => {
    const expected = renderGeneratedModule(await compileKernels(MULT_KERNELS), MULT_KERNELS);
    const committed = readFileSync(MULT_KERNELS.generated, 'utf8');
    expect(
      committed === expected,
      `${MULT_KERNELS.generated} is out of date: run npm run build:kernels`,
    ).toBe(true);
  }, 180_000);
});

interface SoftmaxCase {
  targets: TargetRows;
  negT: Float32Array;
  corr: Float32Array;
  pos: Float32Array;
  x: Float32Array;
  bias: Float32Array;
}

/** A sampled-softmax batch (some played negatives masked with −∞) and a block for tanh. */
function softmaxCase(B: number, S: number, rng: Rng): SoftmaxCase {
  const { targets } = randomBatch(B, 20, rng);
  const negT = Float32Array.from({ length: S * B }, () => rng.normal() * 3);
  for (let j = 0; j < negT.length; j += 5) negT[j] = Number.NEGATIVE_INFINITY;
  return {
    targets,
    negT,
    corr: Float32Array.from({ length: S }, () => rng.normal()),
    pos: Float32Array.from({ length: targets.item.length }, () => rng.normal() * 3),
    x: Float32Array.from({ length: B * 8 }, () => rng.normal() * 2),
    bias: Float32Array.from({ length: 8 }, () => rng.normal()),
  };
}

/** `sampledSoftmaxCols` (its loss completed from the scratch) and `tanhRows`, split into `parts`. */
async function runSoftmax(c: SoftmaxCase, make: (a: Arena) => Promise<MultKernels>, parts: number) {
  const B = c.targets.rows;
  const S = c.corr.length;
  const arena = new Arena();
  const sizes = [S * B, S, B + 1, c.pos.length, B * 8, 8, GEMM_PACK_FLOATS, GEMM_PACK_FLOATS];
  const [nt, corr, st, ps, xs, bs, s0, s1] = sizes.map((n) => arena.reserve(n));
  arena.commit('test', parts > 1);
  arena.f32(nt).set(c.negT);
  arena.f32(corr).set(c.corr);
  arena.i32(st).set(c.targets.start);
  arena.f32(ps).set(c.pos);
  arena.f32(xs).set(c.x);
  arena.f32(bs).set(c.bias);
  const k = await make(arena);
  const cut = (n: number, t: number) => [Math.floor((n * t) / parts), Math.floor((n * (t + 1)) / parts)];
  const scratch = [s0, s1];
  const calls = (name: string, args: (t: number) => number[]) =>
    Array.from({ length: parts }, (_, t) => ({ name, args: args(t) }) as never);
  const results = k.run(
    calls('sampledSoftmaxCols', (t) => [
      ...cut(B, t),
      S,
      B,
      nt.offset,
      corr.offset,
      st.offset,
      ps.offset,
      scratch[t].offset,
    ]),
  );
  k.run(calls('tanhRows', (t) => [...cut(B, t), xs.offset, bs.offset, 8]));
  k.close();
  let loss = 0;
  for (let t = 0; t < parts; t++) {
    const [b0, b1] = cut(B, t);
    const n = b1 - b0;
    const d = new Float64Array(arena.f32(scratch[t]).buffer, scratch[t].offset, 2 * n);
    loss += results[t];
    for (let b = b0; b < b1; b++) {
      const plays = c.targets.start[b + 1] - c.targets.start[b];
      if (plays > 0) loss += plays * (d[b - b0] + Math.log(d[n + b - b0]));
    }
  }
  return { loss, negT: arena.f32(nt).slice(), pos: arena.f32(ps).slice(), x: arena.f32(xs).slice() };
}

/** A small network and three Adam steps on random batches, by the typed-array network or the kernels. */
async function train(
  variational: boolean,
  sampled: boolean,
  how: { threads: number; kernels: 'js' | 'wasm-simd' } | 'network',
  weightDecay = 0,
) {
  const I = 37;
  const H = 16;
  const L = 5;
  const B = 9;
  const net = new MultNet(I, H, L, variational, 11);
  const rng = new Rng(5);
  const sampler = new NegativeSampler(
    I,
    Array.from({ length: I }, (_, i) => i % 7),
    0.75,
  );
  const batches = Array.from({ length: 3 }, () => randomBatch(B, I, rng));
  const trainer =
    how === 'network'
      ? undefined
      : await MultKernelTrainer.create(
          net,
          {
            batchSize: B,
            maxPlays: Math.max(...batches.map((x) => x.targets.item.length)),
            negatives: sampled ? 12 : 0,
            threads: how.threads,
            kernels: how.kernels,
            learningRate: 0.01,
          },
          'test',
        );
  const adam = new MultAdam(net, 0.01);
  const losses: number[] = [];
  for (const { batch, targets } of batches) {
    const options: GradientOptions = {
      beta: 0.1,
      weightDecay,
      noise: variational ? Float32Array.from({ length: B * L }, () => rng.normal()) : undefined,
      negatives: sampled ? sampler.draw(12, () => rng.next()) : undefined,
    };
    losses.push(trainer ? trainer.step(batch, targets, options) : adam.step(batch, targets, options));
  }
  trainer?.finish();
  return { losses, w: net.w };
}

describe('Mult-VAE kernel trainer', () => {
  for (const [variational, sampled, decay] of [
    [true, true, 0],
    [true, false, 0],
    [false, true, 0.01],
    [false, false, 0.01],
  ] as const)
    it(`steps as the typed-array network does (${variational ? 'VAE' : 'DAE'}, ${sampled ? 'sampled' : 'exact'} softmax)`, async () => {
      const want = await train(variational, sampled, 'network', decay);
      const got = await train(variational, sampled, { threads: 1, kernels: 'js' }, decay);
      for (let s = 0; s < want.losses.length; s++)
        expect(Math.abs(got.losses[s] - want.losses[s])).toBeLessThan(1e-4 * Math.abs(want.losses[s]));
      for (const name of WEIGHT_NAMES) {
        const a = want.w[name];
        const b = got.w[name];
        expect(b).not.toBe(a);
        let worst = 0;
        for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
        // Three Adam steps of lr 0.01: float32 against the network's float64 sums.
        expect(worst, name).toBeLessThan(2e-4);
      }
      if (!simd) return;
      // The WebAssembly kernels are the twins' bits, on one thread and on two (the loss's sums
      // are per thread: float64 rounding apart).
      for (const threads of [1, 2]) {
        const wasm = await train(variational, sampled, { threads, kernels: 'wasm-simd' }, decay);
        for (let s = 0; s < got.losses.length; s++) expect(wasm.losses[s]).toBeCloseTo(got.losses[s], 9);
        for (const name of WEIGHT_NAMES) expect(wasm.w[name]).toEqual(got.w[name]);
      }
    });

  it('refuses a hidden size the kernels cannot step and a batch larger than its layout', async () => {
    const layout = {
      batchSize: 2,
      maxPlays: 4,
      negatives: 0,
      threads: 1,
      kernels: 'js' as const,
      learningRate: 0.01,
    };
    await expect(MultKernelTrainer.create(new MultNet(5, 6, 2, true, 1), layout, 'mult-vae')).rejects.toThrow(
      /multiple of 8/,
    );
    const trainer = await MultKernelTrainer.create(new MultNet(5, 8, 2, false, 1), layout, 'mult-dae');
    const { batch, targets } = randomBatch(3, 5, new Rng(1));
    expect(() => trainer.step(batch, targets, { beta: 0, weightDecay: 0 })).toThrow(/batch of 3 listeners/);
    trainer.finish();
  });
});
