import { loadModel } from '@autorec/core';
import { type ModelFiles, versionStore } from '../storage/model-files.ts';
import type { ModelVersion, Repository } from '../storage/repository.ts';

/**
 * Points `label` at a version an `autorec worker` registered. `production` is what every replica
 * follows, so the version is first loaded from the model store here, as a replica's own promote
 * loads before it labels (service.ts): a version that cannot be loaded — files lost or damaged
 * between save and promote, a store the worker wrote but cannot read back — is marked unusable
 * with the reason and never labelled, and the replicas keep serving the previous one.
 * Other labels (e.g. `staging`) are only names and move without a load.
 *
 * @example
 * await promoteRegistered(repo, models, version, 'production'); // throws if it cannot load
 */
export async function promoteRegistered(
  repo: Repository,
  models: ModelFiles,
  version: ModelVersion,
  label: string | undefined,
): Promise<void> {
  if (!label) return;
  if (label === 'production') {
    try {
      const model = await loadModel(versionStore(models, version.path));
      model.dispose();
    } catch (error) {
      const reason = `cannot load ${version.path}: ${(error as Error).message}`;
      await repo.markUnusable(version.model, version.version, reason);
      throw new Error(`${version.model} v${version.version} was not promoted to production: ${reason}`);
    }
  }
  await repo.setLabel(label, version.model, version.version);
}
