import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle, fnv1a } from './binary.ts';

describe('binary bundle', () => {
  const arrays = { a: Float32Array.of(1.5, -2), b: Uint32Array.of(7, 8, 9), c: Uint8Array.of(1) };

  it('round-trips arrays and meta', () => {
    const bytes = encodeBundle('test', 3, arrays, { hello: 'world' });
    const d = decodeBundle(bytes, 'test', 3, 'x.bin');
    expect(Array.from(d.arrays.a)).toEqual([1.5, -2]);
    expect(d.arrays.b).toBeInstanceOf(Uint32Array);
    expect(Array.from(d.arrays.b)).toEqual([7, 8, 9]);
    expect(d.meta).toEqual({ hello: 'world' });
  });

  it('names the file and the problem for wrong kind, version, truncation and corruption', () => {
    const bytes = encodeBundle('test', 3, arrays);
    expect(() => decodeBundle(bytes, 'other', 3, 'x.bin')).toThrow(/x\.bin: holds a 'test'/);
    expect(() => decodeBundle(bytes, 'test', 4, 'x.bin')).toThrow(/version 3.*reads version 4/);
    expect(() => decodeBundle(bytes.slice(0, bytes.length - 4), 'test', 3, 'x.bin')).toThrow(/truncated/);
    const bad = bytes.slice();
    bad[bad.length - 9] ^= 0xff;
    expect(() => decodeBundle(bad, 'test', 3, 'x.bin')).toThrow(/checksum/);
    expect(() => decodeBundle(new Uint8Array(20), 'test', 3, 'x.bin')).toThrow(/bad magic/);
  });

  it('refuses NaN and infinite values in float arrays, naming the array (issue 8, item 13)', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const bytes = encodeBundle('test', 3, { ok: Uint32Array.of(1), w: Float64Array.of(0.5, bad) });
      expect(() => decodeBundle(bytes, 'test', 3, 'x.bin')).toThrow(
        new RegExp(`x\\.bin: array 'w' holds ${bad} at index 1: the file is corrupt`),
      );
    }
  });

  it('decodes from an unaligned view', () => {
    const bytes = encodeBundle('test', 1, arrays);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const d = decodeBundle(shifted.subarray(3), 'test', 1, 'x.bin');
    expect(Array.from(d.arrays.b)).toEqual([7, 8, 9]);
  });

  it('checksums arrays of any length and alignment as the padded payload decode hashes', () => {
    const base = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);
    const odd = {
      a: base.subarray(1, 2),
      b: base.subarray(3, 8),
      c: Int32Array.of(-1, 2, 3),
      d: base.subarray(5, 11),
      e: Float64Array.of(1.25, -3),
      f: base.subarray(9, 16),
      g: new Uint32Array(0),
      h: base.subarray(2, 5),
    };
    const d = decodeBundle(encodeBundle('test', 1, odd), 'test', 1, 'x.bin');
    for (const [name, a] of Object.entries(odd)) expect(Array.from(d.arrays[name])).toEqual(Array.from(a));
  });

  it('keeps fnv1a values (caches written earlier must still load)', () => {
    const base = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255);
    expect(fnv1a(base.subarray(1, 14))).toBe(0x49e72f25);
    expect(fnv1a(base)).toBe(0x773c3775);
  });
});
