import { runServer } from '@autorec/api/server';
import type { Command } from 'commander';
import { onInterrupt } from '../interrupt.ts';
import type { CommandContext } from './shared.ts';

/**
 * `autorec serve [flags]`: the HTTP API of apps/api in this process — the same server and flags
 * as `npm run serve` (`autorec serve --help` prints them). The first Ctrl-C (or SIGTERM) stops it
 * gracefully: no new connections, requests in flight answered, running jobs marked interrupted,
 * the database closed; another one a second later quits at once.
 */
export function registerServe(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description(
      'start the HTTP API (recommendations, events, background training, model versions) — the server of `npm run serve`; `autorec serve --help` lists its flags',
    )
    .argument('[flags...]', 'the server’s flags, e.g. --port 8787 --data-dir data')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (flags: string[]) => {
      const interrupt = onInterrupt();
      try {
        ctx.setExitCode(await runServer(flags, ctx.env, { stop: interrupt.signal }));
      } finally {
        interrupt.dispose();
      }
    });
}
