/** Typed arrays that readers grow as they fill them. */
type GrowableArray = Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/**
 * A copy of `array` in a new array of the same type with `size` elements: its first `keep`
 * elements (default all), then zeros.
 *
 * @example
 * grown(Uint32Array.of(1, 2, 3), 4, 2); // Uint32Array [1, 2, 0, 0]
 */
export function grown<T extends GrowableArray>(array: T, size: number, keep = array.length): T {
  const out = new (array.constructor as new (length: number) => T)(size);
  out.set(array.subarray(0, keep));
  return out;
}
