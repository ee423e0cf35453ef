import * as tf from '@tensorflow/tfjs';
import { backendInfo } from '../engine/backend.ts';

/**
 * Multiply-adds of a scoring call from which one tfjs matMul beats the loops, on the backend the
 * app set up; `Infinity` when none is fast — tfjs `cpu` (≈1 GFLOP/s against ≈2–3 for the
 * typed-array loops), or none set up yet (models never start one themselves). WebAssembly
 * (XNNPACK) ran a 256 × 100 × 17,632 product at ≈18 G multiply-adds/s against ≈1.2 for the loops
 * (tools/bench/ranking.ts), and a call costs ≈ 20–40 µs beyond its arithmetic, so on it and on
 * native tfjs one listener's scores win from ≈ 32K multiply-adds (Node, 64 factors: 500 items
 * 42 µs matMul vs 50 µs loops; 17,632 items 0.21 vs 1.6 ms; 41,140 items 0.51 vs 4.0 ms —
 * tools/bench/scoring.ts). WebGL reads every result back from the GPU, which costs milliseconds
 * per call, so it keeps the 4M of batches.
 */
export function denseMinProduct(): number {
  const name = backendInfo()?.name;
  if (name === 'wasm' || name === 'node') return 1 << 15;
  if (name === 'webgl') return 1 << 22;
  return Number.POSITIVE_INFINITY;
}

/** True when the tfjs backend the app set up (`setupCompute`) multiplies faster than JS loops. */
export function fastBackendActive(): boolean {
  return denseMinProduct() < Number.POSITIVE_INFINITY;
}

/**
 * A fixed right-hand operand (inner × cols, row-major, built on first use and kept as a tensor)
 * multiplied by batches of left rows on the tfjs backend. The product is copied out of tfjs
 * outside `tf.tidy`: returning a typed array from `tidy` makes tfjs walk every element of it
 * looking for tensors (≈5 s for a 256 × 17,632 block, against 0.1 s for the product itself).
 *
 * @example
 * const scores = new DenseProduct(k, nItems, () => itemFactorsTransposed);
 * const block = scores.multiply(userFactors, users.length); // users.length × nItems
 * scores.dispose();
 */
export class DenseProduct {
  private right?: tf.Tensor2D;

  constructor(
    readonly inner: number,
    readonly cols: number,
    private readonly buildRight: () => Float32Array,
  ) {}

  /** `left` (n × inner, row-major) times the right operand: n × cols, row-major, a fresh array. */
  multiply(left: Float32Array, n: number): Float32Array {
    if (left.length !== n * this.inner)
      throw new RangeError(`dense product: left has ${left.length} values, expected ${n} × ${this.inner}`);
    if (!this.right) this.right = tf.tensor2d(this.buildRight(), [this.inner, this.cols]);
    const right = this.right;
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(left, [n, this.inner]), right));
    try {
      return product.dataSync() as Float32Array;
    } finally {
      product.dispose();
    }
  }

  /** Frees the operand tensor; the next `multiply` rebuilds it. Safe to call twice. */
  dispose(): void {
    this.right?.dispose();
    this.right = undefined;
  }
}
