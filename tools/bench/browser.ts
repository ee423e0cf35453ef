/**
 * AutoRec in headless Chromium, in a Web Worker: epoch times of both training engines on the
 * WebGL and wasm tfjs backends, as JSON lines.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/browser.ts
 *
 * I-AutoRec with its defaults on an ML-100K-sized planted set (943 × 1,682 × 100K ratings),
 * AUTOREC_BROWSER_EPOCHS epochs (default 2) per backend and engine. Chromium is the system's
 * (`apt-get install chromium`, or AUTOREC_CHROMIUM); without a GPU its WebGL is SwiftShader,
 * a software renderer, so the WebGL figures are a CPU's, not a graphics card's.
 */
import { findChromium, startHarness } from '../../packages/core/browser/harness.ts';

const executable = findChromium();
if (!executable) throw new Error('no Chromium found: apt-get install chromium, or set AUTOREC_CHROMIUM');
const epochs = Number(process.env.AUTOREC_BROWSER_EPOCHS ?? 2);
const harness = await startHarness(executable);
try {
  const result = await harness.run({ saved: [], timingEpochs: epochs });
  const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
  for (const t of result.timing)
    console.log(
      JSON.stringify({
        bench: 'browser',
        dataset: 'ml100k-shaped planted (943 × 1,682 × 100K)',
        model: 'i-autorec (defaults)',
        where: 'Chromium, module Web Worker',
        backend: t.fitBackend,
        epochSeconds: t.epochSeconds.map((s) => Number(s.toFixed(4))),
        medianEpochSeconds: Number(sorted(t.epochSeconds)[Math.floor(t.epochSeconds.length / 2)].toFixed(4)),
      }),
    );
} finally {
  await harness.close();
}
