import { join } from 'node:path';
import { checkFolderReplaceable, cleanStaleOutputs, openAtomicFolder } from '@autorec/core/node';
import {
  type FilterOptions,
  formatWords,
  nnz,
  prepareDataset,
  type SyntheticPreset,
  type TransformName,
} from '@autorec/data';
import { savePreparedDataset } from '@autorec/data/node';
import { parquetFiles } from '@autorec/data/parquet';
import { type Command, Option } from 'commander';
import { UsageError, UserError } from '../errors.ts';
import {
  DEFAULT_SEED,
  describeSplit,
  integerArg,
  oneFold,
  parseSplit,
  presetArg,
  type SplitChoice,
  singleSplit,
  transformArg,
} from '../options.ts';
import {
  dataSource,
  describeSource,
  filterChoice,
  type InputFlags,
  PREPARED_FILE,
  PREPARED_SUMMARY,
  parseSummary,
  readSource,
  skippedLineWarnings,
} from '../sources.ts';
import { action, addInputOptions, addJsonOption, type CommandContext, count } from './shared.ts';

interface PrepareOptions extends Omit<InputFlags, 'preset'> {
  synthetic?: SyntheticPreset;
  preset?: string;
  transform?: TransformName;
  minUserPlays?: number;
  minSongUsers?: number;
  split: SplitChoice;
  seed: number;
  out: string;
  export?: 'parquet';
  json?: boolean;
}

/** Where `--export parquet` puts its files inside the output folder. */
const PARQUET_FOLDER = 'parquet';

