/**
 * Regenerates the committed WebAssembly modules from their AssemblyScript sources:
 * packages/core/src/engine/kernels-wasm.ts from packages/core/assembly/kernels.ts (AutoRec's
 * sparse kernels), packages/core/src/engine/ials-wasm.ts from packages/core/assembly/ials.ts
 * (implicit ALS's row kernels) and packages/core/src/engine/mult-wasm.ts from
 * packages/core/assembly/mult.ts (Mult-VAE's).
 *
 *   npm run build:kernels            # write the generated modules
 *   npm run build:kernels -- --check # exit 1 when a committed module is out of date
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { compileKernels, KERNEL_MODULES, renderGeneratedModule } from '../packages/core/assembly/compile.ts';

const check = process.argv.includes('--check');
let stale = false;
for (const spec of KERNEL_MODULES) {
  const text = renderGeneratedModule(await compileKernels(spec), spec);
  const current = existsSync(spec.generated) ? readFileSync(spec.generated, 'utf8') : '';
  if (check) {
    if (current !== text) {
      console.error(`${spec.generated} is out of date: run npm run build:kernels`);
      stale = true;
    } else console.error(`${spec.generated} matches the kernel source`);
  } else if (current === text) {
    console.error(`${spec.generated} is up to date`);
  } else {
    writeFileSync(spec.generated, text);
    console.error(`wrote ${spec.generated}`);
  }
}
if (stale) process.exit(1);
