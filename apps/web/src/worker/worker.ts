/// <reference lib="webworker" />
/**
 * The app's one persistent Web Worker: it owns the data, the models and the saved-model
 * library, and the page calls it through Comlink. tfjs-backend-wasm's .wasm files are bundled
 * by Vite (hashed URLs) and handed to the core's backend selection.
 */
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { expose } from 'comlink';
import { Session } from './session.ts';

const session = new Session({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

expose(session);
