import { describe, expect, it } from 'vitest';
import { decodeBundle, encodeBundle } from './binary.ts';

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

  it('decodes from an unaligned view', () => {
    const bytes = encodeBundle('test', 1, arrays);
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const d = decodeBundle(shifted.subarray(3), 'test', 1, 'x.bin');
    expect(Array.from(d.arrays.b)).toEqual([7, 8, 9]);
  });
});
