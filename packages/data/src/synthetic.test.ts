import { describe, expect, it } from 'vitest';
import type { Dataset } from './dataset.ts';
import { joinItemInfo, readItemInfo } from './formats/item-info.ts';
import { readInteractions } from './formats/read.ts';
import { IdIndex } from './ids.ts';
import { Rng } from './random.ts';
import { type CsrMatrix, nnz } from './sparse.ts';
import { perUserSplit } from './splits.ts';
import { datasetStats } from './stats.ts';
import { msdTracksText, SYNTHETIC_PRESETS, syntheticDataset, tasteProfileText } from './synthetic.ts';
import { applyTransform, fitTransform } from './transforms.ts';

const tiny = syntheticDataset('tiny');
const standard = syntheticDataset('default');

describe('syntheticDataset', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const again = syntheticDataset('tiny');
    expect(again.counts).toEqual(tiny.counts);
    expect(again.users.toArray()).toEqual(tiny.users.toArray());
    expect(again.itemInfo).toEqual(tiny.itemInfo);
    const other = syntheticDataset('tiny', { seed: 2 });
    expect(other.counts.values).not.toEqual(tiny.counts.values);
    expect(other.users.external(0)).not.toBe(tiny.users.external(0));
  });

  it('has the preset sizes and the shape of play-count logs: many 1s, heavy tail, long-tailed songs', () => {
    for (const [d, preset] of [
      [tiny, SYNTHETIC_PRESETS.tiny],
      [standard, SYNTHETIC_PRESETS.default],
    ] as const) {
      const s = datasetStats(d.counts);
      expect(s.users).toBe(preset.users);
      expect(s.items).toBeGreaterThan(0.95 * preset.items);
      expect(s.items).toBeLessThanOrEqual(preset.items);
      expect(s.itemsPerUser.min).toBeGreaterThanOrEqual(preset.minItemsPerUser);
      expect(s.itemsPerUser.mean).toBeGreaterThan(0.9 * preset.meanItemsPerUser);
      expect(s.itemsPerUser.mean).toBeLessThan(1.1 * preset.meanItemsPerUser);
      expect(s.playCount.p50).toBe(1);
      expect(s.playCount.max).toBeGreaterThan(20 * s.playCount.p50);
      expect(s.longTail.byPlays.top20Share).toBeGreaterThan(0.4);
    }
    const s = datasetStats(standard.counts);
    expect(s.interactions).toBeGreaterThan(100_000);
    expect(s.interactions).toBeLessThan(200_000);
  });

  it('has MSD-looking unique ids and display names for every song', () => {
    expect(tiny.format).toBe('taste-profile');
    expect(tiny.users.size).toBe(tiny.counts.rows);
    expect(tiny.items.size).toBe(tiny.counts.cols);
    for (const id of tiny.users.toArray()) expect(id).toMatch(/^[0-9a-f]{40}$/);
    for (const id of tiny.items.toArray()) expect(id).toMatch(/^SO[A-Z]{5}12A[0-9A-F]{8}$/);
    expect(tiny.itemInfo).toHaveLength(tiny.counts.cols);
    for (const info of tiny.itemInfo ?? []) {
      expect(info?.artist).toMatch(/\w/);
      expect(info?.title).toMatch(/\w/);
    }
  });

  it('writes Taste Profile text that reads back to the same dataset, indices included', async () => {
    const chunks = [...tasteProfileText(tiny, 4096)];
    expect(chunks.length).toBeGreaterThan(5);
    const text = chunks.join('');
    expect(text.split('\n', 1)[0]).toMatch(/^[0-9a-f]{40}\tSO\w{16}\t\d+$/);
    const read = await readInteractions(text, { format: 'taste-profile' });
    expect(read.users.toArray()).toEqual(tiny.users.toArray());
    expect(read.items.toArray()).toEqual(tiny.items.toArray());
    expect(read.counts.indptr).toEqual(tiny.counts.indptr);
    expect(read.counts.indices).toEqual(tiny.counts.indices);
    expect(read.counts.values).toEqual(tiny.counts.values);
  });

  it('writes MSD unique_tracks.txt text that the msd-tracks reader joins back onto the plays', async () => {
    const chunks = [...msdTracksText(tiny, 2048)];
    expect(chunks.length).toBeGreaterThan(3);
    const text = chunks.join('');
    const first = tiny.items.external(0);
    expect(text.split('\n', 1)[0]).toBe(
      `TR${first.slice(2)}<SEP>${first}<SEP>${tiny.itemInfo![0]!.artist}<SEP>${tiny.itemInfo![0]!.title}`,
    );
    const info = await readItemInfo(text, { format: 'msd-tracks' });
    expect(info.report).toMatchObject({ accepted: tiny.items.size, duplicates: 0, skipped: 0 });
    const plays = await readInteractions([...tasteProfileText(tiny)].join(''), { format: 'taste-profile' });
    expect(joinItemInfo(plays, info)).toEqual({ matched: tiny.items.size, missing: 0 });
    expect(plays.itemInfo).toEqual(tiny.itemInfo);
  });

  it('writes missing names empty (read back as missing) and refuses text the format cannot hold', async () => {
    const ds: Dataset = {
      name: 'two songs',
      format: 'taste-profile',
      users: new IdIndex(['u1']),
      items: new IdIndex(['SO1', 'artist-7']),
      counts: {
        rows: 1,
        cols: 2,
        indptr: Uint32Array.of(0, 2),
        indices: Uint32Array.of(0, 1),
        values: Float32Array.of(1, 4),
      },
      explicit: false,
      itemInfo: [{ artist: 'A' }, undefined],
    };
    const text = [...msdTracksText(ds)].join('');
    expect(text).toBe('TR1<SEP>SO1<SEP>A<SEP>\nTRartist-7<SEP>artist-7<SEP><SEP>\n');
    const info = await readItemInfo(text, { format: 'msd-tracks' });
    expect([...info]).toEqual([
      ['SO1', { artist: 'A' }],
      ['artist-7', {}],
    ]);
    expect(() => [...msdTracksText({ ...ds, itemInfo: [{ title: 'a<SEP>b' }, undefined] })]).toThrow(
      /item 0 \("SO1"\) has "a<SEP>b"/,
    );
    expect(() => [...msdTracksText({ ...ds, itemInfo: [{ artist: 'two\nlines' }, undefined] })]).toThrow(
      RangeError,
    );
  });

  it('rejects impossible options', () => {
    expect(() => syntheticDataset('tiny', { users: 0 })).toThrow(/users/);
    expect(() => syntheticDataset('tiny', { maxItemsPerUser: 1000 })).toThrow(/maxItemsPerUser ≤ items/);
    expect(() => syntheticDataset('huge' as 'tiny')).toThrow(/unknown synthetic preset 'huge'/);
  });
});

