import type { Dataset, ItemInfo } from './dataset.ts';
import { IdIndex } from './ids.ts';
import { Rng } from './random.ts';
import type { CsrMatrix } from './sparse.ts';

/**
 * Seeded synthetic play-count logs with the structure of real listening data, so models have
 * something to learn and tests and benchmarks need no download:
 *
 * - a few genres; every user likes 1–3 of them with Dirichlet weights (latent tastes),
 *   every song belongs to one genre and sometimes leans to a second;
 * - song popularity is Zipf–Mandelbrot, (rank + offset)^-exponent;
 * - a user picks distinct songs from a mixture: mostly their genres (songs weighted by
 *   popularity), a `mainstream` share from overall popularity;
 * - activity (songs per user) is log-normal above a minimum, as after a k-core filter;
 * - play counts are ⌊exp(x)⌋ ≥ 1 with x = user intensity + song replay value +
 *   `affinityEffect` × (user's taste for the song's genres) + noise: heavy-tailed, mostly 1s,
 *   and predictable from user × song affinity beyond user and song biases.
 *
 * Ids look like the Million Song Dataset's: 40-hex user ids, 18-character `SO…` song ids
 * (unique by construction), with made-up artist and title names for display.
 */

/** Named sizes; see `SYNTHETIC_PRESETS`. */
export type SyntheticPreset = 'tiny' | 'default' | 'msd';

export const SYNTHETIC_PRESET_NAMES: readonly SyntheticPreset[] = ['tiny', 'default', 'msd'];

export interface SyntheticOptions {
  users: number;
  /** Songs in the catalogue; songs nobody drew are left out of the dataset. */
  items: number;
  meanItemsPerUser: number;
  minItemsPerUser: number;
  maxItemsPerUser: number;
  /** σ of log(songs per user − minimum). */
  activitySpread: number;
  genres: number;
  zipfExponent: number;
  zipfOffset: number;
  /** Share of a user's picks drawn from overall popularity instead of their genres. */
  mainstream: number;
  /** Added to log play count per unit of user-song affinity (0–1.3). */
  affinityEffect: number;
  /** σ of the per-play noise on log play count. */
  countNoise: number;
  /** Mean of log play count before affinity. */
  countLevel: number;
  seed: number;
}

const BASE = {
  activitySpread: 1,
  zipfExponent: 0.85,
  mainstream: 0.2,
  affinityEffect: 2.5,
  countNoise: 0.6,
  countLevel: -1,
  seed: 1,
};

/**
 * - `tiny`: unit tests (200 users × 300 songs, ~5K plays).
 * - `default`: the embedded demo dataset (3,000 users × ~2,000 songs, ~117K plays), sized so
 *   that SVD and both AutoRecs can train in about a minute together on two cores, with
 *   structure that simple models find (measured in the tests, per-user 20% holdout): item kNN
 *   Recall@10 0.21 against 0.08 for popularity; 8-factor MF RMSE 0.84 against 0.96 for
 *   biases on log-bins ratings.
 * - `msd`: the shape of the Taste Profile after the Mult-VAE filter (571,355 users × 41,140
 *   songs × 33.59M plays, ≥ 20 songs per user), for benchmarks; ~8 s and ~0.9 GB to
 *   generate. Its tail is a little thinner than the real one: re-applying `MULT_VAE_FILTER`
 *   drops 2,010 songs with fewer than 200 listeners (and then 66 users).
 */
export const SYNTHETIC_PRESETS: Readonly<Record<SyntheticPreset, Readonly<SyntheticOptions>>> = Object.freeze(
  {
    tiny: Object.freeze({
      ...BASE,
      users: 200,
      items: 300,
      meanItemsPerUser: 25,
      minItemsPerUser: 5,
      maxItemsPerUser: 120,
      genres: 6,
      zipfOffset: 20,
    }),
    default: Object.freeze({
      ...BASE,
      users: 3000,
      items: 2000,
      meanItemsPerUser: 40,
      minItemsPerUser: 10,
      maxItemsPerUser: 600,
      genres: 10,
      zipfOffset: 10,
    }),
    msd: Object.freeze({
      ...BASE,
      users: 571_355,
      items: 41_140,
      // 33,633,450 / 571,355, the filtered Taste Profile's mean.
      meanItemsPerUser: 58.866,
      minItemsPerUser: 20,
      maxItemsPerUser: 5000,
      genres: 20,
      zipfOffset: 50,
    }),
  },
);