export function registerPrepare(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('prepare')
    .description(
      'filter, split and rate a dataset once and save it as a cache folder for train/evaluate/compare',
    );
  addInputOptions(cmd);
  cmd
    .option(
      '--synthetic <preset>',
      'use a synthetic dataset instead of --input: tiny, default or msd',
      presetArg,
    )
    .option(
      '--transform <name>',
      'play count → rating: log-bins, global-quantiles, user-quantiles, log1p, binary, confidence, none (default: by format)',
      transformArg,
    )
    .option(
      '--min-user-plays <n>',
      'keep users with at least n distinct songs (iterated with --min-song-users to a k-core)',
      integerArg(1),
    )
    .option('--min-song-users <n>', 'keep songs with at least n listeners', integerArg(1))
    .option(
      '--preset <name>',
      'filter preset: mult-vae (songs ≥ 200 listeners, then users ≥ 20 songs, as Liang et al. 2018)',
    )
    .option(
      '--split <spec>',
      'holdout:TEST[:VAL] (default holdout:0.1, validation 0.1), per-user:TEST[:VAL], kfold:K[:F] (fold F from 1; fold 1 without it), held-out-users:N[:V], files:TRAIN,TEST, none',
      parseSplit,
    )
    .option('--seed <n>', 'seed of the split', integerArg(0), DEFAULT_SEED)
    .requiredOption('--out <dir>', 'folder to write the cache to (created)')
    .addOption(
      new Option(
        '--export <format>',
        `also write the interactions (ids, counts, ratings, split part), users and songs as Parquet under <out>/${PARQUET_FOLDER}/, for Spark, DuckDB, Polars`,
      ).choices(['parquet']),
    );
  addJsonOption(cmd).action(
    action<PrepareOptions>(ctx, async (o, out) => {
      const started = performance.now();
      if (o.synthetic && o.input) throw new UsageError('give either --input or --synthetic, not both');
      const source = o.synthetic
        ? ({ kind: 'preset', preset: o.synthetic } as const)
        : dataSource(
            { ...o, preset: undefined, data: undefined },
            undefined,
            o.split?.kind === 'single' ? o.split.files : undefined,
          );
      if (source.kind === 'cache') throw new UsageError('prepare reads --input or --synthetic');
      const filter: FilterOptions | undefined = filterChoice(o);
      const fold = oneFold(o.split ?? parseSplit('holdout:0.1'));
      const choice = fold.choice;
      if (fold.note) out.note(fold.note);
      // A bad --out fails before the long read.
      await cleanStaleOutputs(o.out);
      await checkFolderReplaceable(o.out, 'autorec-prepared');
      out.note(`reading ${describeSource(source)}`);
      const { dataset, testMask } = await readSource(source);
      const warnings = skippedLineWarnings(dataset);
      for (const w of warnings) out.note(`warning: ${w}`);
      out.note(`preparing: ${describeSplit(choice)}, seed ${o.seed}${filter ? ', filtered' : ''}`);
      let prepared: ReturnType<typeof prepareDataset>;
      try {
        prepared = prepareDataset(dataset, {
          split: singleSplit(choice),
          seed: o.seed,
          transform: o.transform,
          filter,
          testMask,
        });
      } catch (e) {
        if (e instanceof RangeError)
          throw new UserError(`cannot prepare this dataset: ${e.message}`, {
            hint: 'check --split and the filter minimums',
          });
        throw e;
      }
      // Written into a temporary sibling swapped into place whole (with its files.json index).
      const folder = await openAtomicFolder(o.out, 'autorec-prepared');
      const dir = folder.dir;
      const bytes = await savePreparedDataset(folder.path(PREPARED_FILE), prepared).catch(async (e) => {
        await folder.discard();
        throw e;
      });
      const exported: { file: string; rows: number; bytes: number }[] = [];
      if (o.export === 'parquet') {
        out.note(`writing Parquet to ${join(o.out, PARQUET_FOLDER)}/`);
        try {
          for (const file of parquetFiles(prepared)) {
            await folder.write(`${PARQUET_FOLDER}/${file.name}`, file.bytes);
            exported.push({
              file: `${PARQUET_FOLDER}/${file.name}`,
              rows: file.rows,
              bytes: file.bytes.byteLength,
            });
          }
        } catch (e) {
          await folder.discard();
          throw e;
        }
      }
      const { ratings, split } = prepared;
      const doc = {
        out: dir,
        cache: join(dir, PREPARED_FILE),
        bytes,
        source: describeSource(source),
        name: prepared.dataset.name,
        users: prepared.dataset.counts.rows,
        items: prepared.dataset.counts.cols,
        interactions: nnz(prepared.dataset.counts),
        filter: prepared.filterSummary,
        transform: prepared.transform,
        split: {
          ...split.options,
          description: describeSplit(choice),
          seed: o.seed,
          interactions: {
            train: nnz(ratings.train),
            validation: ratings.validation ? nnz(ratings.validation) : 0,
            test: nnz(ratings.test),
            coldTest: split.cold.test.interactions,
          },
        },
        itemsWithInfo: prepared.dataset.itemInfo?.filter((i) => i !== undefined).length ?? 0,
        // What the read skipped (--lenient), so commands using the cache can say so too.
        parse: parseSummary(dataset),
        warnings,
        ...(o.export ? { export: { format: o.export, files: exported } } : {}),
        seconds: (performance.now() - started) / 1000,
      };
      await folder.write(PREPARED_SUMMARY, `${JSON.stringify(doc, null, 2)}\n`);
      await folder.commit().catch(async (e) => {
        await folder.discard();
        throw e;
      });
      const w = formatWords(dataset.format);
      out.result(doc, () =>
        [
          `wrote ${o.out}/${PREPARED_FILE} (${(bytes / 1e6).toFixed(1)} MB)`,
          `${count(doc.users)} ${w.people} × ${count(doc.items)} ${w.items}, ${count(doc.interactions)} ${dataset.explicit ? w.events : `(${w.person}, ${w.item}) pairs`}` +
            (prepared.filterSummary
              ? ` (filter removed ${count(prepared.filterSummary.removed.users)} ${w.people}, ${count(prepared.filterSummary.removed.items)} ${w.items})`
              : ''),
          `transform ${prepared.transform.name} → ratings ${prepared.transform.scale.min}–${prepared.transform.scale.max}`,
          `split: ${doc.split.description}: ${count(doc.split.interactions.train)} train, ${count(doc.split.interactions.validation)} validation, ${count(doc.split.interactions.test)} test`,
          ...(exported.length > 0
            ? [
                `Parquet: ${exported.length} files in ${join(o.out, PARQUET_FOLDER)}/ (${(exported.reduce((s, f) => s + f.bytes, 0) / 1e6).toFixed(1)} MB): interactions/part-*.parquet, users.parquet, songs.parquet`,
              ]
            : []),
          `next: autorec train --data ${o.out} --out models/default   (the default recommender; --model u-autorec for the paper's)`,
        ].join('\n'),
      );
    }),
  );
}
