import { type ModelManifest, type Recommender, recommendExcludingKnown } from '@autorec/core';
import {
  type CsrMatrix,
  DataError,
  type FormatWords,
  formatWords,
  type IgnoredPlay,
  ItemNames,
  type PlayCount,
  resolvePlayNames,
  TOP_LISTS_HEADER,
  topListLines,
} from '@autorec/data';
import type { Command } from 'commander';
import { UsageError, UserError } from '../errors.ts';
import { writeAtomically, writesToStdout } from '../files.ts';
import { type DisplayItem, formatScore, openModel, scoreMeaning, songLabel, withInfo } from '../models.ts';
import { integerArg } from '../options.ts';
import { textTable } from '../report/table.ts';
import { readPlaysFile } from '../sources.ts';
import { action, addJsonOption, type CommandContext, count } from './shared.ts';

interface RecommendOptions {
  model: string;
  user?: string;
  plays?: string;
  allUsers?: boolean;
  out?: string;
  k: number;
  includeKnown?: boolean;
  json?: boolean;
}

/** Users scored per batch by `--all-users` (one dense product each). */
const ALL_USERS_BATCH = 256;

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
      'top-N songs for a known user, for a new listener from their plays, or for every user into a file (songs they played are left out)',
    )
    .requiredOption('--model <dir>', 'model folder (from train, or a report’s models/<name>)')
    .option('--user <id>', 'a user of the training data')
    .option(
      '--plays <file>',
      'a new listener: lines of id<TAB>count (or id,count; a bare id is one play); names instead of ids where the model has them, e.g. Metallica<TAB>707',
    )
    .option('--all-users', 'top-N for every user of the training data, written to --out')
    .option(
      '--out <file>',
      'with --all-users: a TSV file of user, rank, song, score (replaced atomically; \\, tab, newline and CR in ids written as \\\\, \\t, \\n, \\r)',
    )
    .option('-k, --k <n>', 'how many songs', integerArg(1), 10)
    .option(
      '--include-known',
      "also list songs the user played in the validation or test part (left out by default: they are the listener's known plays)",
    );
  addJsonOption(cmd).action(
    action<RecommendOptions>(ctx, async (o, out) => {
      const chosen = [o.user !== undefined, o.plays !== undefined, o.allUsers === true].filter(
        Boolean,
      ).length;
      if (chosen !== 1) throw new UsageError('give exactly one of --user ID, --plays FILE or --all-users');
      if (o.allUsers && o.out === undefined) throw new UsageError('--all-users needs --out FILE');
      if (!o.allUsers && o.out !== undefined) throw new UsageError('--out goes with --all-users');
      const toStdout = o.out !== undefined && writesToStdout(o.out);
      if (toStdout && o.json)
        throw new UsageError(
          '--json and --out on standard output would mix in one stream',
          'write the lists to a file, or leave out --json',
        );
      const opened = await openModel(o.model);
      const { model } = opened;
      const known = o.includeKnown ? undefined : opened.known;
      try {
        if (o.allUsers) {
          const users = model.users.toArray();
          const bytes = await writeAtomically(
            o.out!,
            allUsersLines(model, users, o.k, known, (done) => {
              out.status(`${model.name}: ${count(done)} of ${count(users.length)} users`);
            }),
          );
          out.clearStatus();
          const summary = () =>
            `wrote the top ${o.k} songs of each of ${count(users.length)} users to ${o.out} (user, rank, song, score)`;
          // Lists written to stdout: the summary goes to stderr, after them.
          if (toStdout) out.note(summary());
          else out.result({ model: model.name, users: users.length, k: o.k, out: o.out, bytes }, summary);
          return;
        }
        const words = modelWords(opened.manifest);
        let items: DisplayItem[];
        let ignored: IgnoredPlay[] = [];
        if (o.user !== undefined)
          items = withInfo(model, recommendExcludingKnown(model, [o.user], o.k, known)[0]);
        else {
          const plays = await readPlaysFile(o.plays!).catch((e: unknown) => {
            if (!(e instanceof DataError) || e.location.line === undefined) throw e;
            throw new UserError(e.message, {
              hint: `each line of --plays is id<TAB>count, id,count or a bare id (one play); ${words.item} names work where the model has them`,
            });
          });
          const resolved = resolvePlayNames(plays, catalogueNames(model), words);
          ignored = resolved.ignored;
          if (resolved.plays.length === 0)
            throw new UserError(
              `none of the ${plays.length} ${words.items} in '${o.plays}' is known to the model:\n${ignoredLines(ignored).join('\n')}`,
              { hint: `use ${words.item} ids or names from the training data (see \`autorec similar\`)` },
            );
          items = withInfo(model, model.recommendForPlays(resolved.plays.map(asPlay), o.k));
        }
        if (ignored.length > 0) {
          out.note(`${ignored.length} line(s) of ${o.plays} left out:`);
          for (const line of ignoredLines(ignored)) out.note(line);
        }
        out.note(`model: ${describeModel(opened.manifest)} (${o.model})`);
        const doc = {
          model: model.name,
          user: o.user ?? null,
          plays: o.plays ?? null,
          ignoredSongs: ignored.map((i) => i.text),
          ignored,
          items,
        };
        out.result(doc, () => itemsTable(items, words, scoreMeaning(model), out.terminalColumns));
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
    .requiredOption(
      '--song <id>',
      'a song (artist, movie) of the training data, by id or, where the model has names, by name',
    )
    .option('-k, --k <n>', 'how many songs', integerArg(1), 10);
  addJsonOption(cmd).action(
    action<SimilarOptions>(ctx, async (o, out) => {
      const opened = await openModel(o.model);
      const { model } = opened;
      try {
        const words = modelWords(opened.manifest);
        const id = itemByIdOrName(catalogueNames(model), o.song, words);
        const items = withInfo(model, model.similarItems(id, o.k));
        const info = model.itemInfo(id);
        const song = { id, artist: info?.artist ?? null, title: info?.title ?? null };
        out.result(
          { model: model.name, song, items },
          () =>
            `similar to ${songLabel(song)}:\n${itemsTable(items, words, 'cosine similarity', out.terminalColumns)}`,
        );
      } finally {
        model.dispose();
      }
    }),
  );
}

/**
 * `user<TAB>rank<TAB>song<TAB>score` lines after a header, a batch of users at a time (the
 * format's one writer, `topListLines` in @autorec/data, escapes ids so none adds a column or row).
 */
function* allUsersLines(
  model: Recommender,
  users: string[],
  k: number,
  known: CsrMatrix | undefined,
  progress: (done: number) => void,
): Generator<string> {
  yield TOP_LISTS_HEADER;
  for (let from = 0; from < users.length; from += ALL_USERS_BATCH) {
    const batch = users.slice(from, from + ALL_USERS_BATCH);
    const lists = recommendExcludingKnown(model, batch, k, known, { batchSize: ALL_USERS_BATCH });
    progress(from + batch.length);
    yield topListLines(batch, lists);
  }
}

/** `ials (64 factors, …)`: which model a list comes from, as the manifest says. */
function describeModel(manifest: ModelManifest): string {
  const h = manifest.hyperParameters;
  const shown = ['factors', 'hiddenUnits', 'weighting', 'lambda']
    .filter((key) => key in h)
    .map((key) => `${key} ${h[key]}`);
  return shown.length > 0 ? `${manifest.model} (${shown.join(', ')})` : manifest.model;
}

/** The words of the data a model was trained on (songs when an older model did not record its format). */
function modelWords(manifest: ModelManifest): FormatWords {
  const format = manifest.extra?.format;
  return formatWords(typeof format === 'string' ? format : '');
}

/** Ids and names of the model's catalogue, for `--plays` files written with names. */
function catalogueNames(model: Recommender): ItemNames {
  const ids = model.items.toArray();
  return new ItemNames(
    ids,
    ids.map((id) => model.itemInfo(id)),
  );
}

/** The id `text` names (an id, or one item's name); unknown ids are left to the model's own error. */
function itemByIdOrName(names: ItemNames, text: string, words: FormatWords): string {
  const found = names.match(text);
  if (found.kind === 'id' || found.kind === 'name') return found.id;
  if (found.kind === 'ambiguous')
    throw new UserError(
      `'${text}' ${resolvePlayNames([{ item: text, count: 1 }], names, words).ignored[0].reason}`,
    );
  return text;
}

function asPlay({ item, count }: PlayCount): { item: string; count: number } {
  return { item, count };
}

/** `  line 3: 'Slayer': no artist has this id or name`, one per ignored line. */
function ignoredLines(ignored: readonly IgnoredPlay[]): string[] {
  return ignored.map((i) => `  ${i.line !== undefined ? `line ${i.line}: ` : ''}'${i.text}': ${i.reason}`);
}

/** The list as a table; in a terminal the item column is cut to the terminal's width. */
function itemsTable(
  items: DisplayItem[],
  words: FormatWords,
  scoreName: string,
  maxWidth: number | undefined,
): string {
  return textTable({
    head: ['#', words.item, 'id', scoreName],
    rows: items.map((item, i) => [
      String(i + 1),
      songLabel(item),
      item.id,
      formatScore(item.score, scoreName),
    ]),
    align: ['right', 'left', 'left', 'right'],
    maxWidth,
    shrink: 1,
  });
}
