/**
 * A seeded 80/20 per-interaction random split of Last.fm HetRec 2K written as two files in the
 * input's own format, so the same split can be given to us (`--split files:TRAIN,TEST`) and to
 * implicit, RecBole or Surprise — the side-by-side table of docs/benchmarks.md is made from it.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/split-files.ts [--data DIR]
 *     [--out DIR] [--seed 42] [--test 0.2]
 *   autorec compare --split files:OUT/train.dat,OUT/test.dat --format lastfm-hetrec \
 *     --metadata DIR/artists.dat --transform none --models ials,popularity
 *
 * The split is the data package's `randomSplit` (exactly round(0.2 × n) test plays, every subset
 * equally likely, xoshiro128** seeded), so it is reproducible in Node and the browser alike.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomSplit } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(sharedDataDir(), 'lastfm-hetrec-2k') },
    out: { type: 'string', default: 'bench-split' },
    seed: { type: 'string', default: '42' },
    test: { type: 'string', default: '0.2' },
  },
});
const dataset = await readInteractionsFile(resolve(values.data, 'user_artists.dat'), {
  format: 'lastfm-hetrec',
});
const split = randomSplit(dataset.counts, { test: Number(values.test) }, Number(values.seed));
const lines = (m: typeof split.train) => {
  const out = ['userID\tartistID\tweight'];
  for (let u = 0; u < m.rows; u++)
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++)
      out.push(`${dataset.users.external(u)}\t${dataset.items.external(m.indices[p])}\t${m.values[p]}`);
  return `${out.join('\n')}\n`;
};
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, 'train.dat'), lines(split.train));
await writeFile(join(values.out, 'test.dat'), lines(split.test));
console.error(
  `wrote ${join(values.out, 'train.dat')} and test.dat: ${split.train.indptr[split.train.rows]} / ${split.test.indptr[split.test.rows]} plays (seed ${values.seed})`,
);
