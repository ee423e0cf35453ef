import { DataError } from './errors.ts';

/** Typed arrays that can be stored in a bundle. */
export type StoredArray = Float32Array | Float64Array | Uint32Array | Int32Array | Uint8Array;

const DTYPES = {
  f32: Float32Array,
  f64: Float64Array,
  u32: Uint32Array,
  i32: Int32Array,
  u8: Uint8Array,
} as const;
type DType = keyof typeof DTYPES;

function dtypeOf(a: StoredArray): DType {
  if (a instanceof Float32Array) return 'f32';
  if (a instanceof Float64Array) return 'f64';
  if (a instanceof Uint32Array) return 'u32';
  if (a instanceof Int32Array) return 'i32';
  return 'u8';
}

const MAGIC = 0x41524231; // "ARB1"

/**
 * A binary bundle: named typed arrays plus a JSON header, in one buffer that loads in Node
 * and the browser without copying the arrays (each starts 8-byte aligned). Used for the
 * prepared-dataset cache and model state.
 *
 * Layout: u32 magic, u32 kind-version, u32 header length, JSON header (UTF-8, padded to 8),
 * then each array's bytes (padded to 8). The header lists name, dtype, offset and length of
 * each array, the kind and `meta`, and a checksum of the payload.
 *
 * @example
 * const bytes = encodeBundle('model-state', 1, { weights: new Float32Array(4) }, { hidden: 2 });
 * const { arrays, meta } = decodeBundle(bytes, 'model-state', 1, 'model.bin');
 */
export function encodeBundle(
  kind: string,
  version: number,
  arrays: Record<string, StoredArray>,
  meta: unknown = {},
): Uint8Array {
  const entries: { name: string; dtype: DType; offset: number; length: number }[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    entries.push({ name, dtype: dtypeOf(a), offset, length: a.length });
    offset += pad8(a.byteLength);
  }
  const payloadBytes = offset;
  const draft = { kind, version, arrays: entries, meta, payloadBytes, checksum: 0 };
  // The checksum goes in the header, before the payload: computed from the arrays in place, it
  // saves assembling the payload (as big as the cache) once more just to hash it.
  draft.checksum = payloadChecksum(entries.map((e) => bytesOf(arrays[e.name])));
  const header = new TextEncoder().encode(JSON.stringify(draft));
  const headerPadded = pad8(12 + header.length);
  const out = new Uint8Array(headerPadded + payloadBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, version, true);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  for (const e of entries) out.set(bytesOf(arrays[e.name]), headerPadded + e.offset);
  return out;
}

export interface DecodedBundle {
  kind: string;
  version: number;
  arrays: Record<string, StoredArray>;
  meta: unknown;
}

/**
 * Reads a bundle written by `encodeBundle`, checking magic, kind, version, sizes and checksum.
 * Throws a DataError naming `source` on any mismatch (corrupt, truncated or wrong version).
 */
export function decodeBundle(
  bytes: Uint8Array,
  kind: string,
  version: number,
  source: string,
): DecodedBundle {
  const fail = (reason: string): never => {
    throw new DataError(reason, { file: source });
  };
  if (bytes.byteLength < 12) fail(`not a ${kind} file (only ${bytes.byteLength} bytes)`);
  // Copy to an aligned buffer if needed (Node Buffers are often views at odd offsets).
  const buf = bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (view.getUint32(0, true) !== MAGIC) fail(`not a ${kind} file (bad magic number)`);
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > buf.byteLength) fail('truncated header');
  let header: {
    kind: string;
    version: number;
    arrays: { name: string; dtype: DType; offset: number; length: number }[];
    meta: unknown;
    payloadBytes: number;
    checksum: number;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + headerLength)));
  } catch {
    return fail('corrupt header (not JSON)');
  }
  if (header.kind !== kind) fail(`holds a '${header.kind}', expected a '${kind}'`);
  if (header.version !== version)
    fail(`${kind} format version ${header.version}, this build reads version ${version}; rebuild it`);
  const start = pad8(12 + headerLength);
  if (start + header.payloadBytes !== buf.byteLength)
    fail(`truncated or padded: ${buf.byteLength} bytes, header says ${start + header.payloadBytes}`);
  const payload = buf.subarray(start);
  if (fnv1a(payload) !== header.checksum) fail('checksum mismatch: the file is corrupt');
  const arrays: Record<string, StoredArray> = {};
  for (const e of header.arrays) {
    const Ctor = DTYPES[e.dtype];
    if (!Ctor) fail(`unknown array type '${e.dtype}' for '${e.name}'`);
    const array = new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset + start + e.offset, e.length);
    // Nothing we store is meant to be NaN or infinite: such a value is damage, or a model saved
    // after it diverged, and would turn every score it touches into NaN (empty lists, no error).
    if (array instanceof Float32Array || array instanceof Float64Array) {
      const at = firstNonFinite(array);
      if (at >= 0)
        fail(
          `array '${e.name}' holds ${array[at]} at index ${at}: the file is corrupt, or was saved from a diverged model`,
        );
    }
    arrays[e.name] = array;
  }
  return { kind: header.kind, version: header.version, arrays, meta: header.meta };
}

/** Index of the first NaN or ±Infinity in `a`, or -1. */
export function firstNonFinite(a: Float32Array | Float64Array): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return i;
  return -1;
}

function pad8(n: number): number {
  return (n + 7) & ~7;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over 32-bit words plus the tail: fast, enough to catch corruption (not security). */
export function fnv1a(bytes: Uint8Array): number {
  let h = fnv1aWords(FNV_OFFSET, bytes);
  for (let i = bytes.byteLength & ~3; i < bytes.byteLength; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}

/** `fnv1a` state `h` carried over the whole 32-bit little-endian words of `bytes`. */
function fnv1aWords(h: number, bytes: Uint8Array): number {
  const words = bytes.byteLength >>> 2;
  if (bytes.byteOffset % 4 === 0) {
    const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) h = Math.imul(h ^ w[i], FNV_PRIME);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < words; i++) h = Math.imul(h ^ dv.getUint32(i * 4, true), FNV_PRIME);
  }
  return h;
}

/** `fnv1a` of the payload the arrays make when each is zero-padded to 8 bytes, without building it. */
function payloadChecksum(parts: Uint8Array[]): number {
  let h = FNV_OFFSET;
  for (const bytes of parts) {
    h = fnv1aWords(h, bytes);
    const whole = bytes.byteLength & ~3;
    if (whole < bytes.byteLength) {
      // The last, partial word, completed with padding zeros.
      let w = 0;
      for (let i = whole; i < bytes.byteLength; i++) w |= bytes[i] << (8 * (i - whole));
      h = Math.imul(h ^ w, FNV_PRIME);
    }
    for (let p = (bytes.byteLength + 3) & ~3; p < pad8(bytes.byteLength); p += 4) h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

function bytesOf(a: StoredArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