/** Weight of a song in its secondary genre's table, relative to its primary genre. */
const SECONDARY = 0.3;
/** Share of (user, song) pairs played obsessively, far above what affinity predicts. */
const OBSESSION_RATE = 0.02;
/** Play counts are capped so a row sort can pack (song, count) into one float64. */
const MAX_COUNT = 2 ** 21 - 1;

/**
 * Generates a synthetic dataset (format 'taste-profile') straight into typed arrays. The
 * same preset and seed always give the same data. Items are numbered in order of first
 * appearance in user-major order, which is how a reader numbers them, so parsing
 * `tasteProfileText(dataset)` gives back the same indices.
 *
 * @example
 * const tiny = syntheticDataset('tiny');                     // ~200 users × ~300 songs
 * const big = syntheticDataset('msd', { seed: 7 });          // 571,355 × 41,140 × ~33.6M
 * const mine = syntheticDataset('default', { users: 1000, genres: 4 });
 */
export function syntheticDataset(
  preset: SyntheticPreset = 'default',
  overrides: Partial<SyntheticOptions> = {},
): Dataset {
  const base = SYNTHETIC_PRESETS[preset];
  if (!base)
    throw new RangeError(`unknown synthetic preset '${preset}'; use ${SYNTHETIC_PRESET_NAMES.join(', ')}`);
  const o: SyntheticOptions = { ...base, ...overrides };
  checkOptions(o);
  const rng = new Rng(o.seed);
  const catalogue = makeCatalogue(o, rng.fork());
  const activity = drawActivity(o, rng.fork());
  const { counts, songOfItem } = drawPlays(o, catalogue, activity, rng.fork());
  const names = rng.fork();
  const users = new IdIndex(Array.from({ length: o.users }, (_, u) => userId(u, o.seed, names)));
  const songIds: string[] = new Array(songOfItem.length);
  const itemInfo: ItemInfo[] = new Array(songOfItem.length);
  const artists = artistNames(o, names);
  for (let i = 0; i < songOfItem.length; i++) {
    const s = songOfItem[i];
    songIds[i] = songId(s, o.seed, names);
    itemInfo[i] = { artist: artists[catalogue.artist[s]], title: songTitle(names) };
  }
  return {
    name: syntheticName(preset, overrides),
    format: 'taste-profile',
    users,
    items: new IdIndex(songIds),
    counts,
    explicit: false,
    itemInfo,
  };
}

/**
 * Writes a dataset as Taste Profile text (`user<TAB>song<TAB>count` lines, no header),
 * users in index order and each user's songs in index order, as chunks of about
 * `chunkChars` characters for a stream or file.
 *
 * @example
 * for (const chunk of tasteProfileText(syntheticDataset('tiny'))) stream.write(chunk);
 */
export function* tasteProfileText(dataset: Dataset, chunkChars = 1 << 20): Generator<string> {
  yield* joinInChunks(tasteProfileRows(dataset), chunkChars);
}

/** The lines of each user with plays, one string per user (so a chunk never splits a user). */
function* tasteProfileRows(dataset: Dataset): Generator<string> {
  const m = dataset.counts;
  const userIds = dataset.users.toArray();
  const itemIds = dataset.items.toArray();
  for (let u = 0; u < m.rows; u++) {
    if (m.indptr[u + 1] === m.indptr[u]) continue;
    const prefix = userIds[u] + '\t';
    let lines = '';
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      lines += prefix + itemIds[m.indices[p]] + '\t' + m.values[p] + '\n';
    }
    yield lines;
  }
}

/**
 * Writes a dataset's song metadata as MSD `unique_tracks.txt` text
 * (`track_id<SEP>song_id<SEP>artist<SEP>title` lines, items in index order), so the
 * `msd-tracks` reader can join artist and title back onto `tasteProfileText` output. One
 * made-up track id per song, derived from the song id (`SOAB…` → `TRAB…`); a missing artist or
 * title is written empty and reads back as missing. Yields chunks of about `chunkChars` characters.
 * Text that the format cannot hold (`<SEP>` or a line break inside an id or a name) is a RangeError.
 *
 * @example
 * const ds = syntheticDataset('tiny');
 * const text = [...msdTracksText(ds)].join('');
 * (await readItemInfo(text, { format: 'msd-tracks' })).get(ds.items.external(0)); // { artist, title }
 */
