import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { msdTracksText, nnz, type SyntheticPreset, syntheticDataset, tasteProfileText } from '@autorec/data';
import type { Command } from 'commander';
import { UserError } from '../errors.ts';
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
      out.result(result, () =>
        [
          `wrote ${o.out}: ${count(dataset.counts.rows)} users × ${count(dataset.counts.cols)} songs, ${count(nnz(dataset.counts))} (user, song) pairs`,
          o.tracks ? `wrote ${o.tracks}: artist and title of every song` : '',
          `next: autorec stats --input ${o.out}${o.tracks ? `   or   autorec prepare --input ${o.out} --metadata ${o.tracks} --out prepared` : ''}`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }),
  );
}

/** Streams text chunks to a temporary file renamed over `path` at the end. Returns the byte size. */
async function writeAtomically(path: string, chunks: Iterable<string>): Promise<number> {
  const target = resolve(path);
  const temp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(target), { recursive: true });
    let bytes = 0;
    const counted = function* () {
      for (const chunk of chunks) {
        bytes += Buffer.byteLength(chunk);
        yield chunk;
      }
    };
    await pipeline(Readable.from(counted()), createWriteStream(temp));
    await rename(temp, target);
    return bytes;
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`cannot write '${path}': ${err.code ?? err.message}`, {
      hint: 'choose a writable --out path',
    });
  }
}
