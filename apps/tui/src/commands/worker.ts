import { runWorker } from '@autorec/api/worker';
import type { Command } from 'commander';
import { onInterrupt } from '../interrupt.ts';
import type { CommandContext } from './shared.ts';

/**
 * `autorec worker [flags]`: takes the API's queued jobs from Redis and runs them (apps/api's
 * queue worker; `autorec worker --help` prints its flags). Start any number, on any machine that
 * reaches the Redis, the API's database and its model folder. The first Ctrl-C (or SIGTERM) stops
 * it gracefully: a job in progress stops at its next batch and goes back to the queue for another
 * worker; another one a second later quits at once (the queue then retries the job elsewhere once
 * its lock lapses).
 */
export function registerWorker(program: Command, ctx: CommandContext): void {
  program
    .command('worker')
    .description(
      'run queued jobs (training, batch scoring) from the Redis queue of `autorec serve --redis URL`; `autorec worker --help` lists its flags',
    )
    .argument('[flags...]', 'the worker’s flags, e.g. --redis redis://127.0.0.1:6379 --data-dir data')
    .helpOption(false)
    .allowUnknownOption()
    .action(async (flags: string[]) => {
      const interrupt = onInterrupt();
      try {
        ctx.setExitCode(await runWorker(flags, ctx.env, { stop: interrupt.signal }));
      } finally {
        interrupt.dispose();
      }
    });
}
