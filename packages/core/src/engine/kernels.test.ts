import { readFileSync } from 'node:fs';
import { Rng } from '@autorec/data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileKernels, GENERATED_MODULE, renderGeneratedModule } from '../../assembly/compile.ts';
import {
  Arena,
  type ArenaBlock,
  createKernels,
  type KernelKind,
  kernelModuleBytes,
  paddedStride,
  type RowStep,
  wasmSimdAvailable,
} from './kernels.ts';

/** A batch shape: which (row, column) cells are stored, and which weight rows are listed. */
interface BatchCase {
  rows: number;
  cols: number;
  /** Used floats per row; the rest of the stride is zero padding. */
  width: number;
  stride: number;
  /** Stored cells in row-major order. */
  entries: [number, number][];
  /** Listed columns in increasing order: those with entries, plus any extra (empty) ones. */
  list: number[];
  seed: number;
}

/** The original fixed-size random batch: 7 × 11, 13 hidden units (stride 16), 35 % dense. */
function seededCase(seed: number): BatchCase {
  const rng = new Rng(seed);
  const rows = 7;
  const cols = 11;
  const entries: [number, number][] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (rng.next() < 0.35) entries.push([r, c]);
  const list = [...new Set(entries.map(([, c]) => c))].sort((x, y) => x - y);
  return { rows, cols, width: 13, stride: paddedStride(13), entries, list, seed };
}

/**
 * A batch (rows × cols, in row-major and column-major form), dense A (rows × stride) and
 * B (cols × stride), run through every kernel of one implementation.
 */
function runAll(kind: KernelKind, batch: BatchCase) {
  const { rows, cols, stride, entries, list } = batch;
  const rng = new Rng(batch.seed + 1000);
  const hidden = batch.width;
  const n = entries.length;
  const indptr = [0];
  for (let r = 0; r < rows; r++) indptr.push(entries.filter(([x]) => x <= r).length);
  // Column-major: the listed columns' entries, column by column.
  const byCol = list.flatMap((c) => entries.filter(([, y]) => y === c));
  const colPtr = [0];
  for (const c of list) colPtr.push(colPtr[colPtr.length - 1] + entries.filter(([, y]) => y === c).length);
  const arena = new Arena();
  const b: Record<string, ArenaBlock> = {};
  const reserve = (name: string, length: number) => {
    b[name] = arena.reserve(length);
  };
  reserve('indptr', rows + 1);
  reserve('idx', n);
  reserve('val', n);
  reserve('list', list.length);
  reserve('colPtr', list.length + 1);
  reserve('colRows', n);
  reserve('colVals', n);
  for (const name of ['a', 'ga', 'h', 'gh']) reserve(name, rows * stride);
  for (const name of ['bm', 'gb', 'm', 'v', 'e', 'em', 'ev']) reserve(name, cols * stride);
  for (const name of ['out', 'out2', 'delta']) reserve(name, n);
  reserve('bias', cols);
  reserve('coef', list.length);
  reserve('scratch', stride);
  arena.commit('test');
  arena.i32(b.indptr).set(indptr);
  arena.i32(b.idx).set(entries.map(([, c]) => c));
  arena.i32(b.list).set(list);
  arena.i32(b.colPtr).set(colPtr);
  arena.i32(b.colRows).set(byCol.map(([r]) => r));
  const fill = (block: ArenaBlock, width: number) => {
    const f = arena.f32(block);
    for (let q = 0; q < f.length; q++) f[q] = q % stride < width ? rng.normal() : 0;
  };
  for (const name of ['val', 'delta', 'bias', 'coef']) fill(b[name], Number.POSITIVE_INFINITY);
  for (const name of ['bm', 'e']) fill(b[name], hidden);
  // The same values in column-major order.
  const val = arena.f32(b.val);
  arena.f32(b.colVals).set(byCol.map((entry) => val[entries.indexOf(entry)]));
  arena.f32(b.coef).forEach((x, j, f) => {
    f[j] = Math.abs(x);
  });
  // Second moments as after some steps: a first Adam step from v = 0 moves a weight by ≈ lr
  // whatever the gradient's size, so float-rounding noise in a near-zero gradient would decide
  // its direction; with v > 0 the step is proportional to the gradient and comparable.
  arena.f32(b.v).fill(0.01);
  arena.f32(b.ev).fill(0.01);
  const k = createKernels(arena, kind);
  const o = (name: string) => b[name].offset;
  const step = (mode: 0 | 1, ga: string, m: string, v: string): RowStep => ({
    mode,
    stride,
    scratch: o('scratch'),
    ga: o(ga),
    m: o(m),
    v: o(v),
    coef: o('coef'),
    lr: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
  });
  k.gatherRows(rows, o('indptr'), o('idx'), o('val'), o('bm'), o('a'), stride);
  k.sampledDot(rows, o('indptr'), o('idx'), o('a'), o('bm'), o('bias'), o('out'), stride);
  k.scatterFromRows(list.length, o('list'), o('colPtr'), o('colRows'), o('colVals'), o('bm'), o('h'), stride);
  k.dotRows(list.length, o('list'), o('colPtr'), o('colRows'), o('bm'), o('h'), o('bias'), o('out2'), stride);
  // Gradients only (mode 0), then the fused Adam steps (mode 1).
  const n0 = list.length;
  k.backwardRows(
    n0,
    o('list'),
    o('colPtr'),
    o('colRows'),
    o('delta'),
    o('bm'),
    o('a'),
    o('ga'),
    step(0, 'gb', 'm', 'v'),
  );
  const regV = k.backwardRows(
    n0,
    o('list'),
    o('colPtr'),
    o('colRows'),
    o('delta'),
    o('bm'),
    o('a'),
    o('gh'),
    step(1, 'gb', 'm', 'v'),
  );
  const regE = k.gradRows(
    n0,
    o('list'),
    o('colPtr'),
    o('colRows'),
    o('colVals'),
    o('ga'),
    o('e'),
    step(1, 'gb', 'em', 'ev'),
  );
  const snap = (name: string) => Array.from(arena.f32(b[name]));
  return {
    kind: k.kind,
    regV,
    regE,
    ...Object.fromEntries(
      ['a', 'out', 'h', 'out2', 'ga', 'gh', 'gb', 'bm', 'm', 'v', 'e', 'em', 'ev'].map((x) => [x, snap(x)]),
    ),
    entries,
    byCol: byCol.map((entry) => entries.indexOf(entry)),
    stride,
  } as {
    kind: string;
    regV: number;
    regE: number;
    entries: [number, number][];
    byCol: number[];
    stride: number;
  } & Record<string, number[]>;
}