export function* msdTracksText(dataset: Dataset, chunkChars = 1 << 20): Generator<string> {
  yield* joinInChunks(msdTracksLines(dataset), chunkChars);
}

function* msdTracksLines(dataset: Dataset): Generator<string> {
  const ids = dataset.items.toArray();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const info = dataset.itemInfo?.[i];
    const fields = [
      id.startsWith('SO') ? `TR${id.slice(2)}` : `TR${id}`,
      id,
      info?.artist ?? '',
      info?.title ?? '',
    ];
    for (const field of fields)
      if (/<SEP>|[\r\n]/.test(field))
        throw new RangeError(
          `msdTracksText: item ${i} (${JSON.stringify(id)}) has ${JSON.stringify(field)}, which a unique_tracks.txt line cannot hold`,
        );
    yield `${fields.join('<SEP>')}\n`;
  }
}

/** Pieces of text joined into strings of about `chunkChars` characters; a piece is never cut. */
function* joinInChunks(pieces: Iterable<string>, chunkChars: number): Generator<string> {
  let parts: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    parts.push(piece);
    size += piece.length;
    if (size >= chunkChars) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) yield parts.join('');
}

function syntheticName(preset: SyntheticPreset, overrides: Partial<SyntheticOptions>): string {
  const custom = Object.keys(overrides).some((k) => k !== 'seed');
  return `synthetic-${preset}${custom ? '-custom' : ''}-seed${overrides.seed ?? BASE.seed}`;
}

interface Catalogue {
  /** Flattened alias tables: table t spans offsets[t]..offsets[t+1]; the last table is overall popularity. */
  offsets: Uint32Array;
  song: Uint32Array;
  alias: Uint32Array;
  prob: Float64Array;
  primary: Uint16Array;
  /** Secondary genre, or 0xffff for none. */
  secondary: Uint16Array;
  replay: Float32Array;
  artist: Uint32Array;
  genreWeight: Float64Array;
}

function makeCatalogue(o: SyntheticOptions, rng: Rng): Catalogue {
  const K = o.genres;
  const genreWeight = new Float64Array(K);
  let gw = 0;
  for (let g = 0; g < K; g++) gw += genreWeight[g] = Math.exp(0.5 * rng.normal());
  for (let g = 0; g < K; g++) genreWeight[g] /= gw;
  const rank = rng.permutation(o.items);
  const pop = new Float64Array(o.items);
  const primary = new Uint16Array(o.items);
  const secondary = new Uint16Array(o.items).fill(0xffff);
  const replay = new Float32Array(o.items);
  const artist = new Uint32Array(o.items);
  const artistsPerGenre = Math.max(1, Math.round(o.items / 8 / K));
  const tableSize = new Uint32Array(K + 1);
  for (let s = 0; s < o.items; s++) {
    pop[s] = (rank[s] + 1 + o.zipfOffset) ** -o.zipfExponent;
    const g = pickWeighted(genreWeight, rng.next());
    primary[s] = g;
    tableSize[g]++;
    if (K > 1 && rng.next() < 0.5) {
      const h = (g + 1 + rng.int(K - 1)) % K;
      secondary[s] = h;
      tableSize[h]++;
    }
    replay[s] = 0.35 * rng.normal();
    artist[s] = g + K * rng.int(artistsPerGenre);
  }
  tableSize[K] = o.items;
  const offsets = new Uint32Array(K + 2);
  for (let t = 0; t <= K; t++) offsets[t + 1] = offsets[t] + tableSize[t];
  const song = new Uint32Array(offsets[K + 1]);
  const weight = new Float64Array(offsets[K + 1]);
  const fill = offsets.slice(0, K + 1);
  for (let s = 0; s < o.items; s++) {
    let q = fill[primary[s]]++;
    song[q] = s;
    weight[q] = pop[s];
    if (secondary[s] !== 0xffff) {
      q = fill[secondary[s]]++;
      song[q] = s;
      weight[q] = pop[s] * SECONDARY;
    }
    q = fill[K]++;
    song[q] = s;
    weight[q] = pop[s];
  }
  const alias = new Uint32Array(song.length);
  const prob = new Float64Array(song.length);
  for (let t = 0; t <= K; t++) buildAlias(song, weight, offsets[t], offsets[t + 1], alias, prob);
  return { offsets, song, alias, prob, primary, secondary, replay, artist, genreWeight };
}

