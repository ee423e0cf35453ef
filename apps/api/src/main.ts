// `npm run serve`: the API on a port, with graceful shutdown on SIGTERM/SIGINT (see runServer).
import { runServer } from './server.ts';

runServer(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`autorec-api: ${error.message}\n`);
    process.exit(1);
  },
);
