import {
  type Dataset,
  type FormatName,
  IdIndex,
  type ItemInfo,
  type SyntheticPreset,
  syntheticDataset,
  TripletBuilder,
} from '@autorec/data';
import { loadPreparedDataset, readInteractionsFile } from '@autorec/data/node';
import type { EventInput, Repository, SongInfo } from '../storage/repository.ts';

/** Where the first start's plays come from: the CLI's sources (preset, file, prepared cache). */
export type ImportSource =
  | { kind: 'preset'; preset: SyntheticPreset; users?: number }
  | { kind: 'file'; input: string; format: FormatName }
  | { kind: 'cache'; path: string };

export function describeImport(source: ImportSource): string {
  if (source.kind === 'preset')
    return `the embedded '${source.preset}' preset${source.users ? ` with ${source.users} listeners` : ''}`;
  if (source.kind === 'file') return `${source.input} (${source.format})`;
  return `the prepared cache ${source.path}`;
}

/** Reads a source with the data package's readers (the raw dataset, before any split). */
export async function readSource(source: ImportSource): Promise<Dataset> {
  if (source.kind === 'preset')
    return syntheticDataset(source.preset, source.users === undefined ? {} : { users: source.users });
  if (source.kind === 'file')
    return readInteractionsFile(source.input, { format: source.format, mode: 'strict' });
  return (await loadPreparedDataset(source.path)).dataset;
}

/** Events per transaction while importing. */
const IMPORT_BATCH = 50_000;

/**
 * Stores a dataset's plays as events (one per user–song pair, without event ids) and its
 * song metadata, and remembers its format (it picks the default rating transform for training
 * on events). Returns the number of events.
 */
export async function importDataset(repo: Repository, dataset: Dataset): Promise<number> {
  const m = dataset.counts;
  const users = dataset.users.toArray();
  const items = dataset.items.toArray();
  const timestamp = Date.now();
  let batch: EventInput[] = [];
  let total = 0;
  for (let u = 0; u < m.rows; u++) {
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      batch.push({
        user: users[u],
        song: items[m.indices[p]],
        count: Math.max(1, Math.round(m.values[p])),
        timestamp,
      });
      if (batch.length === IMPORT_BATCH) {
        total += (await repo.addEvents(batch)).accepted;
        batch = [];
      }
    }
  }
  if (batch.length > 0) total += (await repo.addEvents(batch)).accepted;
  if (dataset.itemInfo) {
    const songs: SongInfo[] = [];
    dataset.itemInfo.forEach((info, i) => {
      if (info && (info.artist || info.title)) songs.push({ song: items[i], ...info });
    });
    await repo.upsertSongs(songs);
  }
  await repo.setSetting('format', dataset.format);
  await repo.setSetting('dataset', dataset.name);
  return total;
}

/**
 * The events up to `maxSeq` as a dataset (duplicate user–song pairs summed), with the stored
 * song metadata, in the format recorded at import.
 */
export async function datasetFromEvents(repo: Repository, maxSeq: number): Promise<Dataset> {
  const builder = new TripletBuilder(new IdIndex(), new IdIndex());
  await repo.scanEvents(maxSeq, (users, songs, counts) => {
    for (let i = 0; i < users.length; i++) builder.add(users[i], songs[i], counts[i]);
  });
  const { matrix, users, items } = builder.build();
  const info = await repo.allSongInfo();
  const itemInfo: (ItemInfo | undefined)[] = items.toArray().map((id) => {
    const s = info.get(id);
    return s && { artist: s.artist, title: s.title };
  });
  const format = ((await repo.getSetting('format')) ?? 'taste-profile') as FormatName;
  return { name: 'events', format, users, items, counts: matrix, explicit: format === 'movielens', itemInfo };
}