/** Vose's alias method over entries start..end: `alias` holds song ids, `prob` the keep chance. */
function buildAlias(
  song: Uint32Array,
  weight: Float64Array,
  start: number,
  end: number,
  alias: Uint32Array,
  prob: Float64Array,
): void {
  const n = end - start;
  if (n === 0) return;
  let total = 0;
  for (let j = start; j < end; j++) total += weight[j];
  const scaled = new Float64Array(n);
  for (let j = 0; j < n; j++) scaled[j] = (weight[start + j] * n) / total;
  const small = new Uint32Array(n);
  const large = new Uint32Array(n);
  let ns = 0;
  let nl = 0;
  for (let j = 0; j < n; j++) {
    if (scaled[j] < 1) small[ns++] = j;
    else large[nl++] = j;
  }
  while (ns > 0 && nl > 0) {
    const s = small[--ns];
    const l = large[--nl];
    prob[start + s] = scaled[s];
    alias[start + s] = song[start + l];
    scaled[l] = scaled[l] + scaled[s] - 1;
    if (scaled[l] < 1) small[ns++] = l;
    else large[nl++] = l;
  }
  while (nl > 0) {
    const l = large[--nl];
    prob[start + l] = 1;
    alias[start + l] = song[start + l];
  }
  while (ns > 0) {
    const s = small[--ns];
    prob[start + s] = 1;
    alias[start + s] = song[start + s];
  }
}

function sampleTable(c: Catalogue, t: number, u: number): number {
  const start = c.offsets[t];
  const x = u * (c.offsets[t + 1] - start);
  const j = Math.floor(x);
  return x - j < c.prob[start + j] ? c.song[start + j] : c.alias[start + j];
}

/** Songs per user: minimum + log-normal, with the log-normal's mean set to hit `meanItemsPerUser`. */
function drawActivity(o: SyntheticOptions, rng: Rng): Uint32Array {
  const extra = Math.max(1e-9, o.meanItemsPerUser - o.minItemsPerUser);
  const mu = Math.log(extra) - (o.activitySpread * o.activitySpread) / 2;
  const out = new Uint32Array(o.users);
  for (let u = 0; u < o.users; u++) {
    const n = o.minItemsPerUser + Math.round(Math.exp(mu + o.activitySpread * rng.normal()));
    out[u] = Math.max(1, Math.min(o.maxItemsPerUser, n));
  }
  return out;
}

