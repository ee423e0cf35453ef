/**
 * The web app's bars (issue 11), as JSON lines:
 * - `initial-js`: the JavaScript the page loads before the worker starts — the module scripts and
 *   module preloads `apps/web/dist/index.html` names, without the worker bundle and the .wasm
 *   files — raw and gzip (level 9, as a static host would serve it), from a fresh `vite build`.
 * - `training`: the same models on the same data and split, trained in the app's Web Worker
 *   (the built app served by `vite preview` with the cross-origin isolation headers, headless
 *   Debian Chromium through playwright-core, driven through its screens as a user does) and in
 *   Node (`compareModels` of the core, the same call the worker makes), with the worker ÷ Node
 *   ratio of training time and of the median epoch time per model. The bar: ≤ 1.5×.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/web.ts [lastfm|preset] [--epochs N] [--rounds R]
 *
 * Data: `lastfm` (default when ../shared/data has it): Last.fm HetRec 2K `user_artists.dat`
 * through the file input; `preset`: the synthetic `default` preset the app starts on. I-AutoRec
 * and SVD with their defaults but `epochs` (default 10), random 80/10/10 split, seed 42, the
 * format's default transform — the app's defaults. Node and the browser alternate `rounds` times
 * (default 3), so a load change on the shared machine hits both; every round is printed. Each
 * browser round is a fresh page (a user's first training: cold JIT, backend start-up outside the
 * timed fit); Node runs in this one process, so its rounds after the first are warm.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type CompareProgress, compareModels, type ModelName, setupCompute } from '@autorec/core';
import { type Dataset, prepareDataset, readInteractions, syntheticDataset } from '@autorec/data';
import { chromium } from 'playwright-core';
import { build, preview } from 'vite';
import { findChromium } from '../../packages/core/browser/harness.ts';
import { sharedDataDir } from './data-dir.ts';

const root = resolve(import.meta.dirname, '../..');
const appRoot = join(root, 'apps/web');
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const epochs = option('epochs', 10);
const rounds = option('rounds', 3);
const lastfmFile = join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat');
const data =
  args.find((a) => a === 'lastfm' || a === 'preset') ?? (existsSync(lastfmFile) ? 'lastfm' : 'preset');
const MODELS: ModelName[] = ['i-autorec', 'svd'];
const SPLIT = { method: 'random', test: 0.1, validation: 0.1 } as const;
const SEED = 42;
const K = 10;

const executable = findChromium();
if (!executable) throw new Error('no Chromium found: apt-get install chromium, or set AUTOREC_CHROMIUM');

console.error('building apps/web …');
await build({ root: appRoot, configFile: join(appRoot, 'vite.config.ts'), logLevel: 'warn' });
console.log(JSON.stringify({ bench: 'web', measure: 'initial-js', ...initialJs(join(appRoot, 'dist')) }));

interface Timing {
  model: string;
  trainSeconds: number;
  medianEpochSeconds: number;
  epochs: number;
  backend: string;
  rmse: number;
}

const dataset: Dataset =
  data === 'lastfm'
    ? await readInteractions(new Uint8Array(readFileSync(lastfmFile)), {
        format: 'lastfm-hetrec',
        name: 'user_artists.dat',
      })
    : syntheticDataset('default');
const node = await setupCompute();
const where = { dataset: data === 'lastfm' ? 'Last.fm HetRec 2K' : "synthetic 'default' preset", epochs };

const server = await preview({
  root: appRoot,
  configFile: join(appRoot, 'vite.config.ts'),
  logLevel: 'warn',
  preview: { host: '127.0.0.1', port: 0, strictPort: false },
});
const browser = await chromium.launch({
  executablePath: executable,
  args: [
    '--no-sandbox',
    '--enable-unsafe-swiftshader',
    '--use-angle=swiftshader',
    '--disable-accelerated-2d-canvas',
  ],
});
const tmp = await mkdtemp(join(os.tmpdir(), 'autorec-bench-web-'));
try {
  const all: { node: Timing[]; worker: Timing[]; workerBackend: string; load: number[] }[] = [];
  for (let round = 1; round <= rounds; round++) {
    const loadBefore = os.loadavg()[0];
    console.error(`round ${round}: Node …`);
    const inNode = await trainInNode();
    console.error(`round ${round}: web worker …`);
    const inWorker = await trainInWorker();
    const load = [loadBefore, os.loadavg()[0]];
    all.push({ node: inNode, worker: inWorker.timings, workerBackend: inWorker.backend, load });
    for (const model of MODELS) {
      const n = inNode.find((t) => t.model === model)!;
      const w = inWorker.timings.find((t) => t.model === model)!;
      console.log(
        JSON.stringify({
          bench: 'web',
          measure: 'training',
          round,
          ...where,
          model,
          node: { ...n, tfjsBackend: node.backend.name },
          worker: { ...w, tfjsBackend: inWorker.backend },
          workerOverNode: {
            train: round3(w.trainSeconds / n.trainSeconds),
            medianEpoch: round3(w.medianEpochSeconds / n.medianEpochSeconds),
          },
          loadAverage: load.map(round3),
        }),
      );
    }
  }
  // Over the rounds: the median of each side's times, and their ratio.
  for (const model of MODELS) {
    const pick = (side: 'node' | 'worker', key: 'trainSeconds' | 'medianEpochSeconds') =>
      median(all.map((r) => r[side].find((t) => t.model === model)![key]));
    console.log(
      JSON.stringify({
        bench: 'web',
        measure: 'training-summary',
        ...where,
        model,
        rounds,
        nodeBackend: node.backend.name,
        workerBackend: all[0].workerBackend,
        medianTrainSeconds: {
          node: round3(pick('node', 'trainSeconds')),
          worker: round3(pick('worker', 'trainSeconds')),
        },
        medianEpochSeconds: {
          node: round3(pick('node', 'medianEpochSeconds')),
          worker: round3(pick('worker', 'medianEpochSeconds')),
        },
        workerOverNode: {
          train: round3(pick('worker', 'trainSeconds') / pick('node', 'trainSeconds')),
          medianEpoch: round3(pick('worker', 'medianEpochSeconds') / pick('node', 'medianEpochSeconds')),
        },
        bar: 1.5,
        loadAverages: all.map((r) => r.load.map(round3)),
      }),
    );
  }
} finally {
  await browser.close();
  await new Promise<void>((done) => server.httpServer.close(() => done()));
  await rm(tmp, { recursive: true, force: true });
}

/** Node: the worker's own call — `compareModels` on the same prepared split, the same options. */
async function trainInNode(): Promise<Timing[]> {
  const prepared = prepareDataset(dataset, { split: SPLIT, seed: SEED });
  const result = await compareModels(prepared, {
    models: MODELS.map((name) => ({ name, params: { epochs } })),
    seed: SEED,
    ranking: { k: K },
    onProgress: (e: CompareProgress) => e.stage !== 'fit' && console.error(`  node ${e.model}: ${e.stage}`),
  });
  return result.models.map((m) => ({
    model: m.label,
    trainSeconds: m.trainSeconds,
    medianEpochSeconds: median(m.curve.map((r) => r.seconds)),
    epochs: m.epochs,
    backend: m.backend,
    rmse: m.rating.rmse,
  }));
}

