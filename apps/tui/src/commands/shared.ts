import type { Command } from 'commander';
import {
  collectParam,
  formatArg,
  HYPER_FLAGS,
  type HyperFlagValues,
  integerArg,
  metadataFormatArg,
  presetArg,
} from '../options.ts';
import { Output, type OutputStreams } from '../output.ts';

/** What every command runs with: the process streams (swappable in tests). */
export interface CommandContext extends OutputStreams {
  /** Sets the process exit code (default: `process.exitCode`). */
  setExitCode(code: number): void;
}

/**
 * Wraps a command body: builds the Output from --json, runs the body and turns any error
 * into one line plus a hint on stderr and the right exit code.
 */
export function action<O extends { json?: boolean }>(
  ctx: CommandContext,
  body: (options: O, out: Output, command: Command) => Promise<void>,
): (options: O, command: Command) => Promise<void> {
  return async (options, command) => {
    const out = new Output({ json: options.json }, ctx);
    try {
      await body(options, out, command);
    } catch (error) {
      ctx.setExitCode(out.error(error));
    }
  };
}

/** --json, on every command. */
export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', 'print one JSON document on stdout instead of text');
}

/** Where the interactions come from: --input FILE (+ format options), --preset, or --data DIR. */
export function addInputOptions(cmd: Command, sources: { data?: boolean; preset?: boolean } = {}): Command {
  if (sources.data) cmd.option('--data <dir>', 'prepared dataset folder (from `autorec prepare`)');
  cmd
    .option('--input <file>', 'play-count file (plain or gzip)')
    .option(
      '--format <format>',
      'input format: taste-profile (default), lastfm-hetrec, lastfm-1k, lastfm-360k, movielens, csv',
      formatArg,
    )
    .option('--lenient', 'skip bad lines (counted and reported) instead of stopping at the first')
    .option('--columns <user,item[,count]>', 'csv only: column indices (0-based) or header names')
    .option('--delimiter <char>', "csv only: field delimiter (default ','; 'tab' for tabs)")
    .option(
      '--metadata <file>',
      'names of the items: MSD unique_tracks.txt, Last.fm artists.dat or MovieLens u.item/movies.dat/movies.csv',
    )
    .option(
      '--metadata-format <format>',
      'msd-tracks, lastfm-hetrec or movielens (default: from --format)',
      metadataFormatArg,
    );
  if (sources.preset)
    cmd
      .option('--preset <name>', 'synthetic dataset built in memory: tiny, default or msd', presetArg)
      .option('--data-seed <n>', 'seed of the synthetic dataset (default: the preset’s)', integerArg(0));
  return cmd;
}

/** The shared hyper-parameter flags (see HYPER_FLAGS) plus --param. */
export function addHyperOptions(cmd: Command, paramHelp: string): Command {
  for (const spec of Object.values(HYPER_FLAGS)) cmd.option(spec.flag, spec.help, spec.parse);
  return cmd.option('--param <key=value>', paramHelp, collectParam);
}

/** The values of the shared hyper-parameter flags from parsed options. */
export function hyperFlags(options: object): HyperFlagValues {
  const values = options as Record<string, unknown>;
  const out: HyperFlagValues = {};
  for (const key of Object.keys(HYPER_FLAGS) as (keyof typeof HYPER_FLAGS)[])
    if (typeof values[key] === 'number') out[key] = values[key] as number;
  return out;
}

/** Thousands separators for counts in human output. */
export function count(n: number): string {
  return n.toLocaleString('en');
}