function drawPlays(
  o: SyntheticOptions,
  c: Catalogue,
  activity: Uint32Array,
  rng: Rng,
): { counts: CsrMatrix; songOfItem: Uint32Array } {
  const K = o.genres;
  let capacity = 0;
  for (let u = 0; u < o.users; u++) capacity += activity[u];
  const indptr = new Uint32Array(o.users + 1);
  let indices = new Uint32Array(capacity);
  let values = new Float32Array(capacity);
  const labelOf = new Int32Array(o.items).fill(-1);
  const songOfItem = new Uint32Array(o.items);
  let labels = 0;
  const stamp = new Uint32Array(o.items); // user + 1 who last took the song
  const taste = new Float64Array(K); // dense taste of the current user, reset after use
  const likedGenre = new Uint16Array(3);
  const likedWeight = new Float64Array(3);
  let maxRow = 0;
  for (let u = 0; u < o.users; u++) maxRow = Math.max(maxRow, activity[u]);
  const rowKeys = new Float64Array(maxRow);
  let w = 0;
  for (let u = 0; u < o.users; u++) {
    // Taste: 1–3 liked genres (chosen by genre size) with Dirichlet(1) weights.
    const r = rng.next();
    const liked = Math.min(K, r < 0.45 ? 1 : r < 0.85 ? 2 : 3);
    let total = 0;
    for (let k = 0; k < liked; k++) {
      let g: number;
      do g = pickWeighted(c.genreWeight, rng.next());
      while (taste[g] > 0);
      const e = -Math.log(1 - rng.next());
      taste[g] = e;
      likedGenre[k] = g;
      likedWeight[k] = e;
      total += e;
    }
    for (let k = 0; k < liked; k++) {
      likedWeight[k] /= total;
      taste[likedGenre[k]] = likedWeight[k];
    }
    const intensity = o.countLevel + 0.5 * rng.normal();
    const want = activity[u];
    const rowStart = w;
    let misses = 0;
    const maxAttempts = 50 * want + 1000;
    for (let attempt = 0; w - rowStart < want && attempt < maxAttempts; attempt++) {
      let table = K;
      // After repeated misses in the liked genres (a heavy user exhausting a small genre),
      // fall back to overall popularity so generation always terminates quickly.
      if (misses < 16 && rng.next() >= o.mainstream) {
        let x = rng.next();
        table = likedGenre[liked - 1];
        for (let k = 0; k < liked; k++) {
          x -= likedWeight[k];
          if (x < 0) {
            table = likedGenre[k];
            break;
          }
        }
      }
      if (c.offsets[table + 1] === c.offsets[table]) table = K; // a genre no song drew
      const s = sampleTable(c, table, rng.next());
      if (stamp[s] === u + 1) {
        misses++;
        continue;
      }
      misses = 0;
      stamp[s] = u + 1;
      const sec = c.secondary[s];
      const affinity = taste[c.primary[s]] + (sec === 0xffff ? 0 : SECONDARY * taste[sec]);
      let x = intensity + c.replay[s] + o.affinityEffect * affinity + o.countNoise * rng.normal();
      // A few obsessive repeats give the count distribution its long right tail (real logs
      // reach thousands of plays of one song).
      if (rng.next() < OBSESSION_RATE) x += 1 - 0.45 * Math.log(1 - rng.next());
      const count = Math.min(MAX_COUNT, Math.max(1, Math.floor(Math.exp(x))));
      let label = labelOf[s];
      if (label < 0) {
        label = labelOf[s] = labels;
        songOfItem[labels++] = s;
      }
      rowKeys[w - rowStart] = label * (MAX_COUNT + 1) + count;
      w++;
    }
    for (let k = 0; k < liked; k++) taste[likedGenre[k]] = 0;
    const n = w - rowStart;
    const keys = rowKeys.subarray(0, n).sort();
    for (let k = 0; k < n; k++) {
      const label = Math.floor(keys[k] / (MAX_COUNT + 1));
      indices[rowStart + k] = label;
      values[rowStart + k] = keys[k] - label * (MAX_COUNT + 1);
    }
    indptr[u + 1] = w;
  }
  if (w < capacity) {
    indices = indices.slice(0, w);
    values = values.slice(0, w);
  }
  return {
    counts: { rows: o.users, cols: labels, indptr, indices, values },
    songOfItem: songOfItem.slice(0, labels),
  };
}

function pickWeighted(weights: Float64Array, u: number): number {
  let x = u;
  for (let g = 0; g < weights.length; g++) {
    x -= weights[g];
    if (x < 0) return g;
  }
  return weights.length - 1;
}

