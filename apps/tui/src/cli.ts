import { setupCompute } from '@autorec/core';
import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { registerCompare } from './commands/compare.ts';
import { registerEvaluate } from './commands/evaluate.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerPrepare } from './commands/prepare.ts';
import { registerRecommend, registerSimilar } from './commands/recommend.ts';
import { registerServe } from './commands/serve.ts';
import type { CommandContext } from './commands/shared.ts';
import { registerStats } from './commands/stats.ts';
import { registerTrain } from './commands/train.ts';
import { registerTune } from './commands/tune.ts';
import { registerUi, runInteractive } from './commands/ui.ts';
import { registerWorker } from './commands/worker.ts';
import { guardProcess } from './interrupt.ts';
import { isInteractive, Output } from './output.ts';

/**
 * The `autorec` program: one subcommand per task, each with --help and --json. Usage errors
 * (unknown command or flag, bad value) print one line plus a hint and exit 2.
 *
 * @example
 * await buildProgram(ctx).parseAsync(['compare', '--preset', 'tiny', '--json'], { from: 'user' });
 */
export function buildProgram(ctx: CommandContext, argv: readonly string[] = []): Command {
  const json = argv.includes('--json');
  const command = argv.find((a) => !a.startsWith('-'));
  const program = new Command('autorec')
    .description(
      'Music recommendations from play counts: U-/I-AutoRec (Sedhain et al. 2015) vs SVD, as Irawan & Baizal compared them\n' +
        'on the Million Song Dataset Taste Profile ("Music Recommender System using Autorec Method for Implicit Feedback").\n' +
        'Run without a command in a terminal for the interactive app.',
    )
    .version(pkg.version, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      outputError: (message) => {
        const text = message.trim().replace(/^error: /, '');
        const [first, ...rest] = text.split('\n');
        const hint =
          rest.find((l) => l.trim())?.trim() ??
          `see \`autorec ${command && program.commands.some((c) => c.name() === command) ? `${command} ` : ''}--help\``;
        ctx.stderr.write(`autorec: ${first}\n  hint: ${hint}\n`);
        if (json)
          ctx.stdout.write(`${JSON.stringify({ error: { message: first, hint, exitCode: 2 } }, null, 2)}\n`);
      },
    });
  registerGenerate(program, ctx);
  registerStats(program, ctx);
  registerPrepare(program, ctx);
  registerTrain(program, ctx);
  registerTune(program, ctx);
  registerEvaluate(program, ctx);
  registerCompare(program, ctx);
  registerRecommend(program, ctx);
  registerSimilar(program, ctx);
  registerServe(program, ctx);
  registerWorker(program, ctx);
  registerUi(program, ctx);
  return program;
}

/** Commands that fit or load models (and the interactive app), which need the compute context. */
const MODEL_COMMANDS = new Set(['train', 'tune', 'compare', 'evaluate', 'recommend', 'similar', 'ui']);

function usesModels(argv: readonly string[]): boolean {
  if (argv.includes('--help') || argv.includes('-h')) return false;
  const command = argv.find((a) => !a.startsWith('-'));
  return command === undefined ? argv.length === 0 : MODEL_COMMANDS.has(command);
}

/** Runs the CLI on `argv` (without node and script) and resolves to the exit code. */
export async function main(argv: readonly string[], ctx: CommandContext): Promise<number> {
  let code = 0;
  const context: CommandContext = {
    ...ctx,
    setExitCode: (c) => {
      code = c;
      ctx.setExitCode(c);
    },
  };
  if (usesModels(argv))
    try {
      // The compute context, chosen once for the run (AUTOREC_BACKEND forces a tfjs backend).
      await setupCompute();
    } catch (error) {
      return new Output({ json: argv.includes('--json') }, ctx).error(error);
    }
  if (argv.length === 0) {
    if (isInteractive(ctx) && process.stdin.isTTY) return runInteractive({}, context);
    const out = new Output({}, ctx);
    out.note('autorec: no command given (the interactive app needs a terminal)');
    out.note('  hint: try `autorec compare --preset tiny`, or `autorec --help` for every command');
    return 2;
  }
  const program = buildProgram(context, argv);
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.exitCode === 0
      )
        return 0;
      return 2;
    }
    return new Output({ json: argv.includes('--json') }, ctx).error(error);
  }
  return code;
}

const isEntry =
  process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isEntry) {
  guardProcess();
  const ctx: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    setExitCode: (c) => {
      process.exitCode = c;
    },
  };
  main(process.argv.slice(2), ctx).then(
    (code) => {
      process.exitCode = code;
      // tfjs and stdin may keep handles open; results are written, so leave when stdout drains.
      process.stdout.write('', () => process.exit(code));
    },
    (error) => {
      process.stderr.write(`autorec: internal error: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
