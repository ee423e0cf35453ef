import { type Dataset, type DatasetStats, datasetStats, itemNoun, type Quantiles } from '@autorec/data';
import type { Command } from 'commander';
import { keyValueTable, textTable } from '../report/table.ts';
import { dataSource, describeSource, type InputFlags, loadPrepared, readSource } from '../sources.ts';
import { action, addInputOptions, addJsonOption, type CommandContext, count } from './shared.ts';

interface StatsOptions extends InputFlags {
  json?: boolean;
}

export function registerStats(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('stats')
    .description(
      'describe a play-count dataset: users, songs, plays, density, play-count quantiles, long tail, bad lines',
    );
  addInputOptions(cmd, { data: true, preset: true });
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
      out.result(doc, () => humanStats(doc.source, itemNoun(dataset.format), stats, doc.parse, withInfo));
    }),
  );
}

function humanStats(
  source: string,
  noun: string,
  s: DatasetStats,
  parse:
    | { lines: number; skipped: number; duplicates: number; problems: { line: number; reason: string }[] }
    | undefined,
  withInfo: number | undefined,
): string {
  const lines = [
    source,
    keyValueTable([
      ['users', count(s.users)],
      [noun, count(s.items)],
      [`(user, ${noun.slice(0, -1)}) pairs`, count(s.interactions)],
      ['plays', count(s.plays)],
      ['density', `${(s.density * 100).toFixed(4)}%`],
      [`top 20% of ${noun} get`, `${(s.longTail.byPlays.top20Share * 100).toFixed(1)}% of plays`],
      [`${noun} with artist/title`, withInfo === undefined ? 'none' : count(withInfo)],
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
      rows: [
        row('play count', s.playCount),
        row(`${noun} per user`, s.itemsPerUser),
        row('plays per user', s.playsPerUser),
        row(`listeners per ${noun.slice(0, -1)}`, s.usersPerItem),
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
