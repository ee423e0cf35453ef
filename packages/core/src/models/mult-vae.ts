import { MULT_COMMON_SPEC, MultAutoencoder } from './mult-vae-network.ts';
import type { ParamValue } from './shared.ts';

const MULT_VAE_SPEC = {
  ...MULT_COMMON_SPEC,
  annealCap: {
    kind: 'number',
    default: 0.2,
    min: 0,
    description: 'Largest KL weight β reached by the annealing (paper: 0.2)',
  },
  annealSteps: {
    kind: 'int',
    default: 200_000,
    min: 0,
    description:
      'β = min(annealCap, Adam steps / annealSteps): the steps β would take to reach 1 (paper: 200,000)',
  },
  weightDecay: {
    kind: 'number',
    default: 0,
    min: 0,
    description: 'L2 weight λ on the weight matrices, loss + λΣW² (paper code: 0 for the VAE)',
  },
} as const;

/**
 * Mult-VAE^PR (Liang et al., "Variational Autoencoders for Collaborative Filtering", WWW 2018):
 * a variational autoencoder of each listener's whole play vector x_u (1 per artist played),
 * with a multinomial likelihood — the listener's plays are draws from a softmax over the catalogue.
 *
 *     encoder   x̃ = dropout(x_u / ‖x_u‖₂, 0.5)      h = tanh(x̃ W₁ + b₁)          (items → 600)
 *               [μ, log σ²] = h W₂ + b₂                                            (600 → 2·200)
 *     sample    z = μ + σ ⊙ ε,  ε ~ N(0, I)                                        (training only)
 *     decoder   π = softmax(tanh(z W₃ + b₃) W₄ + b₄)                                (200 → 600 → items)
 *     loss      −Σ_i x_ui log π_i + β · KL(N(μ, σ²) ‖ N(0, I))  averaged over a batch of 500,
 *               KL = ½ Σ_k (σ²_k + μ²_k − 1 − log σ²_k),  β = min(cap, step / annealSteps)
 *
 * trained with Adam (lr 1e-3). The KL weight rises linearly from 0 with the Adam steps and stops
 * at the cap (0.2): a partial regulariser, which the paper found ranks better than the full ELBO.
 * Ranking scores are the decoder's logits at z = μ; a new listener is folded in natively by
 * encoding their play vector — no training step. Similar items: the scores of a listener who
 * played that one item. The input layer is sparse (plays × hidden work); the softmax is dense
 * over the catalogue, batch × items at a time, so memory grows with the batch, never with
 * listeners × items. Rating predictions come from a BaselineOnly fit (`bias-baseline.ts`):
 * Mult-VAE ranks, it does not predict ratings.
 *
 * The exact softmax costs 3 · batch · hidden · items multiply-adds a step (forward, W₄'s and
 * h₂'s gradients): 3.5 × 10¹³ an epoch on the Taste Profile's 471K training listeners × 41K
 * songs, far beyond 5 minutes on two cores. `sampledSoftmax: S` (off by default) replaces the
 * normaliser by an importance-sampled estimate — each listener's own plays exactly, plus S
 * negatives shared by the batch, drawn ∝ (listeners + 1)^samplePower with the log(k/(S q))
 * correction (`sampledSoftmaxLoss` in `mult-vae-dense.ts`) — and steps W₁, W₄ and b₄ lazily
 * (only the rows the batch touched): an approximation of the paper's objective, ≈ items / S
 * times cheaper in the output layer. Ranking always scores the exact logits. Training and
 * ranking run on WebAssembly SIMD kernels on worker threads by default (`kernels`, `threads`;
 * `mult-vae-kernels.ts`, `mult-vae-scorer.ts`; times on the Taste Profile's shape in
 * docs/benchmarks.md).
 *
 * @example
 * const vae = new MultVaeModel({ epochs: 100 });
 * await vae.fit(trainSet);
 * vae.recommendForPlays([{ item: 'Metallica', count: 700 }], 10);
 */
export class MultVaeModel extends MultAutoencoder {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = MULT_VAE_SPEC;
  readonly name = 'mult-vae' as const;

  constructor(options: Record<string, ParamValue> = {}) {
    super('mult-vae', true, options);
  }
}