describe('synthetic data is learnable', () => {
  for (const [name, d] of [
    ['tiny', tiny],
    ['default', standard],
  ] as const) {
    it(`${name}: item-item cosine kNN beats popularity on held-out Recall@10`, () => {
      const split = perUserSplit(d.counts, { test: 0.2 }, 11);
      const pop = recallAt10(split.train, split.test, popularityScorer(split.train));
      const knn = recallAt10(split.train, split.test, itemKnnScorer(split.train));
      expect(knn).toBeGreaterThan(1.4 * pop);
    });
  }

  it('default: play counts depend on user × song affinity (matrix factorisation beats biases on RMSE)', () => {
    const split = perUserSplit(standard.counts, { test: 0.2 }, 5);
    const spec = fitTransform('log-bins', split.train);
    const train = applyTransform(spec, split.train);
    const test = applyTransform(spec, split.test);
    const biases = rmseOf(train, test, 0);
    const factors = rmseOf(train, test, 8);
    expect(factors).toBeLessThan(0.93 * biases);
  });
});

type Scorer = (user: number, out: Float64Array) => void;

function popularityScorer(train: CsrMatrix): Scorer {
  const pop = new Float64Array(train.cols);
  for (let p = 0; p < nnz(train); p++) pop[train.indices[p]]++;
  return (_, out) => out.set(pop);
}