describe('sparse kernels', () => {
  it('WebAssembly SIMD is available on Node 20, and the module may compile synchronously in a page', () => {
    expect(wasmSimdAvailable()).toBe(true);
    expect(kernelModuleBytes().length).toBeLessThan(4096);
  });

  for (const seed of [1, 2, 3])
    it(`wasm-simd and js kernels agree (seed ${seed})`, () => {
      const w = runAll('wasm-simd', seededCase(seed));
      const j = runAll('js', seededCase(seed));
      expect(w.kind).toBe('wasm-simd');
      expect(j.kind).toBe('js');
      for (const key of ['a', 'out', 'h', 'out2', 'ga', 'gh', 'gb', 'bm', 'm', 'v', 'e', 'em', 'ev']) {
        expect(w[key].length).toBe(j[key].length);
        for (let q = 0; q < w[key].length; q++)
          expect([key, q, w[key][q]]).toEqual([key, q, expect.closeTo(j[key][q], 4)]);
      }
      expect(w.regV).toBeCloseTo(j.regV, 3);
      expect(w.regE).toBeCloseTo(j.regE, 3);
      // Row-major and column-major forms of the same batch compute the same products.
      for (let x = 0; x < w.a.length; x++) expect(w.h[x]).toBeCloseTo(w.a[x], 4);
      w.byCol.forEach((p, q) => {
        expect(w.out2[q]).toBeCloseTo(w.out[p], 4);
      });
    });

  it('compute what they promise (checked against plain loops on the inputs)', () => {
    const rng = new Rng(4);
    const arena = new Arena();
    const stride = 8;
    const indptr = arena.reserve(3);
    const idx = arena.reserve(3);
    const val = arena.reserve(3);
    const src = arena.reserve(3 * stride);
    const dst = arena.reserve(2 * stride);
    const bias = arena.reserve(3);
    const out = arena.reserve(3);
    arena.commit('test');
    arena.i32(indptr).set([0, 2, 3]);
    arena.i32(idx).set([2, 0, 1]);
    arena.f32(val).set([2, -1, 0.5]);
    const s = arena.f32(src);
    for (let q = 0; q < s.length; q++) s[q] = rng.normal();
    arena.f32(bias).set([0.1, 0.2, 0.3]);
    const k = createKernels(arena, 'wasm-simd');
    k.gatherRows(2, indptr.offset, idx.offset, val.offset, src.offset, dst.offset, stride);
    const d = arena.f32(dst);
    for (let j = 0; j < stride; j++) {
      expect(d[j]).toBeCloseTo(2 * s[2 * stride + j] - s[j], 5);
      expect(d[stride + j]).toBeCloseTo(0.5 * s[stride + j], 5);
    }
    k.sampledDot(2, indptr.offset, idx.offset, dst.offset, src.offset, bias.offset, out.offset, stride);
    const dot = (x: number, y: number) => {
      let t = 0;
      for (let j = 0; j < stride; j++) t += d[x * stride + j] * s[y * stride + j];
      return t;
    };
    const o = arena.f32(out);
    expect(o[0]).toBeCloseTo(dot(0, 2) + 0.3, 4);
    expect(o[1]).toBeCloseTo(dot(0, 0) + 0.1, 4);
    expect(o[2]).toBeCloseTo(dot(1, 1) + 0.2, 4);
  });

  it('gradRows with mode 1 takes one Adam step with L2 on each listed row and leaves the others', () => {
    const arena = new Arena();
    const stride = 8;
    const [p, m, v, g, scratch] = ['p', 'm', 'v', 'g', 's'].map(() => arena.reserve(2 * stride));
    const list = arena.reserve(1);
    const colPtr = arena.reserve(2);
    const colRows = arena.reserve(1);
    const colVals = arena.reserve(1);
    const coef = arena.reserve(1);
    arena.commit('test');
    arena.i32(list)[0] = 1;
    arena.i32(colPtr).set([0, 1]);
    arena.i32(colRows)[0] = 0;
    arena.f32(colVals)[0] = 4;
    arena.f32(coef)[0] = 0.2;
    for (const kind of ['wasm-simd', 'js'] as const) {
      const [pv, mv0, vv0, gv] = [p, m, v, g].map((x) => arena.f32(x));
      pv.fill(0.5);
      mv0.fill(0.1);
      vv0.fill(0.04);
      gv.fill(0.5); // row 0 of the "b" matrix: gradient = 4 · 0.5 = 2
      const k = createKernels(arena, kind);
      const reg = k.gradRows(
        1,
        list.offset,
        colPtr.offset,
        colRows.offset,
        colVals.offset,
        g.offset,
        p.offset,
        {
          mode: 1,
          stride,
          scratch: scratch.offset,
          ga: 0,
          m: m.offset,
          v: v.offset,
          coef: coef.offset,
          lr: 0.01,
          beta1: 0.9,
          beta2: 0.99,
          eps: 1e-8,
        },
      );
      expect(reg).toBeCloseTo(0.2 * 8 * 0.25, 5);
      const grad = 2 + 0.2 * 0.5;
      const mv = 0.9 * 0.1 + 0.1 * grad;
      const vv = 0.99 * 0.04 + 0.01 * grad * grad;
      for (let j = 0; j < stride; j++) {
        expect(pv[j]).toBe(0.5); // row 0 not listed
        expect(mv0[j]).toBeCloseTo(0.1, 7);
        expect(pv[stride + j]).toBeCloseTo(0.5 - (0.01 * mv) / (Math.sqrt(vv) + 1e-8), 6);
        expect(mv0[stride + j]).toBeCloseTo(mv, 6);
        expect(vv0[stride + j]).toBeCloseTo(vv, 6);
      }
    }
  });

  it('rejects strides that are not a multiple of 8', () => {
    const arena = new Arena();
    arena.reserve(64);
    arena.commit('test');
    const k = createKernels(arena, 'wasm-simd');
    expect(() => k.gatherRows(0, 0, 0, 0, 0, 0, 12)).toThrow(/multiple of 8/);
    expect(paddedStride(500)).toBe(504);
    expect(paddedStride(8)).toBe(8);
  });

  it('refuses a model larger than WebAssembly can address, naming it', () => {
    const arena = new Arena();
    arena.reserve(2 ** 30);
    arena.reserve(2 ** 30);
    expect(() => arena.commit('i-autorec')).toThrow(/i-autorec: needs 8\.0 GiB/);
  });
});

