import { entryCoordinates } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { startKernelPool } from '../engine/kernel-pool.ts';
import { Arena, createKernels, rawArgs } from '../engine/kernels.ts';
import { IAutoRecModel, resolveThreads, THREADS_AUTO_MIN_WORK, UAutoRecModel } from './autorec.ts';

const small = { hiddenUnits: 12, epochs: 8, batchSize: 16, lambda: 1, seed: 3 };

// The whole contract (abort, save/load, fold-in, …) with the batch work on two threads.
runRecommenderContract('u-autorec (2 threads)', () => new UAutoRecModel({ ...small, threads: 2 }));
runRecommenderContract(
  'i-autorec (3 threads, rprop)',
  () => new IAutoRecModel({ ...small, threads: 3, optimizer: 'rprop', learningRate: 0.01 }),
);

describe('AutoRec on several threads', () => {
  const { train, test } = plantedRatings({ users: 400, items: 200, ratings: 20_000, seed: 11 });
  const { rows, cols } = entryCoordinates(test);

  for (const variant of ['user', 'item'] as const)
    for (const optimizer of ['adam', 'rprop'] as const)
      it(`${variant === 'user' ? 'U' : 'I'}-AutoRec with ${optimizer}: 2 and 3 threads train the network one thread does`, async () => {
        const make = (threads: number) => {
          const options = {
            hiddenUnits: 16,
            epochs: 3,
            batchSize: 64,
            seed: 5,
            threads,
            optimizer,
            learningRate: optimizer === 'rprop' ? 0.01 : 0.001,
            inputDropout: 0.1,
          };
          return variant === 'user' ? new UAutoRecModel(options) : new IAutoRecModel(options);
        };
        const one = make(1);
        const fitOne = await one.fit(train);
        // Threads need the SIMD kernels' shared memory; the tfjs backend (scoring) is whatever the
        // context chose (wasm here, node with tfjs-node): only the kernel part is asserted.
        expect(fitOne.backend).toMatch(/^[a-z]+\+wasm-simd$/);
        const reference = one.predictIndices(rows, cols);
        for (const threads of [2, 3]) {
          const model = make(threads);
          const fit = await model.fit(train);
          expect(fit.backend).toBe(`${fitOne.backend}×${threads}`);
          const pred = model.predictIndices(rows, cols);
          let worst = 0;
          for (let q = 0; q < pred.length; q++) worst = Math.max(worst, Math.abs(pred[q] - reference[q]));
          // Only the order of float additions differs (partial hidden sums per thread).
          expect(worst).toBeLessThan(1e-5);
          expect(fit.epochs.at(-1)!.loss).toBeCloseTo(fitOne.epochs.at(-1)!.loss, 6);
          model.dispose();
        }
        one.dispose();
      });

  it('picks threads by the work: one for small data, the cores (at most 8) for large', async () => {
    expect(await resolveThreads(3, 10)).toBe(3);
    expect(await resolveThreads(0, THREADS_AUTO_MIN_WORK - 1)).toBe(1);
    const auto = await resolveThreads(0, THREADS_AUTO_MIN_WORK);
    expect(auto).toBeGreaterThanOrEqual(1);
    expect(auto).toBeLessThanOrEqual(8);
  });
});

describe('startKernelPool', () => {
  it('runs one call per thread on the shared memory, and refuses what it cannot share', async () => {
    // Two columns' decoder dots, one per thread: out[q] = V[c]·H[row] + bV[c].
    const s = 8;
    const arena = new Arena();
    const V = arena.reserve(2 * s);
    const H = arena.reserve(2 * s);
    const bV = arena.reserve(2);
    const list = arena.reserve(2);
    const ptr = arena.reserve(3);
    const rowsOf = arena.reserve(3);
    const out = arena.reserve(3);
    arena.commit('test', true);
    expect(arena.isShared).toBe(true);
    arena.f32(V).set([1, 2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2, 1]);
    arena.f32(H).set([1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 1]);
    arena.f32(bV).set([0.5, -1]);
    arena.i32(list).set([0, 1]);
    arena.i32(ptr).set([0, 2, 3]); // column 0: rows 0 and 1; column 1: row 1
    arena.i32(rowsOf).set([0, 1, 1]);
    const kernels = createKernels(arena);
    const pool = await startKernelPool(arena, kernels, 2);
    expect(pool?.threads).toBe(2);
    const call = (t: number) => ({
      name: 'dotRows' as const,
      args: rawArgs.dotRows(
        1,
        list.offset + 4 * t,
        ptr.offset + 4 * t,
        rowsOf.offset,
        V.offset,
        H.offset,
        bV.offset,
        out.offset,
        s,
      ),
    });
    pool!.run([call(0), call(1)]);
    expect(Array.from(arena.f32(out))).toEqual([16 + 0.5, 20 + 0.5, 16 - 1]);
    pool!.close();
    expect(() => pool!.run([])).toThrow(/closed/);
    pool!.close(); // twice is fine

    const plain = new Arena();
    plain.reserve(16);
    plain.commit('test');
    expect(plain.isShared).toBe(false);
    expect(await startKernelPool(plain, createKernels(plain), 2)).toBeUndefined();
    expect(await startKernelPool(arena, kernels, 1)).toBeUndefined();
    expect(await startKernelPool(arena, createKernels(arena, 'js'), 2)).toBeUndefined();
  });
});

describe('startKernelPool failures', () => {
  it('reports a call that traps in a worker instead of waiting forever', async () => {
    const arena = new Arena();
    arena.reserve(16);
    arena.commit('test', true);
    const pool = await startKernelPool(arena, createKernels(arena), 2);
    // A list pointer far outside the memory: the worker's call traps (out of bounds).
    const outside = 2 ** 31 - 64;
    const bad = { name: 'dotRows' as const, args: rawArgs.dotRows(1, outside, outside, 0, 0, 0, 0, 0, 8) };
    expect(() =>
      pool!.run([{ name: 'dotRows', args: rawArgs.dotRows(0, 0, 0, 0, 0, 0, 0, 0, 8) }, bad]),
    ).toThrow(/worker thread failed/);
    pool!.close();
  });
});
