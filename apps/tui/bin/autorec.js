#!/usr/bin/env node
// Runs the TypeScript source through tsx with the workspace's `@autorec/source` condition, so
// `npx autorec …` works straight after `npm ci`, without a build step. The child gets the
// terminal (stdio inherited); its exit code is ours, and every catchable signal sent to this
// launcher is passed on (the CLI treats a repeated SIGINT within a second as the same Ctrl-C,
// because a terminal sends Ctrl-C to both processes). The child also holds an IPC channel to
// us: when it closes — we died, even of SIGKILL, which cannot be forwarded — the child exits
// (see guardProcess in src/interrupt.ts), so no orphan finishes later and replaces --out.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');
// tsx reads the tsconfig of the current folder; point it at ours so JSX compiles the same
// (react-jsx) from wherever autorec is run.
const tsconfig = fileURLToPath(new URL('../tsconfig.json', import.meta.url));

// Under a virtual-memory limit (`ulimit -v`), V8's WebAssembly guard regions (~10 GB of address
// space per memory) cannot be reserved and even tsx fails to start; bounds checks instead of
// guard pages need none, at a small cost to the kernels.
const limited = addressSpaceLimited();
const wasmFlags = limited ? ['--disable-wasm-trap-handler'] : [];
// glibc gives each thread that mallocs its own arena of up to 64 MB of address space; with
// V8's and libuv's threads that is gigabytes, and under `ulimit -v 8G` the heap then failed to
// grow at ~50 MB ("young object promotion failed"). Two arenas are plenty for this program.
const arenaEnv = limited && process.env.MALLOC_ARENA_MAX === undefined ? { MALLOC_ARENA_MAX: '2' } : {};

const child = spawn(
  process.execPath,
  [...wasmFlags, '--conditions=@autorec/source', '--import', tsx, cli, ...process.argv.slice(2)],
  {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...arenaEnv, TSX_TSCONFIG_PATH: process.env.TSX_TSCONFIG_PATH ?? tsconfig },
  },
);

// SIGKILL and SIGSTOP cannot be caught; SIGUSR1 starts Node's inspector; SIGTSTP/SIGCONT/SIGWINCH
// reach the child from the terminal directly (same process group) and keep their default here.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGALRM'];
const relay = (signal) => {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
};
for (const signal of forwarded) process.on(signal, relay);

child.on('error', (error) => {
  process.stderr.write(`autorec: cannot start node (${error.message})\n`);
  process.exit(1);
});

child.on('exit', (code, signal) => {
  for (const s of forwarded) process.off(s, relay);
  if (signal) {
    // Die of the same signal so our parent sees what really happened.
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
});

/** True when this process runs under a finite address-space limit (Linux `ulimit -v`). */
function addressSpaceLimited() {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max address space'));
    return line !== undefined && !/\sunlimited\s/.test(line);
  } catch {
    return false; // not Linux: no such limit to work around
  }
}
