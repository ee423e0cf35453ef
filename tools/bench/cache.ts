/**
 * Prepared-dataset cache benchmark: how long preparing, saving and loading take, how big the
 * cache is, and how loading compares with parsing the same data from Taste Profile text.
 *
 * Run: node --conditions=@autorec/source --import tsx tools/bench/cache.ts [--preset msd|default|tiny] [--no-text]
 *
 * Loading and parsing are each timed in a fresh Node process (best of 3 for loads, of 1 for
 * parsing big text), as a CLI run would do them, so neither benefits from the other's warm
 * JIT or suffers the parent's full heap. On the synthetic `msd` preset (the Mult-VAE-filtered
 * Taste Profile shape, ~33.6M plays) it writes ~2.1 GB of text and a ~0.46 GB cache under
 * $TMPDIR/autorec-bench (deleted afterwards), needs ~3.5 GB of RAM and ~2 minutes. Also runs
 * on Last.fm 2K when present. Prints one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Dataset,
  datasetChecksum,
  MULT_VAE_FILTER,
  type PrepareOptions,
  prepareDataset,
  type ReadOptions,
  type SyntheticPreset,
  syntheticDataset,
  tasteProfileText,
} from '@autorec/data';
import { loadPreparedDataset, readInteractionsFile, savePreparedDataset } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

const self = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const dir = join(tmpdir(), 'autorec-bench');

const seconds = (t0: number) => Math.round(performance.now() - t0) / 1000;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs this script in a fresh Node process in `mode` and returns the JSON it prints. */
function child(mode: string, ...rest: string[]): Record<string, number | string> {
  const out = execFileSync(
    process.execPath,
    ['--conditions=@autorec/source', '--import', 'tsx', self, '--child', mode, ...rest],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

/** Child: load a cache `runs` times, report the best time. */
async function childLoad(path: string, runs: number): Promise<void> {
  let best = Number.POSITIVE_INFINITY;
  let checksum = '';
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const p = await loadPreparedDataset(path);
    best = Math.min(best, seconds(t0));
    checksum = p.sourceChecksum;
  }
  console.log(JSON.stringify({ loadS: best, sourceChecksum: checksum }));
}

/** Child: parse a source file and prepare it as the parent did (what a cache saves), report both times. */
async function childParse(path: string, read: string, prepare: string): Promise<void> {
  const t0 = performance.now();
  const dataset = await readInteractionsFile(path, JSON.parse(read) as ReadOptions);
  const parseS = seconds(t0);
  const t1 = performance.now();
  prepareDataset(dataset, JSON.parse(prepare) as PrepareOptions);
  const prepareS = seconds(t1);
  console.log(JSON.stringify({ parseS, prepareS, checksum: datasetChecksum(dataset) }));
}

/** Bytes of all distinct typed arrays reachable from `root` (shared buffers counted once). */
function typedBytes(root: unknown): number {
  const seen = new Set<unknown>();
  const buffers = new Set<ArrayBufferLike>();
  let total = 0;
  const walk = (x: unknown) => {
    if (x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (ArrayBuffer.isView(x)) {
      if (!buffers.has(x.buffer)) {
        buffers.add(x.buffer);
        total += x.buffer.byteLength;
      }
    } else if (Array.isArray(x)) {
      if (x.length < 1000) x.forEach(walk);
    } else for (const v of Object.values(x)) walk(v);
  };
  walk(root);
  return total;
}

async function writeText(dataset: Dataset, path: string): Promise<void> {
  const out = createWriteStream(path);
  for (const chunk of tasteProfileText(dataset, 4 << 20)) {
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((res, rej) => out.end((e?: Error | null) => (e ? rej(e) : res())));
}

async function benchPrepared(
  name: string,
  dataset: Dataset,
  options: PrepareOptions,
  source?: { path: string; read: ReadOptions },
): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const prepared = prepareDataset(dataset, options);
  const prepareS = seconds(t0);
  const interactions = prepared.split.labels.length;
  const cachePath = join(dir, `${name}.prepared`);
  const t1 = performance.now();
  const cacheBytes = await savePreparedDataset(cachePath, prepared);
  const saveS = seconds(t1);
  const memoryBytes = typedBytes(prepared);
  const result: Record<string, unknown> = {
    dataset: name,
    users: prepared.dataset.counts.rows,
    items: prepared.dataset.counts.cols,
    interactions,
    removedByFilter: prepared.filterSummary?.removed,
    transform: prepared.transform.name,
    split: prepared.params.split,
    coldTest: { users: prepared.split.cold.test.users.length, items: prepared.split.cold.test.items.length },
    prepareS,
    saveS,
    cacheBytes,
    cacheBytesPerInteraction: round(cacheBytes / interactions, 2),
    memoryBytesPerInteraction: round(memoryBytes / interactions, 2),
  };
  const checksum = prepared.sourceChecksum;
  const loaded = child('load', cachePath, '3');
  if (loaded.sourceChecksum !== checksum) throw new Error(`${name}: the cache round trip changed the data`);
  result.loadS = loaded.loadS;
  await rm(cachePath, { force: true });
  if (source) {
    const parsed = child('parse', source.path, JSON.stringify(source.read), JSON.stringify(options));
    if (parsed.checksum !== checksum) throw new Error(`${name}: parsing the text gave different data`);
    const parseS = Number(parsed.parseS);
    const total = parseS + Number(parsed.prepareS);
    Object.assign(result, {
      parseS,
      parsePlusPrepareS: round(total, 3),
      loadSpeedupVsParse: round(parseS / Number(loaded.loadS)),
      loadSpeedupVsParsePlusPrepare: round(total / Number(loaded.loadS)),
    });
  }
  return result;
}

async function main(): Promise<void> {
  const preset = (args.includes('--preset') ? args[args.indexOf('--preset') + 1] : 'msd') as SyntheticPreset;
  const withText = !args.includes('--no-text');
  await mkdir(dir, { recursive: true });
  const results: Record<string, unknown>[] = [];
  try {
    const t0 = performance.now();
    const synthetic = syntheticDataset(preset, { seed: 1 });
    const generateS = seconds(t0);
    const textPath = join(dir, `synthetic-${preset}.txt`);
    let textBytes: number | undefined;
    let writeTextS: number | undefined;
    if (withText) {
      const t1 = performance.now();
      await writeText(synthetic, textPath);
      writeTextS = seconds(t1);
      textBytes = (await stat(textPath)).size;
    }
    const heldOut = preset === 'msd' ? 50_000 : Math.max(1, Math.round(synthetic.counts.rows / 10));
    const options: PrepareOptions = {
      // Only the msd shape is big enough for the Mult-VAE thresholds (songs ≥ 200 listeners).
      filter: preset === 'msd' ? MULT_VAE_FILTER : undefined,
      split: { method: 'held-out-users', testUsers: heldOut, validationUsers: heldOut },
      seed: 98765,
    };
    const source = withText ? { path: textPath, read: { format: 'taste-profile' as const } } : undefined;
    const r = await benchPrepared(`synthetic-${preset}`, synthetic, options, source);
    results.push({ generateS, writeTextS, textBytes, ...r });
    if (withText) await rm(textPath, { force: true });

    const lastfm = join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat');
    const haveLastfm = await stat(lastfm).then(
      () => true,
      () => false,
    );
    if (haveLastfm) {
      const read: ReadOptions = { format: 'lastfm-hetrec' };
      const dataset = await readInteractionsFile(lastfm, read);
      const options: PrepareOptions = { split: { method: 'random', test: 0.1 }, seed: 42 };
      results.push(await benchPrepared('lastfm-hetrec-2k', dataset, options, { path: lastfm, read }));
    }
    console.log(
      JSON.stringify({ bench: 'cache', node: process.version, lastfmPresent: haveLastfm, results }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (args[0] === '--child') {
  if (args[1] === 'load') await childLoad(args[2], Number(args[3]));
  else await childParse(args[2], args[3], args[4]);
} else {
  await main();
}
