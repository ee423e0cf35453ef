/**
 * A minimal WebAssembly binary writer: just enough to express the sparse training kernels
 * (loops, scalar i32/f32 arithmetic, 128-bit SIMD on f32x4) without a build-time toolchain.
 * Modules import one linear memory (`env.memory`) that JavaScript owns and views with typed
 * arrays, so weights never cross the JS/WASM boundary by copy.
 *
 * Code is written as nested arrays of bytes built by the helpers below; locals are named.
 *
 * @example
 * const f = new WasmFunction('addOne', [['x', 'i32']], ['i32']);
 * f.body(f.get('x'), i32Const(1), op.i32Add);
 * const bytes = assembleModule([f]);
 * const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
 * (instance.exports.addOne as (x: number) => number)(41); // 42
 */

export type ValType = 'i32' | 'f32' | 'v128';
export type Code = readonly number[];

const TYPE_BYTE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

export function uleb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = new TextEncoder().encode(s);
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

const simd = (opcode: number, ...rest: number[]): Code => [0xfd, ...uleb(opcode), ...rest];

/** Opcodes without immediates. */
export const op = {
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32LtU: [0x49],
  i32GeU: [0x4f],
  i32Eqz: [0x45],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f32x4Splat: simd(0x13),
  f32x4Sqrt: simd(0xe3),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  drop: [0x1a],
} as const;

export const i32Const = (n: number): Code => [0x41, ...sleb(n)];
/** `call` of the function at `index` in the module's function list. */
export const call = (index: number): Code => [0x10, ...uleb(index)];
/** `if (cond) { then } else { otherwise }` with no result value. */
export const ifElse = (cond: Code, then: Code, otherwise: Code): Code => [
  ...cond,
  0x04,
  0x40,
  ...then,
  0x05,
  ...otherwise,
  0x0b,
];
export const f32Const = (x: number): Code => [0x43, ...new Uint8Array(Float32Array.of(x).buffer)];
export const v128Zero = (): Code => simd(0x0c, ...new Array(16).fill(0));

/** Loads and stores; `offset` is a constant byte offset added to the address on the stack. */
export const i32Load = (offset = 0): Code => [0x28, 2, ...uleb(offset)];
export const f32Load = (offset = 0): Code => [0x2a, 2, ...uleb(offset)];
export const f32Store = (offset = 0): Code => [0x38, 2, ...uleb(offset)];
export const v128Load = (offset = 0): Code => simd(0x00, 4, ...uleb(offset));
export const v128Store = (offset = 0): Code => simd(0x0b, 4, ...uleb(offset));
export const f32x4ExtractLane = (lane: number): Code => simd(0x1f, lane);

/** A function with named parameters and locals. */
export class WasmFunction {
  private readonly locals = new Map<string, { index: number; type: ValType }>();
  private readonly extra: ValType[] = [];
  private readonly code: number[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly [string, ValType][],
    readonly results: readonly ValType[] = [],
  ) {
    params.forEach(([n, t], i) => {
      this.locals.set(n, { index: i, type: t });
    });
  }

  /** Declares a local (zero-initialised by WebAssembly). */
  local(localName: string, type: ValType): this {
    if (this.locals.has(localName)) throw new Error(`${this.name}: local '${localName}' declared twice`);
    this.locals.set(localName, { index: this.params.length + this.extra.length, type });
    this.extra.push(type);
    return this;
  }

  private index(localName: string): number {
    const l = this.locals.get(localName);
    if (!l) throw new Error(`${this.name}: unknown local '${localName}'`);
    return l.index;
  }

  get(localName: string): Code {
    return [0x20, ...uleb(this.index(localName))];
  }

  /** `local.set name (value…)`. */
  set(localName: string, ...value: Code[]): Code {
    return [...value.flat(), 0x21, ...uleb(this.index(localName))];
  }

  /** Appends instructions to the body. */
  body(...parts: Code[]): this {
    for (const p of parts) this.code.push(...p);
    return this;
  }

  /**
   * `for (counter = start; counter < end; counter += step) body` with unsigned compare; all
   * operands are local names. The body must not branch out of the loop.
   */
  forLoop(counter: string, start: Code, end: string, step: Code, ...loopBody: Code[]): Code {
    return [
      ...this.set(counter, start),
      0x02,
      0x40, // block
      0x03,
      0x40, // loop
      ...this.get(counter),
      ...this.get(end),
      ...op.i32GeU,
      0x0d,
      1, // br_if out of the block
      ...loopBody.flat(),
      ...this.set(counter, this.get(counter), step, op.i32Add),
      0x0c,
      0, // br to loop start
      0x0b,
      0x0b,
    ];
  }

  encodeType(): number[] {
    return [
      0x60,
      ...vec(this.params.map(([, t]) => [TYPE_BYTE[t]])),
      ...vec(this.results.map((t) => [TYPE_BYTE[t]])),
    ];
  }

  encodeBody(): number[] {
    const locals = this.extra.map((t) => [1, TYPE_BYTE[t]]);
    const body = [...vec(locals), ...this.code, 0x0b];
    return [...uleb(body.length), ...body];
  }
}

/**
 * A module importing `env.memory` (at least `minPages` 64 KiB pages) and exporting every function
 * by name. With `shared`, the import is a shared memory of at most 4 GiB (what worker threads
 * use together; the threads proposal, in every current engine).
 */
export function assembleModule(
  functions: WasmFunction[],
  minPages = 1,
  shared = false,
): Uint8Array<ArrayBuffer> {
  const limits = shared ? [0x03, ...uleb(minPages), ...uleb(65536)] : [0x00, ...uleb(minPages)];
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(functions.map((f) => f.encodeType()))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => f.encodeBody()))),
  ];
  return new Uint8Array(bytes);
}
