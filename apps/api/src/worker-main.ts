// The queue worker as a process (what `autorec worker` runs), for scripts and tests without the
// CLI: exits with runWorker's code after a graceful stop on SIGTERM/SIGINT.
import { runWorker } from './queue-worker.ts';

runWorker(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`autorec-worker: ${error.message}\n`);
    process.exit(1);
  },
);
