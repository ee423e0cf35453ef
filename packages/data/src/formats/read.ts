import type { Dataset, FormatName, ItemInfo } from '../dataset.ts';
import { DataError } from '../errors.ts';
import { type ByteSource, sourceName } from '../io/source.ts';
import { csvFormat } from './csv.ts';
import type { CsvColumns, InteractionFormat } from './format.ts';
import { lastfm1kFormat } from './lastfm-1k.ts';
import { lastfm360kFormat } from './lastfm-360k.ts';
import { lastfmHetrecFormat } from './lastfm-hetrec.ts';
import { movielensFormat } from './movielens.ts';
import { type CommonReadOptions, noDataError, runLineParser } from './run.ts';
import { InteractionSink } from './sink.ts';
import { tasteProfileFormat } from './taste-profile.ts';

export interface ReadOptions extends CommonReadOptions {
  format: FormatName;
  /** Column mapping, required for `format: 'csv'`. */
  csv?: CsvColumns;
}

const interactionFormats: Partial<Record<FormatName, InteractionFormat>> = {
  'taste-profile': tasteProfileFormat,
  'lastfm-hetrec': lastfmHetrecFormat,
  'lastfm-1k': lastfm1kFormat,
  'lastfm-360k': lastfm360kFormat,
  movielens: movielensFormat,
  csv: csvFormat,
};

/**
 * Reads a play-count log (or MovieLens ratings) into a user × item matrix with its id maps,
 * streaming: memory grows with the result, not the file. Gzip is detected by content. Repeated
 * (user, item) pairs are summed and counted in `report.duplicates`. Strict mode (default) throws
 * a `DataError` naming the file, line and field at the first bad line; lenient mode skips bad
 * lines, counting them in `report.skipped` and keeping the first `maxProblems` in
 * `report.problems`. An input without any data line is an error in both modes.
 *
 * @example
 * const ds = await readInteractions(file, { format: 'taste-profile', onProgress: (p) => bar(p.bytesRead / p.totalBytes!) });
 * ds.counts.rows;            // users
 * ds.report?.duplicates;     // pairs that appeared more than once
 */
export async function readInteractions(source: ByteSource, options: ReadOptions): Promise<Dataset> {
  const format = interactionFormats[options.format];
  if (!format) {
    if (options.format === 'msd-tracks') {
      throw new TypeError("'msd-tracks' files hold track metadata, not plays: read them with readItemInfo");
    }
    throw new TypeError(`unknown format '${options.format}'`);
  }
  const label = options.name ?? sourceName(source) ?? '<stream>';
  const sink = new InteractionSink(label);
  const report = await runLineParser(source, format.parser(sink, options), label, options);
  sink.finish();
  report.accepted = sink.builder.length;
  if (report.accepted === 0) throw noDataError(report);
  const { matrix, users, items, duplicates } = sink.builder.build();
  report.duplicates = duplicates;
  if (format.explicit && duplicates > 0) {
    // Summing ratings would make values off the scale, and which rating to keep is unknowable.
    throw new DataError(
      `${duplicates} (user, item) pairs are rated more than once; ratings cannot be summed, so remove the repeats`,
      { file: label },
    );
  }
  const dataset: Dataset = {
    name: label,
    format: format.name,
    users,
    items,
    counts: matrix,
    explicit: format.explicit,
    report,
  };
  if (sink.itemInfo.length > 0) {
    dataset.itemInfo = Array.from({ length: items.size }, (_, i): ItemInfo | undefined => sink.itemInfo[i]);
  }
  return dataset;
}