/** |w − j| ≤ tol·(1 + |j|) for every element, naming the first that differs. */
function expectClose(w: number[], j: number[], what: string, tol = 1e-4): void {
  expect(w.length).toBe(j.length);
  const bad = w.findIndex((x, q) => !(Math.abs(x - j[q]) <= tol * (1 + Math.abs(j[q]))));
  if (bad >= 0) expect([what, bad, w[bad]]).toEqual([what, bad, j[bad]]);
}

/** Shapes with empty rows, empty batches, listed columns without entries and strides of 8–104. */
const batchCases = fc
  .record({
    rows: fc.integer({ min: 0, max: 6 }),
    cols: fc.integer({ min: 1, max: 9 }),
    stride: fc.constantFrom(8, 16, 24, 32, 40, 64, 104),
    seed: fc.integer({ min: 0, max: 2 ** 30 }),
  })
  .chain(({ rows, cols, stride, seed }) =>
    fc.record({
      mask: fc.array(fc.boolean(), { minLength: rows * cols, maxLength: rows * cols }),
      extra: fc.array(fc.boolean(), { minLength: cols, maxLength: cols }),
      width: fc.integer({ min: 1, max: stride }),
      rows: fc.constant(rows),
      cols: fc.constant(cols),
      stride: fc.constant(stride),
      seed: fc.constant(seed),
    }),
  )
  .map(({ mask, extra, ...rest }): BatchCase => {
    const entries: [number, number][] = [];
    mask.forEach((on, k) => {
      if (on) entries.push([Math.floor(k / rest.cols), k % rest.cols]);
    });
    const withEntries = new Set(entries.map(([, c]) => c));
    const list = [...Array(rest.cols).keys()].filter((c) => withEntries.has(c) || extra[c]);
    return { ...rest, entries, list };
  });

