import { resolve } from 'node:path';
import { msdTracksText, nnz, type SyntheticPreset, syntheticDataset, tasteProfileText } from '@autorec/data';
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { writeAtomically, writesToStdout } from '../files.ts';
import { integerArg, presetArg } from '../options.ts';
import { action, addJsonOption, type CommandContext, count } from './shared.ts';

interface GenerateOptions {
  preset: SyntheticPreset;
  out: string;
  seed?: number;
  tracks?: string;
  json?: boolean;
}

export function registerGenerate(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('generate')
    .description(
      'write a synthetic Taste Profile file (user<TAB>song<TAB>count) with realistic listening structure',
    )
    .requiredOption(
      '--preset <name>',
      'size: tiny (~5K plays), default (~120K) or msd (~34M, the filtered MSD shape)',
      presetArg,
    )
    .requiredOption('--out <file>', 'where to write the play counts')
    .option('--seed <n>', 'seed of the generator (default: the preset’s)', integerArg(0))
    .option(
      '--tracks <file>',
      'also write song metadata (MSD unique_tracks.txt format) for artist and title',
    );
  addJsonOption(cmd).action(
    action<GenerateOptions>(ctx, async (o, out) => {
      // Data written to stdout: the summary goes to stderr, and JSON cannot share the stream.
      const toStdout = [o.out, o.tracks].some((p) => p !== undefined && writesToStdout(p));
      if (toStdout && o.json)
        throw new UsageError(
          '--json and an output on standard output would mix in one stream',
          'write the data to a file, or leave out --json',
        );
      const started = performance.now();
      const dataset = syntheticDataset(o.preset, o.seed === undefined ? {} : { seed: o.seed });
      const bytes = await writeAtomically(o.out, tasteProfileText(dataset));
      const result: Record<string, unknown> = {
        out: resolve(o.out),
        preset: o.preset,
        name: dataset.name,
        users: dataset.counts.rows,
        items: dataset.counts.cols,
        interactions: nnz(dataset.counts),
        bytes,
        seconds: (performance.now() - started) / 1000,
      };
      if (o.tracks) {
        result.tracks = resolve(o.tracks);
        result.tracksBytes = await writeAtomically(o.tracks, msdTracksText(dataset));
      }
      const summary = () =>
        [
          `wrote ${o.out}: ${count(dataset.counts.rows)} users × ${count(dataset.counts.cols)} songs, ${count(nnz(dataset.counts))} (user, song) pairs`,
          o.tracks ? `wrote ${o.tracks}: artist and title of every song` : '',
          toStdout
            ? ''
            : `next: autorec stats --input ${o.out}${o.tracks ? `   or   autorec prepare --input ${o.out} --metadata ${o.tracks} --out prepared` : ''}`,
        ]
          .filter(Boolean)
          .join('\n');
      if (toStdout) out.note(summary());
      else out.result(result, summary);
    }),
  );
}
