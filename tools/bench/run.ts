/**
 * Runs benchmarks one after another (never in parallel: the machine has 2 cores) and writes
 * their JSON results with a description of the machine to docs/bench-results/<name>.json.
 *
 *   npm run bench -- [ingest|cache|svd|autorec|engines|kernels|browser|web|ranking|foldin|msd-ranking|scoring|api|replicas|batch-scoring|default-model ...]   (default: all, in that order)
 *
 * Each benchmark is its own script printing JSON lines on stdout and progress on stderr; see the
 * header comment of each for what it measures. docs/benchmarks.md summarises the figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const ALL = [
  'ingest',
  'cache',
  'svd',
  'autorec',
  'engines',
  'kernels',
  'browser',
  'web',
  'ranking',
  'foldin',
  'msd-ranking',
  'scoring',
  'api',
  'replicas',
  'batch-scoring',
  'default-model',
];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = chosen.length > 0 ? chosen : ALL;
for (const n of names)
  if (!ALL.includes(n)) throw new Error(`unknown benchmark '${n}'; choose from ${ALL.join(', ')}`);

const machine = {
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  platform: `${os.platform()} ${os.release()}`,
};
mkdirSync(join(root, 'docs/bench-results'), { recursive: true });
for (const name of names) {
  const started = new Date();
  const load = os.loadavg()[0];
  console.error(`\n== ${name} (load average ${load.toFixed(2)})`);
  const run = spawnSync(
    process.execPath,
    ['--conditions=@autorec/source', '--import', 'tsx', join(here, `${name}.ts`)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const results = run.stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l));
  const out = {
    name,
    started: started.toISOString(),
    loadAverageAtStart: load,
    machine,
    exitCode: run.status,
    results,
  };
  writeFileSync(join(root, `docs/bench-results/${name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify({ name, exitCode: run.status, results: results.length }));
  if (run.status !== 0) process.exitCode = 1;
}
