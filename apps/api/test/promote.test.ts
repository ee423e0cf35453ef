// A queue worker's promotion: `production` only after the version loads from the model store.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel } from '@autorec/core';
import { csrFromTriplets, IdIndex } from '@autorec/data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ModelFiles, versionStore } from '../src/storage/model-files.ts';
import { openRepository } from '../src/storage/open.ts';
import type { ModelVersion, Repository } from '../src/storage/repository.ts';
import { promoteRegistered } from '../src/training/promote.ts';

describe('promoteRegistered (an autorec worker moving a label)', () => {
  let dir: string;
  let repo: Repository;
  let files: ModelFiles;

  /** Saves a small popularity model as version `v` and registers it. */
  async function saved(v: number): Promise<ModelVersion> {
    const { duplicates: _, ...ratings } = csrFromTriplets(2, 3, [0, 0, 1], [0, 1, 2], [3, 1, 2]);
    const model = createModel('popularity');
    await model.fit({
      ratings,
      users: new IdIndex(['u0', 'u1']),
      items: new IdIndex(['s0', 's1', 's2']),
      scale: { min: 1, max: 5 },
      transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
    });
    const version: ModelVersion = {
      model: 'popularity',
      version: v,
      path: `models/popularity/v${v}`,
      status: 'ready',
      hyperParameters: {},
      data: {},
      metrics: {},
      createdAt: new Date().toISOString(),
      eventWatermark: 0,
    };
    await model.save(versionStore(files, version.path));
    await repo.addVersion(version);
    return version;
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'autorec-promote-'));
    files = { kind: 'folder', dataDir: dir };
    repo = await openRepository({ engine: 'sqlite', path: join(dir, 'autorec.db') });
  });
  afterEach(async () => {
    await repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('labels a version that loads', async () => {
    const v1 = await saved(1);
    await promoteRegistered(repo, files, v1, 'production');
    expect((await repo.labels()).get('production')).toEqual({ model: 'popularity', version: 1 });
    await promoteRegistered(repo, files, v1, undefined); // no label asked: nothing moves
    expect((await repo.labels()).size).toBe(1);
  });

  it('never labels production a version whose files no longer load, and marks it unusable with the reason', async () => {
    const v1 = await saved(1);
    await promoteRegistered(repo, files, v1, 'production');
    const v2 = await saved(2);
    const folder = join(dir, v2.path);
    const damaged = readdirSync(folder).find((f) => f !== 'files.json' && f !== 'manifest.json');
    expect(damaged).toBeDefined();
    writeFileSync(join(folder, damaged as string), 'not what was saved');
    await expect(promoteRegistered(repo, files, v2, 'production')).rejects.toThrow(
      /popularity v2 was not promoted to production: cannot load models\/popularity\/v2/,
    );
    expect((await repo.labels()).get('production')).toEqual({ model: 'popularity', version: 1 });
    const stored = await repo.version('popularity', 2);
    expect(stored?.status).toBe('unusable');
    expect(stored?.reason).toMatch(/^cannot load models\/popularity\/v2: /);
  });

  it('moves a label other than production without loading (it only names a version)', async () => {
    const v1 = await saved(1);
    rmSync(join(dir, v1.path), { recursive: true });
    await promoteRegistered(repo, files, v1, 'staging');
    expect((await repo.labels()).get('staging')).toEqual({ model: 'popularity', version: 1 });
  });
});
