import { MULT_COMMON_SPEC, MultAutoencoder } from './mult-vae-network.ts';
import type { ParamValue } from './shared.ts';

const MULT_DAE_SPEC = {
  ...MULT_COMMON_SPEC,
  weightDecay: {
    kind: 'number',
    default: 0.01,
    min: 0,
    description: 'L2 weight λ on the weight matrices, loss + λΣW² (paper code: 0.01 for the DAE)',
  },
} as const;

/**
 * Mult-DAE (Liang et al. 2018): Mult-VAE's network and multinomial likelihood with a
 * deterministic latent code — a denoising autoencoder of the listener's play vector.
 *
 *     x̃ = dropout(x_u / ‖x_u‖₂, 0.5)    z = tanh(x̃ W₁ + b₁) W₂ + b₂    π = softmax(tanh(z W₃ + b₃) W₄ + b₄)
 *     loss = −Σ_i x_ui log π_i + λ Σ‖W‖²     (Adam, lr 1e-3, batches of 500 listeners)
 *
 * No KL term and no sampling: the input dropout is the only noise. Same layer sizes as
 * Mult-VAE here (600 → 200 → 600; the paper's DAE used one 200-unit layer). Fold-in encodes
 * the new listener's plays; ratings come from a BaselineOnly fit, as for every ranking model.
 *
 * @example
 * const dae = new MultDaeModel({ epochs: 100 });
 * await dae.fit(trainSet);
 * dae.recommend('user-1', 10);
 */
export class MultDaeModel extends MultAutoencoder {
  /** The hyper-parameters: kind, default, range and meaning (read by the registry). */
  static readonly params = MULT_DAE_SPEC;
  readonly name = 'mult-dae' as const;

  constructor(options: Record<string, ParamValue> = {}) {
    super('mult-dae', false, options);
  }
}
