/**
 * What AutoRec's network applies between its layers: the encoder activation f in h = f(W x + b)
 * (and its derivative for the backward pass) and the decoder's output map g in x' = g(V h + b').
 */
export type EncoderActivation = 'sigmoid' | 'identity' | 'relu' | 'tanh' | 'selu';
/**
 * The function the network applies to encoder pre-activations: an encoder activation, or
 * `centred-sigmoid`, σ(z) − ½ — the same network as a sigmoid encoder whose decoder bias holds
 * ½·Σ_j V[c][j] (see the model's `codeCentring` option for why it trains differently).
 */
export type CodeActivation = EncoderActivation | 'centred-sigmoid';
export type DecoderActivation = 'identity' | 'sigmoid';
export const ENCODER_ACTIVATIONS: readonly EncoderActivation[] = [
  'sigmoid',
  'identity',
  'relu',
  'tanh',
  'selu',
];
export const DECODER_ACTIVATIONS: readonly DecoderActivation[] = ['identity', 'sigmoid'];

/** SELU's constants (Klambauer et al. 2017): selu(z) = λ·z for z > 0, λα(eᶻ − 1) otherwise. */
export const SELU = { lambda: 1.0507009873554805, alpha: 1.6732632423543772 };

/** Applies the encoder activation to the first `hidden` lanes of `nRows` rows, in place. */
export function activate(
  h: Float32Array,
  nRows: number,
  stride: number,
  hidden: number,
  activation: CodeActivation,
): void {
  if (activation === 'identity') return;
  for (let r = 0; r < nRows; r++) {
    const o = r * stride;
    switch (activation) {
      case 'sigmoid':
        for (let j = o; j < o + hidden; j++) h[j] = 1 / (1 + Math.exp(-h[j]));
        break;
      case 'centred-sigmoid':
        for (let j = o; j < o + hidden; j++) h[j] = 1 / (1 + Math.exp(-h[j])) - 0.5;
        break;
      case 'relu':
        for (let j = o; j < o + hidden; j++) if (h[j] < 0) h[j] = 0;
        break;
      case 'tanh':
        for (let j = o; j < o + hidden; j++) h[j] = Math.tanh(h[j]);
        break;
      case 'selu':
        for (let j = o; j < o + hidden; j++)
          h[j] = h[j] > 0 ? SELU.lambda * h[j] : SELU.lambda * SELU.alpha * Math.expm1(h[j]);
        break;
    }
  }
}

/**
 * gh ← gh ⊙ f′ (f′ written in terms of the activation's output h, so pre-activations need not
 * be kept), and adds each row of the result to `gbE`.
 */
export function activationGradient(
  gh: Float32Array,
  h: Float32Array,
  nRows: number,
  stride: number,
  hidden: number,
  activation: CodeActivation,
  gbE: Float64Array,
): void {
  for (let r = 0; r < nRows; r++) {
    const o = r * stride;
    for (let j = 0; j < hidden; j++) {
      const y = h[o + j];
      let g = gh[o + j];
      if (activation === 'sigmoid') g *= y * (1 - y);
      else if (activation === 'centred-sigmoid') g *= (0.5 + y) * (0.5 - y);
      else if (activation === 'tanh') g *= 1 - y * y;
      else if (activation === 'relu' && y <= 0) g = 0;
      else if (activation === 'selu') g *= y > 0 ? SELU.lambda : y + SELU.lambda * SELU.alpha;
      gh[o + j] = g;
      gbE[j] += g;
    }
  }
}

/**
 * The decoder's output map. `identity` is x' = z. `sigmoid` is scaled to the target range
 * [lo, hi] — x' = lo + (hi − lo)·σ(z) — since a plain sigmoid cannot reach ratings 1–5.
 */
export class DecoderOutput {
  constructor(
    readonly activation: DecoderActivation,
    readonly lo: number,
    readonly hi: number,
  ) {}

  value(z: number): number {
    return this.activation === 'identity' ? z : this.lo + (this.hi - this.lo) / (1 + Math.exp(-z));
  }

  /** dx'/dz given z. */
  slope(z: number): number {
    if (this.activation === 'identity') return 1;
    const s = 1 / (1 + Math.exp(-z));
    return (this.hi - this.lo) * s * (1 - s);
  }

  /** z such that value(z) = x (clamped inside the range for the sigmoid). */
  inverse(x: number): number {
    if (this.activation === 'identity') return x;
    const span = this.hi - this.lo;
    const t = Math.min(0.999, Math.max(0.001, (x - this.lo) / span));
    return Math.log(t / (1 - t));
  }
}
