import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../errors.ts';
import { UAutoRecModel } from '../models/autorec.ts';
import { denseMinProduct, fastBackendActive } from '../models/dense-product.ts';
import { IalsModel } from '../models/ials.ts';
import { SvdModel } from '../models/svd.ts';
import { backendInfo } from './backend.ts';
import { computeContext, setupCompute } from './compute.ts';
import { platform } from './platform.ts';

// One file, one process (vitest forks): nothing has set up compute before these tests.
describe('the compute context', () => {
  const { train } = plantedRatings({ users: 64, items: 700, density: 0.05, seed: 12 });
  const all = Uint32Array.from({ length: 64 }, (_, u) => u);

  it('is not started by models: without one they fit, load and score with their loops', async () => {
    expect(computeContext()).toBeUndefined();
    const svd = new SvdModel({ factors: 100, epochs: 1 });
    const ials = new IalsModel({ factors: 100, iterations: 1 });
    await svd.fit(train);
    await ials.fit(train);
    expect(backendInfo()).toBeUndefined();
    expect(fastBackendActive()).toBe(false);
    expect(denseMinProduct()).toBe(Number.POSITIVE_INFINITY);
    expect(svd.scoreUsers(all)).toHaveLength(64 * 700);
    expect(ials.scoreUsers(all)).toHaveLength(64 * 700);
    // AutoRec too: it trains on the sparse kernels and says no tfjs backend ran ('js').
    const autorec = new UAutoRecModel({ hiddenUnits: 4, epochs: 1 });
    expect((await autorec.fit(train)).backend).toMatch(/^js\+(wasm-simd|js)$/);
    expect(autorec.backendInfo).toBeUndefined();
    expect(autorec.scoreUsers(all)).toHaveLength(64 * 700);
    // A per-model backend is refused, naming what to do, instead of being started here.
    const named = new UAutoRecModel({ hiddenUnits: 4, epochs: 1, backend: 'wasm' });
    const error = await named.fit(train).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ model: 'u-autorec', option: 'backend' });
    expect((error as Error).message).toMatch(
      /no tfjs backend was set up; call setupCompute\(\{ backend: 'wasm' \}\)/,
    );
    expect(backendInfo()).toBeUndefined();
    autorec.dispose();
  });

  it('is chosen once by the app, and models run on it without switching it', async () => {
    const loops = new SvdModel({ factors: 100, epochs: 1 });
    await loops.fit(train);
    const before = loops.scoreUsers(all);
    const context = await setupCompute({ backend: 'cpu' });
    expect(context).toEqual({
      backend: { name: 'cpu', reason: 'forced by option backend' },
      platform: 'node',
    });
    expect(computeContext()).toBe(context);
    expect(platform()).toBe('node');
    const svd = new SvdModel({ factors: 100, epochs: 1 });
    await svd.fit(train);
    expect(backendInfo()?.name).toBe('cpu');
    // The same request gives the same context; a fast backend turns the dense product on.
    expect((await setupCompute({ backend: 'cpu' })).backend).toEqual(context.backend);
    expect(fastBackendActive()).toBe(false);
    expect(denseMinProduct()).toBe(Number.POSITIVE_INFINITY);
    await setupCompute({ backend: 'wasm' });
    expect(fastBackendActive()).toBe(true);
    // On WebAssembly one listener's scores over a few hundred items already go to the matMul.
    expect(denseMinProduct()).toBe(1 << 15);
    const dense = loops.scoreUsers(all);
    let worst = 0;
    for (let j = 0; j < dense.length; j++) worst = Math.max(worst, Math.abs(dense[j] - before[j]));
    expect(worst).toBeLessThan(1e-4);
    await svd.fit(train);
    expect(backendInfo()?.name).toBe('wasm');
    svd.dispose();
    loops.dispose();
  });

  it("runs AutoRec on the app's backend and refuses a per-model backend that would switch it", async () => {
    await setupCompute({ backend: 'wasm' });
    const small = { hiddenUnits: 4, epochs: 1 };
    const auto = new UAutoRecModel(small);
    expect((await auto.fit(train)).backend).toMatch(/^wasm\+/);
    expect(auto.backendInfo).toEqual(computeContext()?.backend);
    const same = new UAutoRecModel({ ...small, backend: 'wasm' });
    expect((await same.fit(train)).backend).toMatch(/^wasm\+/);
    const other = new UAutoRecModel({ ...small, backend: 'cpu' });
    const error = await other.fit(train).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toMatchObject({ model: 'u-autorec', option: 'backend' });
    expect((error as Error).message).toMatch(/asks for 'cpu' but the app runs tfjs on 'wasm'/);
    expect(backendInfo()?.name).toBe('wasm');
    auto.dispose();
    same.dispose();
  });
});