describe('WebAssembly kernels against the JavaScript specification', () => {
  it('agree on every output for random shapes, strides, empty rows and empty lists', () => {
    fc.assert(
      fc.property(batchCases, (batch) => {
        const w = runAll('wasm-simd', batch);
        const j = runAll('js', batch);
        for (const key of ['a', 'out', 'h', 'out2', 'ga', 'gh', 'gb', 'bm', 'm', 'v', 'e', 'em', 'ev'])
          expectClose(w[key], j[key], key);
        expectClose([w.regV, w.regE], [j.regV, j.regE], 'reg');
      }),
      { numRuns: 300 },
    );
  });

  it('leave every buffer untouched on an empty batch', () => {
    const batch: BatchCase = { rows: 0, cols: 3, width: 20, stride: 24, entries: [], list: [], seed: 9 };
    const w = runAll('wasm-simd', batch);
    expect([w.regV, w.regE]).toEqual([0, 0]);
    // Outputs, gradients and moments keep their start values; so do the weights.
    for (const key of ['a', 'h', 'ga', 'gh', 'gb', 'm', 'em'])
      expect(w[key].every((x) => x === 0)).toBe(true);
    for (const key of ['v', 'ev']) expect(w[key].every((x) => x === Math.fround(0.01))).toBe(true);
    expect(w.bm).toEqual(runAll('js', batch).bm);
    expect(w.bm.some((x) => x !== 0)).toBe(true);
  });

  it('are the committed bytes of the AssemblyScript source (else run npm run build:kernels)', async () => {
    const expected = renderGeneratedModule(await compileKernels());
    const committed = readFileSync(GENERATED_MODULE, 'utf8');
    expect(committed === expected, `${GENERATED_MODULE} is out of date: run npm run build:kernels`).toBe(
      true,
    );
  }, 180_000);
});
