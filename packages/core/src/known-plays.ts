import {
  addDisjoint,
  type CsrMatrix,
  decodeBundle,
  encodeBundle,
  type PreparedDataset,
  rowIndices,
} from '@autorec/data';
import { ModelFormatError } from './errors.ts';
import type { Recommender } from './recommender.ts';
import type { ModelStore, RecommendOptions, ScoredItem } from './types.ts';

/** File of a model folder holding the listeners' plays that were not training plays. */
export const KNOWN_PLAYS_FILE = 'known-plays.bin';

/**
 * Every play of the prepared dataset that the model was not trained on — validation, test and
 * fold-in plays — as a users × items pattern: what a listener is known to have played beyond
 * the model's training matrix, so lists leave it out. Undefined when there is none.
 *
 * @example
 * const known = knownPlaysOf(prepared); // save beside the model with saveKnownPlays
 */
export function knownPlaysOf(prepared: Pick<PreparedDataset, 'ratings'>): CsrMatrix | undefined {
  const { validation, test, foldIn } = prepared.ratings;
  let out: CsrMatrix | undefined;
  for (const part of [validation, test, foldIn])
    if (part && part.indptr[part.rows] > 0) out = out ? addDisjoint(out, part) : part;
  return out;
}

/**
 * Writes the known plays into a model store before `model.save` commits it.
 *
 * @example
 * const store = directoryStore(dir);
 * if (known) await saveKnownPlays(store, known);
 * await model.save(store, extra, fit);
 */
export async function saveKnownPlays(store: ModelStore, known: CsrMatrix): Promise<void> {
  await store.write(
    KNOWN_PLAYS_FILE,
    encodeBundle(
      'known-plays',
      1,
      { indptr: known.indptr, indices: known.indices },
      { rows: known.rows, cols: known.cols },
    ),
  );
}

/** The known plays saved with a model, or undefined for a folder without them (older or trained on all data). */
export async function loadKnownPlays(store: ModelStore): Promise<CsrMatrix | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.read(KNOWN_PLAYS_FILE);
  } catch (e) {
    if (e instanceof ModelFormatError) return undefined;
    throw e;
  }
  const { arrays, meta } = decodeBundle(bytes, 'known-plays', 1, KNOWN_PLAYS_FILE);
  const { rows, cols } = meta as { rows: number; cols: number };
  const indptr = arrays.indptr as Uint32Array;
  const indices = arrays.indices as Uint32Array;
  if (indptr.length !== rows + 1 || indptr[rows] !== indices.length)
    throw new ModelFormatError(
      `${KNOWN_PLAYS_FILE}: ${indices.length} plays but the offsets say ${indptr[rows]}`,
      { file: KNOWN_PLAYS_FILE },
    );
  return { rows, cols, indptr, indices, values: new Float32Array(indices.length) };
}

/**
 * `model.recommendMany` that also leaves out each user's known plays beyond training (`known`,
 * users × items of the model's shape, e.g. `loadKnownPlays`): each batch asks for k plus the
 * most any of its users has known, then drops those. Without `known` it is `recommendMany`.
 *
 * @example
 * const lists = recommendExcludingKnown(model, ['u1', 'u2'], 10, await loadKnownPlays(store));
 */
export function recommendExcludingKnown(
  model: Recommender,
  users: readonly string[],
  k: number,
  known: CsrMatrix | undefined,
  options: RecommendOptions & { batchSize?: number } = {},
): ScoredItem[][] {
  if (!known || options.excludeSeen === false) return model.recommendMany(users, k, options);
  const { rows, cols } = model.trainSet.ratings;
  if (known.rows !== rows || known.cols !== cols)
    throw new RangeError(`known plays are ${known.rows}×${known.cols} but the model is ${rows}×${cols}`);
  const batch = Math.max(1, options.batchSize ?? 256);
  const out: ScoredItem[][] = [];
  for (let from = 0; from < users.length; from += batch) {
    const chunk = users.slice(from, from + batch);
    const rowsOf = chunk.map((u) => model.users.indexOf(u));
    const extra = Math.max(0, ...rowsOf.map((u) => (u < 0 ? 0 : known.indptr[u + 1] - known.indptr[u])));
    const lists = model.recommendMany(chunk, k + extra, options);
    lists.forEach((list, j) => {
      const u = rowsOf[j];
      const skip = new Set(Array.from(rowIndices(known, u), (i) => model.items.external(i)));
      out.push(list.filter((r) => !skip.has(r.item)).slice(0, k));
    });
  }
  return out;
}
