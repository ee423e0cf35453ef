import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventLoopTurns } from './event-loop.ts';
import { topK, topKExcept } from './topk.ts';

/** The k best by sorting, excluding `out`: the specification the heap must meet. */
function bySorting(scores: number[], k: number, out: Set<number>): number[] {
  return scores
    .map((s, i) => ({ s, i }))
    .filter(({ s, i }) => !Number.isNaN(s) && !out.has(i))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .slice(0, k)
    .map(({ i }) => i);
}

describe('topKExcept', () => {
  it('equals sorting with the exclusions removed, at any offset, and forgets them after each call', () => {
    fc.assert(
      fc.property(
        // Distinct scores: among equal scores at the cut, topK keeps whichever its heap holds.
        fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.nat({ max: 12 }),
        fc.array(fc.nat({ max: 39 }), { maxLength: 10 }),
        fc.array(fc.nat({ max: 39 }), { maxLength: 10 }),
        (row, k, own, also) => {
          const n = row.length;
          own = own.filter((i) => i < n);
          also = also.filter((i) => i < n);
          const skip = (i: number) => i % 7 === 3;
          const pick = topKExcept(n, k, skip);
          const block = Float32Array.from([9, 9, ...row]); // the row at offset 2
          const out = new Set(
            [...own, ...also, ...row.keys()].filter((i) => own.includes(i) || also.includes(i) || skip(i)),
          );
          expect(pick(block, 2, own, also).indices).toEqual(bySorting(row, k, out));
          // A 0/1 mask skips the same items as the predicate.
          const mask = Uint8Array.from(row, (_, i) => (skip(i) ? 1 : 0));
          expect(topKExcept(n, k, mask)(block, 2, own, also).indices).toEqual(bySorting(row, k, out));
          // The mask is cleared: without exclusions only `skip` applies.
          expect(pick(block, 2).indices).toEqual(topK(row, k, skip).indices);
        },
      ),
    );
  });
});

describe('topK', () => {
  it('skips NaN scores and keeps the k best of the rest, while filling the heap and once it is full', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat({ max: 39 }), { maxLength: 10 }),
        fc.nat({ max: 12 }),
        (values, nanAt, k) => {
          const row = values.map((v, i) => (nanAt.includes(i) ? Number.NaN : v));
          const got = topK(Float64Array.from(row), k);
          expect(got.indices).toEqual(bySorting(row, k, new Set()));
          expect(got.scores).toEqual(got.indices.map((i) => row[i]));
        },
      ),
    );
  });
});

describe('eventLoopTurns', () => {
  it('lets other tasks run only when someone listens and the interval has passed', async () => {
    let ran = false;
    setTimeout(() => {
      ran = true;
    }, 0);
    await eventLoopTurns(false, 0)();
    expect(ran).toBe(false);
    await eventLoopTurns(true, 60_000)();
    expect(ran).toBe(false);
    await eventLoopTurns(true, 0)();
    expect(ran).toBe(true);
  });
});
