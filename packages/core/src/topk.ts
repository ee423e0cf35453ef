/**
 * Indices of the k largest scores, best first, skipping indices for which `skip(i)` is true
 * and NaN scores. A bounded min-heap: O(n log k) time, O(k) memory, so ranking a 41K-song
 * catalogue per user never sorts the whole row.
 *
 * @example
 * topK(Float32Array.of(0.1, 0.9, 0.5), 2); // { indices: [1, 2], scores: [0.9, 0.5] }
 */
export function topK(
  scores: ArrayLike<number>,
  k: number,
  skip?: (index: number) => boolean,
  offset = 0,
  length = scores.length - offset,
): { indices: number[]; scores: number[] } {
  const heapIdx = new Int32Array(Math.max(k, 0));
  const heapVal = new Float64Array(Math.max(k, 0));
  let size = 0;
  let i = 0;
  // Filling the heap: every score but NaN and the skipped goes in (sift up).
  for (; i < length && size < k; i++) {
    const v = scores[offset + i];
    if (Number.isNaN(v) || skip?.(i)) continue;
    let c = size++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      if (heapVal[p] <= v) break;
      heapVal[c] = heapVal[p];
      heapIdx[c] = heapIdx[p];
      c = p;
    }
    heapVal[c] = v;
    heapIdx[c] = i;
  }
  // Full: only a score above the root (the k-th best so far, kept in a local) can enter. Compare
  // before asking `skip`: almost every score loses to the root, so the predicate (Set lookups,
  // masks) runs for a few hundred items, not the catalogue — the loop is a load and a compare.
  if (size === k && k > 0) {
    let root = heapVal[0];
    for (; i < length; i++) {
      const v = scores[offset + i];
      if (!(v > root) || skip?.(i)) continue;
      // Replace the root, sift down.
      let c = 0;
      for (;;) {
        const l = 2 * c + 1;
        if (l >= size) break;
        const r = l + 1;
        const m = r < size && heapVal[r] < heapVal[l] ? r : l;
        if (heapVal[m] >= v) break;
        heapVal[c] = heapVal[m];
        heapIdx[c] = heapIdx[m];
        c = m;
      }
      heapVal[c] = v;
      heapIdx[c] = i;
      root = heapVal[0];
    }
  }
  const order = Array.from({ length: size }, (_, j) => j).sort(
    (a, b) => heapVal[b] - heapVal[a] || heapIdx[a] - heapIdx[b],
  );
  return { indices: order.map((j) => heapIdx[j]), scores: order.map((j) => heapVal[j]) };
}

/**
 * Top-k with exclusions, the one rule of every list (`recommend`, the ranking protocols): a
 * function giving the `k` best of `n` scores at `offset`, leaving out the indices in each of
 * `excluded` (a user's training items, other known plays) and those `skip` rejects (cold items
 * as a 0/1 mask — the fast path of the ranking protocols — or a filter predicate). One item mask serves every call (set, ranked, cleared), so a loop over many users
 * allocates nothing per user but the list.
 *
 * @example
 * const pick = topKExcept(nItems, 10, (i) => cold[i] === 1);
 * const { indices, scores } = pick(block, b * nItems, rowIndices(train, u));
 */
export function topKExcept(
  n: number,
  k: number,
  skip?: Uint8Array | ((index: number) => boolean),
): (
  scores: ArrayLike<number>,
  offset: number,
  ...excluded: ArrayLike<number>[]
) => {
  indices: number[];
  scores: number[];
} {
  const mask = new Uint8Array(n);
  const skipped =
    skip === undefined
      ? (i: number) => mask[i] === 1
      : skip instanceof Uint8Array
        ? (i: number) => mask[i] === 1 || skip[i] === 1
        : (i: number) => mask[i] === 1 || skip(i);
  return (scores, offset, ...excluded) => {
    for (const list of excluded) for (let j = 0; j < list.length; j++) mask[list[j]] = 1;
    try {
      return topK(scores, k, skipped, offset, n);
    } finally {
      for (const list of excluded) for (let j = 0; j < list.length; j++) mask[list[j]] = 0;
    }
  };
}
