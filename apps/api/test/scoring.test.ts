// Batch scoring's files, called directly: ranges, part files written once, the gather step and
// its retries. (The endpoint: test/queue.test.ts with workers, test/local-jobs.test.ts without.)
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModel, recommendExcludingKnown } from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import { prepareDataset, syntheticDataset, TOP_LISTS_HEADER } from '@autorec/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelFiles } from '../src/storage/model-files.ts';
import {
  gatherParts,
  type PartResult,
  releaseScoringModel,
  type ScoringSpec,
  scoreRange,
  scoringFile,
  userRanges,
} from '../src/training/scoring.ts';

describe('userRanges', () => {
  it('cuts users into contiguous, near-equal, non-empty ranges that cover each user once', () => {
    for (const [users, parts] of [
      [10, 3],
      [7, 7],
      [5, 9],
      [100_000, 8],
      [1, 1],
    ]) {
      const ranges = userRanges(users, parts);
      expect(ranges).toHaveLength(Math.min(users, parts));
      expect(ranges[0].from).toBe(0);
      expect(ranges.at(-1)!.to).toBe(users);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i].from).toBe(ranges[i - 1].to);
      const sizes = ranges.map((r) => r.to - r.from);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });
});

describe('scoring ranges into part files and gathering them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'autorec-scoring-'));
  const spec: ScoringSpec = { id: 'job-1', model: 'svd', version: 1, path: 'models/svd/v1', k: 4 };
  const files: ModelFiles = { kind: 'folder', dataDir: dir };
  let users: string[];
  let expected: string;

  beforeAll(async () => {
    const prepared = prepareDataset(syntheticDataset('tiny'), {
      split: { method: 'per-user', test: 0.1, validation: 0.05 },
      seed: 1,
    });
    const model = createModel('svd', { epochs: 3, factors: 8 });
    const fit = await model.fit(prepared.trainSet);
    await model.save(directoryStore(join(dir, spec.path)), {}, fit);
    users = model.users.toArray();
    // What `recommend --all-users` computes, in one piece.
    expected = recommendExcludingKnown(model, users, spec.k, undefined)
      .flatMap((list, u) =>
        list.map((r, rank) => `${users[u]}\t${rank + 1}\t${r.item}\t${r.score.toFixed(4)}\n`),
      )
      .join('');
    model.dispose();
  });
  afterAll(() => {
    releaseScoringModel();
    rmSync(dir, { recursive: true, force: true });
  });

  it('three ranges scored in any order join into the one-piece file, each listener once', async () => {
    const ranges = userRanges(users.length, 3);
    const parts: PartResult[] = [];
    for (const part of [2, 0, 1])
      parts.push(await scoreRange(dir, files, { ...spec, part, ...ranges[part] }));
    expect(parts.reduce((n, p) => n + p.users, 0)).toBe(users.length);
    const result = await gatherParts(dir, spec, parts);
    const text = readFileSync(join(dir, scoringFile(spec)), 'utf8');
    expect(text).toBe(TOP_LISTS_HEADER + expected);
    expect(result).toEqual({
      file: scoringFile(spec),
      users: users.length,
      lines: users.length * spec.k,
      bytes: Buffer.byteLength(text),
      parts: 3,
    });
    // The parts are gone; a gather retried after its rename answers the same and writes nothing.
    expect(readdirSync(join(dir, 'scores', spec.id))).toEqual([`top-${spec.k}.tsv`]);
    const before = statSync(join(dir, scoringFile(spec))).mtimeMs;
    expect(await gatherParts(dir, spec, parts)).toEqual(result);
    expect(statSync(join(dir, scoringFile(spec))).mtimeMs).toBe(before);
  });

  it('a range retried after its part was written is not scored again; a missing part stops the gather', async () => {
    const other = { ...spec, id: 'job-2' };
    const [first, second] = userRanges(users.length, 2);
    const done = await scoreRange(dir, files, { ...other, part: 0, ...first });
    const file = join(dir, 'scores', other.id, 'parts', 'part-00000.tsv');
    const mtime = statSync(file).mtimeMs;
    expect(await scoreRange(dir, files, { ...other, part: 0, ...first })).toEqual(done);
    expect(statSync(file).mtimeMs).toBe(mtime);
    await expect(gatherParts(dir, other, [done, { part: 2, users: 1, lines: 4 }])).rejects.toThrow(
      'part 1 of 2 is missing',
    );
    await expect(
      scoreRange(dir, files, { ...other, part: 1, from: second.from, to: users.length + 5 }),
    ).rejects.toThrow(/beyond the model's/);
  });
});
