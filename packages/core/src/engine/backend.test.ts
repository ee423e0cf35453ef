import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Each test re-imports the module: the chosen backend is module state ("chosen once").
async function fresh() {
  vi.resetModules();
  return import('./backend.ts');
}

// Taken before any test starts a backend in this process (each test file runs in its own).
const listenersAtStart = {
  uncaughtException: process.listeners('uncaughtException').length,
  unhandledRejection: process.listeners('unhandledRejection').length,
};

describe('tfjs backend selection', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("leaves no process-wide error handlers behind after starting wasm (Emscripten's rethrow the host's errors)", async () => {
    const { initBackend } = await fresh();
    await initBackend({ backend: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(process.listeners('uncaughtException').length).toBe(listenersAtStart.uncaughtException);
    expect(process.listeners('unhandledRejection').length).toBe(listenersAtStart.unhandledRejection);
  });

  it('picks tfjs-node when importable, else WebAssembly, in Node, and says why', async () => {
    vi.stubEnv('AUTOREC_BACKEND', '');
    const { initBackend, backendInfo } = await fresh();
    expect(backendInfo()).toBeUndefined();
    const info = await initBackend();
    let nodeInstalled = true;
    try {
      await import(/* @vite-ignore */ ['@tensorflow', 'tfjs-node'].join('/'));
    } catch {
      nodeInstalled = false;
    }
    if (nodeInstalled) expect(info.name).toBe('node');
    else {
      expect(info.name).toBe('wasm');
      expect(info.reason).toMatch(/^auto: node unavailable \(/);
    }
    expect(tf.getBackend()).toBe(info.name === 'node' ? 'tensorflow' : info.name);
    expect(backendInfo()).toEqual(info);
    // Chosen once: asking again gives the same answer.
    expect(await initBackend()).toBe(info);
    // And it computes.
    const y = tf.tidy(() =>
      tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2])).dataSync(),
    );
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });

  it('forces a backend by option or AUTOREC_BACKEND', async () => {
    const { initBackend } = await fresh();
    expect(await initBackend({ backend: 'cpu' })).toEqual({
      name: 'cpu',
      reason: 'forced by option backend',
    });
    expect(tf.getBackend()).toBe('cpu');
    vi.stubEnv('AUTOREC_BACKEND', 'wasm');
    const again = await fresh();
    expect(await again.initBackend()).toEqual({ name: 'wasm', reason: 'forced by AUTOREC_BACKEND' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails clearly when the forced backend cannot start or is not a backend', async () => {
    const { initBackend } = await fresh();
    await expect(initBackend({ backend: 'webgl' })).rejects.toThrow(
      /tfjs backend 'webgl' .* not available: no WebGL in Node/,
    );
    vi.stubEnv('AUTOREC_BACKEND', 'gpu');
    const again = await fresh();
    await expect(again.initBackend()).rejects.toThrow(
      /AUTOREC_BACKEND='gpu' is not a backend; use one of node, wasm, cpu, webgl/,
    );
  });
});
