/**
 * What one AutoRec training engine provides to the epoch loop in `autorec-train.ts`: the
 * loop owns shuffling, progress, abort, validation and early stopping; a stepper owns the
 * weights' arithmetic. Two engines implement it — the sparse kernels over the network's arena
 * and tfjs ops on the active tfjs backend — with the same objective, batching and optimiser
 * rules, so either can train the same network.
 */
export interface BatchStepper {
  /** Trains on rows[from..to) of the (shuffled) row order: Adam steps; RProp accumulates. */
  batch(rows: Uint32Array, from: number, to: number): void;
  /** The epoch so far: Σ squared error, the L2 term, and the number of target entries. */
  totals(): { sse: number; reg: number; count: number };
  beginEpoch(): void;
  /** After the epoch's last batch: the full-batch optimiser's step (RProp). */
  finishEpoch(): void;
  /** An epoch cut short by an abort: drops a partial full-batch gradient. */
  abandonEpoch(): void;
  /** Makes the network's arrays hold the current weights (before validation and at the end). */
  sync(): void;
  /** Frees what the engine holds (tensors); the network keeps the weights. */
  dispose(): void;
}

/** Which engine trains AutoRec: the sparse kernels, or tfjs ops on the active tfjs backend. */
export type TrainingEngine = 'kernels' | 'tfjs';

/** Adam's constants (Kingma & Ba's defaults, as tfjs and PyTorch). */
export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 } as const;

/** iRprop− constants (Igel & Hüsken 2000): growth, shrink, and step bounds. */
export const RPROP = { up: 1.2, down: 0.5, max: 1, min: 1e-7 } as const;

/** Adam's step size at step t (1-based) with both bias corrections folded in. */
export function adamRate(learningRate: number, step: number): number {
  return (learningRate * Math.sqrt(1 - ADAM.beta2 ** step)) / (1 - ADAM.beta1 ** step);
}