/** The app in Chromium, as a user drives it; the times come from the report's results.json. */
async function trainInWorker(): Promise<{ backend: string; timings: Timing[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  try {
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(server.resolvedUrls?.local[0] ?? '');
    await page.getByTestId('backend-name').waitFor({ timeout: 60_000 });
    const backend = (await page.getByTestId('backend-name').textContent()) ?? '?';
    await page.getByTestId('dataset-stats').waitFor({ timeout: 60_000 });
    if (data === 'lastfm') {
      await page.getByTestId('data-file').setInputFiles(lastfmFile);
      await page.getByTestId('load').click();
      await page
        .locator('[data-testid="dataset-stats"] h3', { hasText: 'user_artists.dat' })
        .waitFor({ timeout: 60_000 });
    }
    await page.getByRole('tab', { name: 'Train & compare' }).click();
    for (const model of MODELS) {
      const field = page.getByTestId(`param-${model}-epochs`);
      if (!(await field.isVisible()))
        await page
          .locator(`[data-testid="model-${model}"]`)
          .locator('xpath=../..')
          .locator('summary')
          .click();
      await field.fill(String(epochs));
    }
    await page.getByTestId('train').click();
    await page.getByTestId('download-json').waitFor({ timeout: 600_000 });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('download-json').click(),
    ]);
    const path = join(tmp, 'results.json');
    await download.saveAs(path);
    const doc = JSON.parse(await readFile(path, 'utf8')) as {
      results: { model: string; trainSeconds: number; epochs: number; backend: string; rmse: number }[];
      curves: Record<string, { seconds: number }[]>;
    };
    return {
      backend,
      timings: doc.results.map((r) => ({
        model: r.model,
        trainSeconds: r.trainSeconds,
        medianEpochSeconds: median(doc.curves[r.model].map((c) => c.seconds)),
        epochs: r.epochs,
        backend: r.backend,
        rmse: r.rmse,
      })),
    };
  } finally {
    await context.close();
  }
}

/** The page's initial JavaScript: index.html's module scripts and module preloads (not the worker, not wasm). */
function initialJs(dist: string) {
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const files = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g),
  ].map((m) => m[1].replace(/^\.?\//, ''));
  let raw = 0;
  let gzip = 0;
  for (const f of files) {
    const bytes = readFileSync(join(dist, f));
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return { files, rawBytes: raw, gzipBytes: gzip, rawKB: round3(raw / 1024), gzipKB: round3(gzip / 1024) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
