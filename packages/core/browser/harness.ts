import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import type { WorkerRequest, WorkerResult } from './worker.ts';

/** Where the system's Chromium may be (playwright-core downloads none); AUTOREC_CHROMIUM first. */
export const CHROMIUM_CANDIDATES = [
  process.env.AUTOREC_CHROMIUM,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
].filter((p): p is string => !!p);

export function findChromium(): string | undefined {
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

export interface Harness {
  /** Base URL of the local server; files under `root` are served from it. */
  base: string;
  /** A temporary folder served at `base` (e.g. for models saved by Node). */
  root: string;
  /** Runs `worker.ts` in a module Web Worker of a fresh page and returns what it posted. */
  run(request: Omit<WorkerRequest, 'wasmPaths'>): Promise<WorkerResult>;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/**
 * Bundles `worker.ts` (core and data from source, tfjs from node_modules) with esbuild, serves
 * it with tfjs-backend-wasm's .wasm files from a local HTTP server (cross-origin isolated, so
 * shared memory and AutoRec's worker threads are available), and starts headless Chromium.
 * Shared by the browser tests and `tools/bench/browser.ts`.
 *
 * @example
 * const h = await startHarness(findChromium()!);
 * const result = await h.run({ saved: [], timingEpochs: 0 });
 * await h.close();
 */
export async function startHarness(executablePath: string): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'autorec-browser-'));
  await build({
    entryPoints: [join(here, 'worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@autorec/source'],
    external: ['node:*'],
    outfile: join(root, 'worker.js'),
    logLevel: 'error',
  });
  const wasmDir = join(
    dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist',
  );
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    // Cross-origin isolation, so pages and workers get SharedArrayBuffer (AutoRec's threads).
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>autorec</title>');
      return;
    }
    const file = path.startsWith('/tfjs-wasm/')
      ? normalize(join(wasmDir, path.slice('/tfjs-wasm/'.length)))
      : normalize(join(root, path));
    const inside = file.startsWith(root) || file.startsWith(wasmDir);
    if (!inside || !(await stat(file).catch(() => undefined))?.isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(await readFile(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // SwiftShader gives headless Chromium a (software) WebGL without a GPU.
  const browser = await chromium.launch({
    executablePath,
    args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--use-angle=swiftshader'],
  });
  return {
    base,
    root,
    async run(request) {
      const page = await browser.newPage();
      try {
        await page.goto(`${base}/`);
        const full: WorkerRequest = { ...request, wasmPaths: `${base}/tfjs-wasm/` };
        const result = (await page.evaluate(
          (req) =>
            new Promise<unknown>((resolve) => {
              const worker = new Worker('/worker.js', { type: 'module' });
              worker.onmessage = (e) => resolve(e.data);
              worker.onerror = (e) => resolve({ error: `worker error: ${e.message}` });
              worker.postMessage(req);
            }),
          full,
        )) as WorkerResult;
        if (result.error) throw new Error(`in the browser worker: ${result.error}`);
        return result;
      } finally {
        await page.close();
      }
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
