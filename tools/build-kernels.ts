/**
 * Regenerates packages/core/src/engine/kernels-wasm.ts from the AssemblyScript kernel source
 * (packages/core/assembly/kernels.ts).
 *
 *   npm run build:kernels            # write the generated module
 *   npm run build:kernels -- --check # exit 1 when the committed module is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  compileKernels,
  GENERATED_MODULE,
  renderGeneratedModule,
} from '../packages/core/assembly/compile.ts';

const text = renderGeneratedModule(await compileKernels());
const current = readFileSync(GENERATED_MODULE, 'utf8');
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error(`${GENERATED_MODULE} is out of date: run npm run build:kernels`);
    process.exit(1);
  }
  console.error(`${GENERATED_MODULE} matches the kernel source`);
} else if (current === text) {
  console.error(`${GENERATED_MODULE} is up to date`);
} else {
  writeFileSync(GENERATED_MODULE, text);
  console.error(`wrote ${GENERATED_MODULE}`);
}