/** Binary item-item cosine similarity; a user's score for i is Σ over their songs j of cos(i, j). */
function itemKnnScorer(train: CsrMatrix): Scorer {
  const I = train.cols;
  const co = new Float64Array(I * I);
  for (let u = 0; u < train.rows; u++) {
    const start = train.indptr[u];
    const end = train.indptr[u + 1];
    for (let a = start; a < end; a++)
      for (let b = start; b < end; b++) co[train.indices[a] * I + train.indices[b]]++;
  }
  const norm = Float64Array.from({ length: I }, (_, i) => Math.sqrt(co[i * I + i]) || 1);
  for (let i = 0; i < I; i++) for (let j = 0; j < I; j++) co[i * I + j] /= norm[i] * norm[j];
  return (u, out) => {
    out.fill(0);
    for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++) {
      const row = co.subarray(train.indices[p] * I, (train.indices[p] + 1) * I);
      for (let i = 0; i < I; i++) out[i] += row[i];
    }
  };
}

function recallAt10(train: CsrMatrix, test: CsrMatrix, score: Scorer): number {
  const scores = new Float64Array(train.cols);
  let total = 0;
  let users = 0;
  for (let u = 0; u < train.rows; u++) {
    const t0 = test.indptr[u];
    const t1 = test.indptr[u + 1];
    if (t1 === t0) continue;
    score(u, scores);
    for (let p = train.indptr[u]; p < train.indptr[u + 1]; p++)
      scores[train.indices[p]] = Number.NEGATIVE_INFINITY;
    const top = top10(scores);
    const wanted = new Set(test.indices.subarray(t0, t1));
    total += top.filter((i) => wanted.has(i)).length / Math.min(10, t1 - t0);
    users++;
  }
  return total / users;
}

/** Indices of the 10 highest scores (ties to the lower index), by insertion into a sorted list. */
function top10(scores: Float64Array): number[] {
  const top: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    if (top.length === 10 && scores[i] <= scores[top[9]]) continue;
    let k = Math.min(top.length, 9);
    if (top.length < 10) top.push(i);
    while (k > 0 && scores[top[k - 1]] < scores[i]) {
      top[k] = top[k - 1];
      k--;
    }
    top[k] = i;
  }
  return top;
}

/** Test RMSE of biased matrix factorisation by SGD (k = 0: biases only), clipped to 1–5. */
function rmseOf(train: CsrMatrix, test: CsrMatrix, k: number): number {
  const rng = new Rng(3);
  const n = nnz(train);
  let mu = 0;
  for (let p = 0; p < n; p++) mu += train.values[p];
  mu /= n;
  const bu = new Float64Array(train.rows);
  const bi = new Float64Array(train.cols);
  const P = Float64Array.from({ length: train.rows * k }, () => 0.1 * rng.normal());
  const Q = Float64Array.from({ length: train.cols * k }, () => 0.1 * rng.normal());
  const rowOf = new Uint32Array(n);
  for (let u = 0; u < train.rows; u++) rowOf.fill(u, train.indptr[u], train.indptr[u + 1]);
  const predict = (u: number, i: number) => {
    let r = mu + bu[u] + bi[i];
    for (let f = 0; f < k; f++) r += P[u * k + f] * Q[i * k + f];
    return r;
  };
  const lr = 0.01;
  const reg = 0.05;
  for (let epoch = 0; epoch < 25; epoch++) {
    for (const p of rng.permutation(n)) {
      const u = rowOf[p];
      const i = train.indices[p];
      const err = train.values[p] - predict(u, i);
      bu[u] += lr * (err - reg * bu[u]);
      bi[i] += lr * (err - reg * bi[i]);
      for (let f = 0; f < k; f++) {
        const pu = P[u * k + f];
        const qi = Q[i * k + f];
        P[u * k + f] += lr * (err * qi - reg * pu);
        Q[i * k + f] += lr * (err * pu - reg * qi);
      }
    }
  }
  let se = 0;
  const t = test;
  for (let u = 0; u < t.rows; u++)
    for (let p = t.indptr[u]; p < t.indptr[u + 1]; p++)
      se += (t.values[p] - Math.min(5, Math.max(1, predict(u, t.indices[p])))) ** 2;
  return Math.sqrt(se / nnz(t));
}
