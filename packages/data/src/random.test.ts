import { describe, expect, it } from 'vitest';
import { Rng } from './random.ts';

describe('Rng', () => {
  it('is deterministic by seed and differs across seeds', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(7)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(7)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new Rng(8)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("matches the reference C xoshiro128** 1.0 stream (Blackman & Vigna's xoshiro128starstar.c)", () => {
    // The authors' next() compiled with gcc from this state (uint32 arithmetic in C), 12 outputs;
    // the same values another project records from its own transcription of xoshiro128starstar.c.
    const rng = Rng.fromState([0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321]);
    const expected = [
      0x99981812, 0x66666962, 0xd3905550, 0x309cbe4f, 0x06991cb1, 0x4ef39f2d, 0x1f6bc67b, 0x8d5d51c5,
      0xa6091973, 0xf2e9a317, 0x270cb834, 0x3f5a171f,
    ];
    expect(expected.map(() => rng.nextUint32())).toEqual(expected);
    // Not the pre-1.0 variant that scrambled s[0] (Apache Commons RNG's test data: 0x8856d912 first).
    expect(Rng.fromState([0x012de1ba, 0xa5a818b8, 0xb124ea2b, 0x18e03749]).nextUint32()).toBe(0x462c2d0e);
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/must not be all zero/);
  });

  it('pins the sequence so Node and browsers agree across releases', () => {
    const r = new Rng(42);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toMatchSnapshot();
  });

  it('produces uniform floats and normals with the right moments', () => {
    const r = new Rng(1);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('permutation contains every index once', () => {
    const p = new Rng(3).permutation(100);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
