/**
 * Row helpers shared by the AssemblyScript kernel modules (kernels.ts, ials.ts); the optimiser
 * inlines them into the kernels. Pointers are byte offsets into the imported memory; rows are
 * `rowBytes` long, a positive multiple of 32, so the loops take two f32x4 lanes per step with
 * no tail and test their condition at the bottom.
 */

/** The `index`-th u32 of the array at `base`. */
export function at(base: usize, index: u32): u32 {
  return load<u32>(base + ((<usize>index) << 2));
}

/** The `index`-th f32 of the array at `base`. */
export function valueAt(base: usize, index: u32): f32 {
  return load<f32>(base + ((<usize>index) << 2));
}

/** dst[j] += a · src[j] over one row. */
export function axpyRow(dst: usize, src: usize, a: v128, rowBytes: usize): void {
  let j: usize = 0;
  do {
    v128.store(dst + j, f32x4.add(v128.load(dst + j), f32x4.mul(a, v128.load(src + j))));
    v128.store(dst + j, f32x4.add(v128.load(dst + j, 16), f32x4.mul(a, v128.load(src + j, 16))), 16);
    j += 32;
  } while (j < rowBytes);
}

/** Sum of the four lanes. */
export function lanesSum(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)
  );
}

/** Σ_j x[j] · y[j] over one row, with two accumulators. */
export function dotRow(x: usize, y: usize, rowBytes: usize): f32 {
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let j: usize = 0;
  do {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(x + j), v128.load(y + j)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(x + j, 16), v128.load(y + j, 16)));
    j += 32;
  } while (j < rowBytes);
  return lanesSum(f32x4.add(acc0, acc1));
}

/** Zeroes one row. */
export function zeroRow(row: usize, rowBytes: usize): void {
  let j: usize = 0;
  do {
    v128.store(row + j, f32x4.splat(0));
    j += 16;
  } while (j < rowBytes);
}
