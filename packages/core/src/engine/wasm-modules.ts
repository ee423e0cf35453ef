/**
 * Loading the committed WebAssembly kernel modules (base64 in the generated `*-wasm.ts` files,
 * compiled from packages/core/assembly by `npm run build:kernels`): one decoder and one cache for
 * every kernel set.
 */

/** Decodes base64 with `atob`, which pages, workers and Node all have. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let j = 0; j < binary.length; j++) bytes[j] = binary.charCodeAt(j);
  return bytes;
}

/**
 * The compiled module of one kernel set — for a plain memory, or importing a shared one with
 * `shared` — compiled once and cached, or null where WebAssembly (SIMD) is missing. Compiled
 * asynchronously: these modules are above the 4 KB that browsers compile synchronously on a
 * page's main thread.
 *
 * @example
 * export const ialsModule = moduleLoader(IALS_WASM_PLAIN, IALS_WASM_SHARED);
 * const module = await ialsModule(true); // null: use the JS kernels
 */
export function moduleLoader(
  plain: string,
  shared: string,
): (shared: boolean) => Promise<WebAssembly.Module | null> {
  const modules = new Map<boolean, Promise<WebAssembly.Module | null>>();
  return (isShared) => {
    let module = modules.get(isShared);
    if (!module) {
      module = compile(isShared ? shared : plain);
      modules.set(isShared, module);
    }
    return module;
  };
}

async function compile(base64: string): Promise<WebAssembly.Module | null> {
  if (typeof WebAssembly === 'undefined') return null;
  const bytes = fromBase64(base64);
  if (!WebAssembly.validate(bytes)) return null;
  return WebAssembly.compile(bytes);
}
