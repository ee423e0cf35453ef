/**
 * The sparse kernels alone, one training batch at a time (encoder forward `scatterFromRows`,
 * decoder forward `dotRows`, fused decoder backward + Adam `backwardRows`, fused encoder
 * gradient + Adam `gradRows` — what U-AutoRec runs per batch on one thread), in three
 * implementations on the same memory and batches:
 *
 * - `assemblyscript`: the engine's module, compiled from packages/core/assembly/kernels.ts;
 * - `emitter (f02cddc)`: the bytes the former byte-level emitter produced (kernels-emitter.ts);
 * - `js`: the typed-array kernels (the specification).
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/kernels.ts [msd|lastfm|all]
 *
 * Shapes: `msd` is one batch of the synthetic `msd` preset's U-AutoRec (1,024 users, ~59 plays
 * each over 41,140 songs with a skewed popularity, 500 hidden units); `lastfm` is Last.fm HetRec
 * 2K's U-AutoRec (256 users, ~49 artists each over 17,632, 100 and 500 hidden units). The
 * implementations take turns batch by batch, in a rotating order, so load on a shared machine
 * hits them alike; the output is the median milliseconds per batch and each one's ratio to the
 * AssemblyScript build.
 */

import {
  Arena,
  type ArenaBlock,
  createKernels,
  kernelModuleBytes,
  paddedStride,
  type RowStep,
  rawArgs,
} from '@autorec/core/internals';
import { Rng } from '@autorec/data';
import { EMITTER_WASM_PLAIN } from './kernels-emitter.ts';

const which = process.argv[2] ?? 'all';

interface Shape {
  name: string;
  users: number;
  items: number;
  meanPlays: number;
  hidden: number;
  rounds: number;
}

const SHAPES: Shape[] = [
  { name: 'msd', users: 1024, items: 41140, meanPlays: 59, hidden: 500, rounds: 15 },
  { name: 'lastfm', users: 256, items: 17632, meanPlays: 49, hidden: 100, rounds: 201 },
  { name: 'lastfm', users: 256, items: 17632, meanPlays: 49, hidden: 500, rounds: 61 },
];

