import Table from 'cli-table3';
import type { Command } from 'commander';
import { UsageError, UserError } from '../errors.ts';
import { type DisplayItem, openModel, songLabel, withInfo } from '../models.ts';
import { integerArg } from '../options.ts';
import { readPlaysFile } from '../sources.ts';
import { action, addJsonOption, type CommandContext } from './shared.ts';

interface RecommendOptions {
  model: string;
  user?: string;
  plays?: string;
  k: number;
  json?: boolean;
}

interface SimilarOptions {
  model: string;
  song: string;
  k: number;
  json?: boolean;
}

export function registerRecommend(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('recommend')
    .description(
      'top-N songs for a known user, or for a new listener from their plays (songs they played are left out)',
    )
    .requiredOption('--model <dir>', 'model folder (from train, or a report’s models/<name>)')
    .option('--user <id>', 'a user of the training data')
    .option(
      '--plays <file>',
      'a new listener: lines of song_id<TAB>count (or song_id,count; a bare song_id is one play)',
    )
    .option('-k, --k <n>', 'how many songs', integerArg(1), 10);
  addJsonOption(cmd).action(
    action<RecommendOptions>(ctx, async (o, out) => {
      if ((o.user === undefined) === (o.plays === undefined))
        throw new UsageError('give exactly one of --user ID or --plays FILE');
      const { model } = await openModel(o.model);
      try {
        let items: DisplayItem[];
        let ignored: string[] = [];
        if (o.user !== undefined) items = withInfo(model, model.recommend(o.user, o.k));
        else {
          const plays = await readPlaysFile(o.plays!);
          const known = model.playsToRatings(plays);
          ignored = known.unknown;
          if (known.items.length === 0)
            throw new UserError(`none of the ${plays.length} songs in '${o.plays}' is known to the model`, {
              hint: 'use song ids from the training data (see a prepared folder or `autorec similar`)',
            });
          items = withInfo(model, model.recommendForPlays(plays, o.k));
        }
        if (ignored.length > 0)
          out.note(`${ignored.length} song(s) not in the model's catalogue were ignored`);
        const doc = {
          model: model.name,
          user: o.user ?? null,
          plays: o.plays ?? null,
          ignoredSongs: ignored,
          items,
        };
        out.result(doc, () => itemsTable(items, 'score'));
      } finally {
        model.dispose();
      }
    }),
  );
}

export function registerSimilar(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('similar')
    .description('songs most similar to a song, by the model’s own song representation')
    .requiredOption('--model <dir>', 'model folder (from train, or a report’s models/<name>)')
    .requiredOption('--song <id>', 'a song of the training data')
    .option('-k, --k <n>', 'how many songs', integerArg(1), 10);
  addJsonOption(cmd).action(
    action<SimilarOptions>(ctx, async (o, out) => {
      const { model } = await openModel(o.model);
      try {
        const items = withInfo(model, model.similarItems(o.song, o.k));
        const info = model.itemInfo(o.song);
        const song = { id: o.song, artist: info?.artist ?? null, title: info?.title ?? null };
        out.result(
          { model: model.name, song, items },
          () => `similar to ${songLabel(song)}:\n${itemsTable(items, 'similarity')}`,
        );
      } finally {
        model.dispose();
      }
    }),
  );
}

function itemsTable(items: DisplayItem[], scoreName: string): string {
  const table = new Table({
    head: ['#', 'song', 'id', scoreName],
    style: { head: [], border: [], compact: true },
    colAligns: ['right', 'left', 'left', 'right'],
  });
  items.forEach((item, i) => {
    table.push([String(i + 1), songLabel(item), item.id, item.score.toFixed(3)]);
  });
  return table.toString();
}
