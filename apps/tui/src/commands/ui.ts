import type { Command } from 'commander';
import { UserError } from '../errors.ts';
import { isInteractive } from '../output.ts';
import type { AppState } from '../ui/store.ts';
import { action, type CommandContext } from './shared.ts';

interface UiOptions {
  preset?: 'tiny' | 'default';
  json?: boolean;
}

/**
 * Opens the Ink app (needs a terminal). Ink and React load only here, so the plain commands
 * start fast.
 */
export async function runInteractive(initial: Partial<AppState>, ctx: CommandContext): Promise<number> {
  if (!isInteractive(ctx) || !process.stdin.isTTY)
    throw new UserError('the interactive app needs a terminal', {
      hint: 'use the commands instead, e.g. `autorec compare --preset tiny`',
    });
  const [{ runApp }, { AppController }] = await Promise.all([
    import('../ui/run.tsx'),
    import('../ui/store.ts'),
  ]);
  return runApp(new AppController(initial));
}

export function registerUi(program: Command, ctx: CommandContext): void {
  program
    .command('ui')
    .description('the interactive app (the same as `autorec` with no command, in a terminal)')
    .option('--preset <name>', 'start on the models screen with this synthetic dataset: tiny or default')
    .action(
      action<UiOptions>(ctx, async (o) => {
        const initial: Partial<AppState> = {};
        if (o.preset !== undefined) {
          if (o.preset !== 'tiny' && o.preset !== 'default')
            throw new UserError(`--preset ${o.preset}: use tiny or default`, { exitCode: 2 });
          initial.datasetIndex = o.preset === 'default' ? 0 : 1;
          initial.screen = 'models';
        }
        ctx.setExitCode(await runInteractive(initial, ctx));
      }),
    );
}
