// Reads each file given on the command line with every reader in both modes (or, when the name
// is prefixed `tsv:`, as a strict taste-profile file only) and prints the peak resident memory
// above a warmed-up baseline, as JSON. Run by fuzz.test.ts in a child process so the
// measurement is this process's alone: node --conditions=@autorec/source --import tsx test/memory-probe.ts FILE…
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  type ByteSource,
  DataError,
  type FormatName,
  type ReadMode,
  readInteractions,
  readItemInfo,
  readPlays,
} from '../src/index.ts';
import { readInteractionsFile } from '../src/node/index.ts';

const FORMATS: FormatName[] = [
  'taste-profile',
  'lastfm-hetrec',
  'lastfm-1k',
  'lastfm-360k',
  'movielens',
  'csv',
];

async function readAll(
  path: string,
  source: () => ByteSource | Promise<ByteSource>,
  modes: readonly ReadMode[],
  formats: readonly FormatName[] = FORMATS,
): Promise<string[]> {
  const outcomes: string[] = [];
  const attempt = async (read: () => Promise<unknown>) => {
    try {
      await read();
      outcomes.push('ok');
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      outcomes.push(error.reason.slice(0, 40));
    }
  };
  for (const mode of modes) {
    for (const format of formats)
      await attempt(() =>
        readInteractionsFile(path, { format, mode, csv: { user: 0, item: 1, count: 2, delimiter: '\t' } }),
      );
    if (formats !== FORMATS) continue;
    for (const format of ['lastfm-hetrec', 'msd-tracks'] as const)
      await attempt(async () => readItemInfo(await source(), { format, mode, name: path }));
    await attempt(async () => readPlays(await source(), { mode, name: path }));
    await attempt(async () =>
      readInteractions(await source(), { format: 'taste-profile', mode, name: path }),
    );
  }
  return outcomes;
}

const maxRss = () => process.resourceUsage().maxRSS * 1024;
const [warmup, ...files] = process.argv.slice(2);
await readAll(warmup, () => readFile(warmup), ['strict', 'lenient']);
const baseline = maxRss();
const outcomes: Record<string, string[]> = {};
for (const arg of files) {
  const file = arg.replace(/^tsv:/, '');
  // Streamed from the file: never the whole input in memory (readFile is for the small warm-up only).
  const source = () => createReadStream(file);
  outcomes[file] =
    arg === file
      ? await readAll(file, source, ['strict', 'lenient'])
      : await readAll(file, source, ['strict'], ['taste-profile']);
}
process.stdout.write(`${JSON.stringify({ baseline, peakAboveBaseline: maxRss() - baseline, outcomes })}\n`);
