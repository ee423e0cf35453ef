import {
  type Dataset,
  type DatasetStats,
  datasetStats,
  type FormatWords,
  formatWords,
  mostActiveUsers,
  type Quantiles,
} from '@autorec/data';
import type { Command } from 'commander';
import { integerArg } from '../options.ts';
import { keyValueTable, textTable } from '../report/table.ts';
import { dataSource, describeSource, type InputFlags, loadPrepared, readSource } from '../sources.ts';
import { action, addInputOptions, addJsonOption, type CommandContext, count } from './shared.ts';

interface StatsOptions extends InputFlags {
  json?: boolean;
  /** `--users [n]`: list the n most active users (true: the default count). */
  users?: number | true;
}

/** Users `--users` lists when no count is given. */
const DEFAULT_USER_LIST = 20;

export function registerStats(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('stats')
    .description(
      'describe a play-count dataset: users, songs, plays, density, play-count quantiles, long tail, bad lines',
    );
  addInputOptions(cmd, { data: true, preset: true });
  cmd.option(
    '--users [n]',
    `list the ids of the n most active users, for \`recommend --user\`, with how much each played (default ${DEFAULT_USER_LIST})`,
    integerArg(1),
  );
  addJsonOption(cmd).action(
    action<StatsOptions>(ctx, async (o, out) => {
      const source = dataSource(o);
      let dataset: Dataset;
      if (source.kind === 'cache') dataset = (await loadPrepared(source.path)).dataset;
      else {
        let last = 0;
        ({ dataset } = await readSource(source, (p) => {
          if (!out.interactive || !p.totalBytes || performance.now() - last < 200) return;
          last = performance.now();
          out.status(`reading ${Math.round((100 * p.bytesRead) / p.totalBytes)}%  ${count(p.lines)} lines`);
        }));
        out.clearStatus();
      }
      if (o.users !== undefined) {
        const limit = o.users === true ? DEFAULT_USER_LIST : o.users;
        const w = formatWords(dataset.format);
        const users = mostActiveUsers(dataset.counts, limit).map((a) => ({
          id: dataset.users.external(a.user),
          items: a.items,
          plays: a.plays,
        }));
        const listed = dataset.explicit ? users.map(({ id, items }) => ({ id, ratings: items })) : users;
        out.result({ source: describeSource(source), users: dataset.users.size, listed }, () =>
          [
            `${describeSource(source)}: the ${count(users.length)} most active of ${count(dataset.users.size)} ${w.people}`,
            // Ratings are counted, not summed: a sum of stars means nothing.
            dataset.explicit
              ? textTable({
                  head: ['#', w.person, w.events],
                  rows: users.map((u, i) => [String(i + 1), u.id, count(u.items)]),
                  align: ['right', 'left', 'right'],
                })
              : textTable({
                  head: ['#', w.person, w.items, w.events],
                  rows: users.map((u, i) => [String(i + 1), u.id, count(u.items), count(u.plays)]),
                  align: ['right', 'left', 'right', 'right'],
                }),
          ].join('\n'),
        );
        return;
      }
      const stats = datasetStats(dataset.counts);
      const report = dataset.report;
      const withInfo = dataset.itemInfo?.filter((i) => i !== undefined).length;
      const doc = {
        source: describeSource(source),
        name: dataset.name,
        format: dataset.format,
        explicit: dataset.explicit,
        ...stats,
        parse: report && {
          lines: report.lines,
          accepted: report.accepted,
          skipped: report.skipped,
          duplicates: report.duplicates,
          problems: report.problems,
        },
        itemsWithInfo: withInfo,
      };
      out.result(doc, () =>
        humanStats(doc.source, formatWords(dataset.format), dataset.explicit, stats, doc.parse, withInfo),
      );
    }),
  );
}

/**
 * The stats as a table in the data's own words. For explicit ratings the events are counted, not
 * summed (a sum of stars is no quantity anyone reads), and the value quantiles are of the ratings.
 */
function humanStats(
  source: string,
  w: FormatWords,
  explicit: boolean,
  s: DatasetStats,
  parse:
    | { lines: number; skipped: number; duplicates: number; problems: { line: number; reason: string }[] }
    | undefined,
  withInfo: number | undefined,
): string {
  const events: [string, string][] = explicit
    ? [
        [w.events, count(s.interactions)],
        ['density', `${(s.density * 100).toFixed(4)}%`],
        [`top 20% of ${w.items} get`, `${(s.longTail.byUsers.top20Share * 100).toFixed(1)}% of ${w.events}`],
      ]
    : [
        [`(${w.person}, ${w.item}) pairs`, count(s.interactions)],
        [w.events, count(s.plays)],
        ['density', `${(s.density * 100).toFixed(4)}%`],
        [`top 20% of ${w.items} get`, `${(s.longTail.byPlays.top20Share * 100).toFixed(1)}% of ${w.events}`],
      ];
  const lines = [
    source,
    keyValueTable([
      [w.people, count(s.users)],
      [w.items, count(s.items)],
      ...events,
      [`${w.items} with ${w.info}`, withInfo === undefined ? 'none' : count(withInfo)],
      ...(parse
        ? ([
            ['lines read', count(parse.lines)],
            ['bad lines skipped', count(parse.skipped)],
            ['repeated pairs (summed)', count(parse.duplicates)],
          ] as [string, string][])
        : []),
    ]),
  ];
  const row = (name: string, x: Quantiles) => [
    name,
    ...[x.min, x.p25, x.p50, x.p75, x.p90, x.p99, x.max, x.mean].map((v) => fmt(v)),
  ];
  lines.push(
    textTable({
      head: ['', 'min', 'p25', 'median', 'p75', 'p90', 'p99', 'max', 'mean'],
      rows: explicit
        ? [
            row(w.event, s.playCount),
            row(`${w.events} per ${w.person}`, s.itemsPerUser),
            row(`${w.people} per ${w.item}`, s.usersPerItem),
          ]
        : [
            row(`${w.event} count`, s.playCount),
            row(`${w.items} per ${w.person}`, s.itemsPerUser),
            row(`${w.events} per ${w.person}`, s.playsPerUser),
            row(`${w.people} per ${w.item}`, s.usersPerItem),
          ],
    }),
  );
  if (parse && parse.problems.length > 0) {
    lines.push('first bad lines:');
    for (const p of parse.problems) lines.push(`  line ${p.line}: ${p.reason}`);
  }
  return lines.join('\n');
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return v.toLocaleString('en', { maximumFractionDigits: 2 });
}