/** murmur3's 32-bit finaliser: a bijection, so distinct inputs give distinct ids. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function hex8(x: number): string {
  return x.toString(16).padStart(8, '0');
}

/** 40 hex digits; the first 8 are a bijection of the index (unique), the rest random. */
function userId(u: number, seed: number, rng: Rng): string {
  return (
    hex8(mix32(u + Math.imul(seed, 0x9e3779b1))) +
    hex8(rng.nextUint32()) +
    hex8(rng.nextUint32()) +
    hex8(rng.nextUint32()) +
    hex8(rng.nextUint32())
  );
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** `SO` + 5 letters + `12A` + 8 hex digits (a bijection of the song number), like `SOAKIMP12A8C130995`. */
function songId(s: number, seed: number, rng: Rng): string {
  let letters = '';
  for (let k = 0; k < 5; k++) letters += LETTERS[rng.int(26)];
  return 'SO' + letters + '12A' + hex8(mix32(s + Math.imul(seed, 0x85ebca6b))).toUpperCase();
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ra',
  'ven',
  'tor',
  'sa',
  'el',
  'dan',
  'ko',
  'ri',
  'mar',
  'ne',
  'zu',
  'vi',
  'len',
  'ta',
  'shi',
  'bo',
  'an',
  'gra',
  'ly',
  'fen',
  'or',
  'quin',
  'ha',
  'dro',
  'mel',
  'se',
  'ul',
];
const ADJECTIVES = [
  'Velvet',
  'Hollow',
  'Electric',
  'Silent',
  'Golden',
  'Broken',
  'Neon',
  'Midnight',
  'Paper',
  'Crimson',
  'Distant',
  'Wild',
  'Glass',
  'Lonely',
  'Burning',
  'Frozen',
  'Secret',
  'Summer',
  'Quiet',
  'Restless',
];
const NOUNS = [
  'Foxes',
  'River',
  'Heart',
  'Lights',
  'Harbor',
  'Echo',
  'Garden',
  'Highway',
  'Mirror',
  'Thunder',
  'Satellite',
  'Ocean',
  'Window',
  'Shadows',
  'Parade',
  'Kingdom',
  'Letters',
  'Machines',
  'Tides',
  'Skyline',
];

function word(rng: Rng, syllables: number): string {
  let s = '';
  for (let k = 0; k < syllables; k++) s += SYLLABLES[rng.int(SYLLABLES.length)];
  return s[0].toUpperCase() + s.slice(1);
}

function artistNames(o: SyntheticOptions, rng: Rng): string[] {
  const n = o.genres * Math.max(1, Math.round(o.items / 8 / o.genres));
  const out: string[] = new Array(n);
  for (let a = 0; a < n; a++) {
    const style = rng.int(4);
    if (style === 0) out[a] = `The ${ADJECTIVES[rng.int(ADJECTIVES.length)]} ${NOUNS[rng.int(NOUNS.length)]}`;
    else if (style === 1) out[a] = `${word(rng, 2)} ${word(rng, 2 + rng.int(2))}`;
    else if (style === 2) out[a] = `${word(rng, 2 + rng.int(2))}`;
    else out[a] = `DJ ${word(rng, 2)}`;
  }
  return out;
}

function songTitle(rng: Rng): string {
  const adj = ADJECTIVES[rng.int(ADJECTIVES.length)];
  const noun = NOUNS[rng.int(NOUNS.length)];
  switch (rng.int(3)) {
    case 0:
      return `${adj} ${noun}`;
    case 1:
      return `${noun} of the ${adj} ${NOUNS[rng.int(NOUNS.length)]}`;
    default:
      return `${word(rng, 2)} ${noun}`;
  }
}

function checkOptions(o: SyntheticOptions): void {
  const positiveInts = ['users', 'items', 'genres', 'maxItemsPerUser'] as const;
  for (const k of positiveInts)
    if (!Number.isInteger(o[k]) || o[k] < 1)
      throw new RangeError(`synthetic: ${k} must be an integer ≥ 1, got ${o[k]}`);
  if (o.genres > 0xfffe) throw new RangeError(`synthetic: at most ${0xfffe} genres`);
  if (!Number.isInteger(o.minItemsPerUser) || o.minItemsPerUser < 1)
    throw new RangeError(`synthetic: minItemsPerUser must be an integer ≥ 1, got ${o.minItemsPerUser}`);
  if (o.maxItemsPerUser < o.minItemsPerUser || o.maxItemsPerUser > o.items)
    throw new RangeError(
      `synthetic: need minItemsPerUser ≤ maxItemsPerUser ≤ items, got ${o.minItemsPerUser}, ${o.maxItemsPerUser}, ${o.items}`,
    );
  if (!(o.meanItemsPerUser >= o.minItemsPerUser))
    throw new RangeError(`synthetic: meanItemsPerUser must be ≥ minItemsPerUser, got ${o.meanItemsPerUser}`);
  if (!(o.mainstream >= 0 && o.mainstream <= 1))
    throw new RangeError(`synthetic: mainstream must be in [0, 1], got ${o.mainstream}`);
  for (const k of ['activitySpread', 'zipfExponent', 'zipfOffset', 'countNoise'] as const)
    if (!(o[k] >= 0)) throw new RangeError(`synthetic: ${k} must be ≥ 0, got ${o[k]}`);
  if (!Number.isFinite(o.affinityEffect) || !Number.isFinite(o.countLevel))
    throw new RangeError('synthetic: affinityEffect and countLevel must be finite');
  if (!Number.isInteger(o.seed)) throw new RangeError(`synthetic: seed must be an integer, got ${o.seed}`);
}
