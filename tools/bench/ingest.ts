/**
 * Ingest benchmark: end-to-end read of a Taste Profile file (file → CSR) at full MSD scale.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/ingest.ts [--lines N] [--file PATH]
 *
 * Writes a synthetic `train_triplets.txt` look-alike of N lines (default 48,373,586, the real
 * file's count) to /tmp unless it exists, times `readInteractionsFile`, prints a summary to
 * stderr and one JSON line of results to stdout.
 */
import { closeSync, existsSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { nnz, Rng } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';

const MSD_LINES = 48_373_586;
/** Songs in the real train_triplets.txt (which also has 1,019,318 users, ~47.5 lines each). */
const SONGS = 384_546;

const { values } = parseArgs({
  options: { lines: { type: 'string', default: String(MSD_LINES) }, file: { type: 'string' } },
});
const lines = Number(values.lines);
if (!Number.isSafeInteger(lines) || lines <= 0)
  throw new Error(`--lines must be a positive integer, got ${values.lines}`);
const path = values.file ?? `/tmp/autorec-taste-profile-${lines}.txt`;

if (!existsSync(path)) {
  const started = performance.now();
  writeSyntheticTasteProfile(path, lines, 20240601);
  console.error(`wrote ${path} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const bytes = statSync(path).size;

const loadBefore = loadavg()[0];
const started = performance.now();
const cpuBefore = process.cpuUsage();
const dataset = await readInteractionsFile(path, { format: 'taste-profile' });
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// CPU seconds show what the run costs on a machine shared with other work, where wall time does not.
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const peakRssMb = process.resourceUsage().maxRSS / 1024;

const result = {
  bench: 'ingest',
  file: path,
  lines: dataset.report?.lines,
  bytes,
  seconds: round(seconds, 2),
  cpuSeconds: round(cpuSeconds, 2),
  mbPerSec: round(bytes / 1e6 / seconds, 1),
  mbPerCpuSec: round(bytes / 1e6 / cpuSeconds, 1),
  linesPerSec: Math.round((dataset.report?.lines ?? 0) / seconds),
  peakRssMb: Math.round(peakRssMb),
  users: dataset.users.size,
  items: dataset.items.size,
  nnz: nnz(dataset.counts),
  duplicates: dataset.report?.duplicates,
  // Other work on the machine slows wall time; the 1-minute load average before and after says how much there was.
  loadAvg: [round(loadBefore, 2), round(loadavg()[0], 2)],
};
console.error(
  `${(bytes / 1e6).toFixed(0)} MB, ${result.lines} lines in ${result.seconds} s: ` +
    `${result.mbPerSec} MB/s, ${result.linesPerSec.toLocaleString('en')} lines/s, peak RSS ${result.peakRssMb} MB ` +
    `(CPU ${result.cpuSeconds} s: ${result.mbPerCpuSec} MB per CPU-second)`,
);
console.log(JSON.stringify(result));

function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/**
 * Lines grouped by user (40 hex chars), songs `SO` + 16 uppercase alphanumerics drawn Zipf-like
 * (popular songs dominate, as in the MSD), no repeated song within a user, and play counts with a
 * power-law tail where most are 1. Written through a reused buffer, then renamed into place so an
 * interrupted run leaves no half-written file behind.
 */
function writeSyntheticTasteProfile(target: string, count: number, seed: number): void {
  const rng = new Rng(seed);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const songIds = new Uint8Array(SONGS * 18);
  for (let s = 0; s < SONGS; s++) {
    songIds[s * 18] = 83; // S
    songIds[s * 18 + 1] = 79; // O
    for (let i = 2; i < 18; i++) songIds[s * 18 + i] = alphabet.charCodeAt(rng.int(alphabet.length));
  }
  // Zipf-like popularity: P(rank k) ∝ k^-0.9, sampled by binary search on the CDF.
  const cdf = new Float64Array(SONGS);
  let total = 0;
  for (let k = 0; k < SONGS; k++) cdf[k] = total += (k + 1) ** -0.9;
  const lastUserOfSong = new Int32Array(SONGS).fill(-1);
  const hex = '0123456789abcdef';
  const user = new Uint8Array(41);
  user[40] = 9; // TAB
  const buffer = Buffer.allocUnsafe(1 << 23);
  let at = 0;
  const tmp = `${target}.partial`;
  const fd = openSync(tmp, 'w');
  let written = 0;
  for (let u = 0; written < count; u++) {
    for (let i = 0; i < 40; i++) user[i] = hex.charCodeAt(rng.int(16));
    // Log-normal run length with MSD's minimum of 10 songs per user and mean ≈ 47.5.
    const run = Math.min(count - written, 10 + Math.min(5000, Math.round(Math.exp(3.12 + rng.normal()))));
    for (let j = 0; j < Math.min(run, SONGS); j++) {
      let song: number;
      do {
        const target = rng.next() * total;
        let lo = 0;
        let hi = SONGS - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid] < target) lo = mid + 1;
          else hi = mid;
        }
        song = lo;
      } while (lastUserOfSong[song] === u);
      lastUserOfSong[song] = u;
      const plays = Math.min(9667, Math.floor((1 - rng.next()) ** -0.7));
      if (at + 80 > buffer.length) {
        writeSync(fd, buffer, 0, at);
        at = 0;
      }
      buffer.set(user, at);
      at += 41;
      buffer.set(songIds.subarray(song * 18, song * 18 + 18), at);
      at += 18;
      buffer[at++] = 9;
      at += buffer.write(String(plays), at, 'latin1');
      buffer[at++] = 10;
      written++;
    }
  }
  writeSync(fd, buffer, 0, at);
  closeSync(fd);
  renameSync(tmp, target);
}
