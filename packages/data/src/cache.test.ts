import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle, type StoredArray } from './binary.ts';
import {
  decodePreparedDataset,
  encodePreparedDataset,
  PREPARED_DATASET_KIND,
  PREPARED_DATASET_VERSION,
} from './cache.ts';
import { DataError } from './errors.ts';
import { IdIndex } from './ids.ts';
import { type PreparedDataset, prepareDataset } from './prepare.ts';
import type { SplitOptions } from './splits.ts';
import { syntheticDataset } from './synthetic.ts';

const tiny = syntheticDataset('tiny');
tiny.report = {
  source: 'tiny.txt',
  bytesRead: 123,
  lines: 10,
  accepted: 9,
  skipped: 1,
  duplicates: 0,
  problems: [{ line: 4, reason: 'bad count' }],
};
// Ids with non-ASCII characters and an item without info exercise the string encoding.
tiny.users = new IdIndex(tiny.users.toArray().map((id, u) => (u === 3 ? `用户-é-${id}` : id)));
tiny.itemInfo![5] = undefined;
tiny.itemInfo![6] = { title: 'only a title' };

function comparable(p: PreparedDataset) {
  return {
    ...p,
    dataset: { ...p.dataset, users: p.dataset.users.toArray(), items: p.dataset.items.toArray() },
    trainSet: { ...p.trainSet, users: p.trainSet.users.toArray(), items: p.trainSet.items.toArray() },
  };
}

const splits: SplitOptions[] = [
  { method: 'random', test: 0.1, validation: 0.1 },
  { method: 'per-user', testCount: 2 },
  { method: 'k-fold', folds: 3, fold: 1 },
  { method: 'held-out-users', testUsers: 20, validationUsers: 20 },
];

describe('prepared-dataset cache', () => {
  for (const split of splits) {
    it(`round-trips a ${split.method} split exactly`, () => {
      const p = prepareDataset(tiny, {
        filter: { minUsersPerItem: 3 },
        transform: split.method === 'per-user' ? 'user-quantiles' : undefined,
        split,
        seed: 5,
      });
      const back = decodePreparedDataset(encodePreparedDataset(p), 'tiny.cache');
      expect(comparable(back)).toEqual(comparable(p));
      expect(back.dataset.users.indexOf(p.dataset.users.external(3))).toBe(3);
    });
  }

  it('rebuilds the full count matrix on first access, as a plain property', () => {
    const p = prepareDataset(tiny, { split: { method: 'held-out-users', testUsers: 10 }, seed: 4 });
    const back = decodePreparedDataset(encodePreparedDataset(p));
    const descriptor = () => Object.getOwnPropertyDescriptor(back.dataset, 'counts');
    expect(descriptor()?.get).toBeTypeOf('function');
    expect(back.dataset.counts).toEqual(p.dataset.counts);
    expect(descriptor()?.get).toBeUndefined();
    expect(back.dataset.counts).toBe(back.dataset.counts);
    const again = decodePreparedDataset(encodePreparedDataset(p));
    again.dataset.counts = p.dataset.counts;
    expect(again.dataset.counts).toBe(p.dataset.counts);
  });

  it('decodes from an unaligned copy', () => {
    const p = prepareDataset(tiny, { split: { method: 'random' }, seed: 1 });
    const bytes = encodePreparedDataset(p);
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(comparable(decodePreparedDataset(shifted.subarray(1)))).toEqual(comparable(p));
  });

  describe('refuses bad caches with a DataError naming the source', () => {
    const p = prepareDataset(tiny, { split: { method: 'random', validation: 0.1 }, seed: 2 });
    const bytes = encodePreparedDataset(p);
    const expectError = (b: Uint8Array, pattern: RegExp) => {
      let error: unknown;
      try {
        decodePreparedDataset(b, 'x.cache');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toMatch(/^x\.cache: /);
      expect((error as Error).message).toMatch(pattern);
    };
    /** The same content re-encoded after `edit`, so the checksum is valid but the content is not. */
    const reencode = (edit: (arrays: Record<string, StoredArray>, meta: Record<string, unknown>) => void) => {
      const d = decodeBundle(bytes, PREPARED_DATASET_KIND, PREPARED_DATASET_VERSION, 'x');
      const arrays = { ...d.arrays };
      const meta = structuredClone(d.meta) as Record<string, unknown>;
      edit(arrays, meta);
      return encodeBundle(PREPARED_DATASET_KIND, PREPARED_DATASET_VERSION, arrays, meta);
    };

    it('corrupt', () => {
      const bad = bytes.slice();
      bad[bad.length - 100] ^= 0x40;
      expectError(bad, /checksum mismatch/);
    });

    it('truncated', () => {
      expectError(bytes.subarray(0, bytes.length - 1000), /truncated/);
      expectError(bytes.subarray(0, 8), /only 8 bytes/);
    });

    it('wrong version or kind, or not a cache at all', () => {
      const d = decodeBundle(bytes, PREPARED_DATASET_KIND, PREPARED_DATASET_VERSION, 'x');
      expectError(encodeBundle(PREPARED_DATASET_KIND, 99, d.arrays, d.meta), /version 99.*reads version 1/);
      expectError(encodeBundle('model-state', 1, {}), /holds a 'model-state'/);
      expectError(new TextEncoder().encode('user\tsong\t1\n'.repeat(10)), /bad magic/);
    });

    it('inconsistent content behind a valid checksum', () => {
      const edit = (name: string, f: (a: Uint32Array | Uint8Array) => void) =>
        reencode((a) => {
          const copy = (a[name] as Uint32Array | Uint8Array).slice();
          f(copy);
          a[name] = copy;
        });
      expectError(
        reencode((a) => {
          a.labels = (a.labels as Uint8Array).subarray(1);
        }),
        /corrupt prepared-dataset cache: \d+ split labels for \d+ interactions/,
      );
      expectError(
        edit('train.indices', (x) => {
          x[0] = 1e6;
        }),
        /train: user 0's song indices are out of range/,
      );
      expectError(
        edit('test.indptr', (x) => {
          x[1] = x[x.length - 1] + 1;
        }),
        /test: row offsets decrease/,
      );
      expectError(
        reencode((a) => {
          a.userIdEnds = (a.userIdEnds as Uint32Array).subarray(1);
        }),
        /id offsets do not match|user ids/,
      );
      expectError(
        edit('labels', (x) => {
          x[0] = 9;
        }),
        /label 9/,
      );
      expectError(
        edit('labels', (x) => {
          x[x.indexOf(0)] = 2;
        }),
        /the labels put \d+ interactions in 'train'/,
      );
      expectError(
        reencode((a) => {
          delete a['validation.ratings'];
        }),
        /'validation\.ratings' is missing/,
      );
      expectError(
        reencode((_, meta) => {
          meta.parts = ['train'];
        }),
        /no matrix shape or parts/,
      );
    });
  });
});
