import { runRecommenderContract } from '@autorec/test-utils/contract';
import { MultDaeModel } from './mult-dae.ts';

// Mult-DAE's maths and learning are tested with Mult-VAE's in mult-vae.test.ts (one network).
runRecommenderContract(
  'mult-dae',
  () => new MultDaeModel({ hidden: 16, latent: 8, epochs: 20, batchSize: 64 }),
);