/** One batch's kernels: runs the four training kernels once. */
type BatchRunner = () => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function setUp(shape: Shape): { runners: Record<string, BatchRunner>; entries: number; nList: number } {
  const rng = new Rng(11);
  const stride = paddedStride(shape.hidden);
  // Batch cells: each user plays a varying number of distinct items, popular ones more often.
  const byItem = new Map<number, number[]>();
  for (let u = 0; u < shape.users; u++) {
    const n = 1 + rng.int(2 * shape.meanPlays - 1);
    const seen = new Set<number>();
    while (seen.size < n) seen.add(Math.floor(shape.items * rng.next() ** 2));
    for (const c of seen) {
      const rows = byItem.get(c) ?? [];
      rows.push(u);
      byItem.set(c, rows);
    }
  }
  const list = [...byItem.keys()].sort((a, b) => a - b);
  const colPtr = [0];
  const colRows: number[] = [];
  for (const c of list) {
    colRows.push(...(byItem.get(c) ?? []));
    colPtr.push(colRows.length);
  }
  const nnz = colRows.length;
  const arena = new Arena();
  const weights = shape.items * stride;
  const b: Record<string, ArenaBlock> = {
    list: arena.reserve(list.length),
    colPtr: arena.reserve(list.length + 1),
    colRows: arena.reserve(nnz),
    colVals: arena.reserve(nnz),
    delta: arena.reserve(nnz),
    out: arena.reserve(nnz),
    coef: arena.reserve(list.length),
    scratch: arena.reserve(stride),
    H: arena.reserve(shape.users * stride),
    GH: arena.reserve(shape.users * stride),
    bV: arena.reserve(shape.items),
  };
  for (const name of ['E', 'E1', 'E2', 'V', 'V1', 'V2']) b[name] = arena.reserve(weights);
  arena.commit('kernel benchmark');
  arena.i32(b.list).set(list);
  arena.i32(b.colPtr).set(colPtr);
  arena.i32(b.colRows).set(colRows);
  const fill = (block: ArenaBlock, scale: number) => {
    const f = arena.f32(block);
    for (let q = 0; q < f.length; q++) f[q] = q % stride < shape.hidden ? scale * rng.normal() : 0;
  };
  fill(b.E, 0.05);
  fill(b.V, 0.05);
  arena.f32(b.colVals).forEach((_, q, f) => {
    f[q] = 1 + rng.int(5);
  });
  arena.f32(b.delta).forEach((_, q, f) => {
    f[q] = 0.1 * rng.normal();
  });
  arena.f32(b.coef).fill(1e-4);
  const o = (name: string) => b[name].offset;
  const step = (m: string, v: string): RowStep => ({
    mode: 1,
    stride,
    scratch: o('scratch'),
    ga: 0,
    m: o(m),
    v: o(v),
    coef: o('coef'),
    lr: 1e-4,
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
  });
  const n = list.length;
  const h = arena.f32(b.H);
  const gh = arena.f32(b.GH);
  const args = {
    scatter: rawArgs.scatterFromRows(
      n,
      o('list'),
      o('colPtr'),
      o('colRows'),
      o('colVals'),
      o('E'),
      o('H'),
      stride,
    ),
    dot: rawArgs.dotRows(n, o('list'), o('colPtr'), o('colRows'), o('V'), o('H'), o('bV'), o('out'), stride),
    backward: rawArgs.backwardRows(
      n,
      o('list'),
      o('colPtr'),
      o('colRows'),
      o('delta'),
      o('V'),
      o('H'),
      o('GH'),
      step('V1', 'V2'),
    ),
    grad: rawArgs.gradRows(
      n,
      o('list'),
      o('colPtr'),
      o('colRows'),
      o('colVals'),
      o('GH'),
      o('E'),
      step('E1', 'E2'),
    ),
  };
  const wasm = (bytes: Uint8Array<ArrayBuffer>): BatchRunner => {
    const memory = arena.wasmMemory;
    if (!memory) throw new Error('kernel benchmark: no WebAssembly memory');
    const e = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports as Record<
      string,
      (...a: number[]) => number
    >;
    return () => {
      h.fill(0);
      e.scatterFromRows(...args.scatter);
      e.dotRows(...args.dot);
      gh.fill(0);
      e.backwardRows(...args.backward);
      e.gradRows(...args.grad);
    };
  };
  const js = createKernels(arena, 'js');
  const jsRunner: BatchRunner = () => {
    h.fill(0);
    js.scatterFromRows(n, o('list'), o('colPtr'), o('colRows'), o('colVals'), o('E'), o('H'), stride);
    js.dotRows(n, o('list'), o('colPtr'), o('colRows'), o('V'), o('H'), o('bV'), o('out'), stride);
    gh.fill(0);
    js.backwardRows(
      n,
      o('list'),
      o('colPtr'),
      o('colRows'),
      o('delta'),
      o('V'),
      o('H'),
      o('GH'),
      step('V1', 'V2'),
    );
    js.gradRows(n, o('list'), o('colPtr'), o('colRows'), o('colVals'), o('GH'), o('E'), step('E1', 'E2'));
  };
  const emitter = Uint8Array.from(atob(EMITTER_WASM_PLAIN), (ch) => ch.charCodeAt(0));
  return {
    runners: {
      assemblyscript: wasm(kernelModuleBytes(false)),
      'emitter (f02cddc)': wasm(emitter),
      js: jsRunner,
    },
    entries: nnz,
    nList: n,
  };
}

for (const shape of SHAPES) {
  if (which !== 'all' && which !== shape.name) continue;
  const { runners, entries, nList } = setUp(shape);
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (const run of Object.values(runners)) run(); // warm up (tier-up, page faults)
  const order = Object.entries(runners);
  for (let round = 0; round < shape.rounds; round++)
    for (let k = 0; k < order.length; k++) {
      // Each round starts with the next implementation, so none always runs after the slow one.
      const [label, run] = order[(round + k) % order.length];
      const t = performance.now();
      run();
      times[label].push(performance.now() - t);
    }
  const base = median(times.assemblyscript);
  for (const [label, ms] of Object.entries(times))
    console.log(
      JSON.stringify({
        bench: 'kernels',
        shape: shape.name,
        users: shape.users,
        items: shape.items,
        hiddenUnits: shape.hidden,
        entries,
        columns: nList,
        kernels: label,
        rounds: shape.rounds,
        medianBatchMs: Number(median(ms).toFixed(2)),
        ratioToAssemblyScript: Number((median(ms) / base).toFixed(3)),
      }),
    );
}
