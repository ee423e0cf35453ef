import { grown } from '../grow.ts';
import type { IdIndex } from '../ids.ts';
import { decodeText } from './bytes.ts';

/** Ints per entry: hash, key length, id index, then the key itself when short, else its offset in `keyBytes`. */
const ENTRY_INTS = 8;
const KEY_INT = 3;
/** Keys up to this length live in the entry itself; longer ones in `keyBytes`. */
const INLINE_BYTES = (ENTRY_INTS - KEY_INT) * 4;
/** Slots hold entry + 1 in their low 24 bits (V8 Maps, hence IdIndex, hold at most 2^24 ids anyway). */
const ENTRY_BITS = 24;
const ENTRY_MASK = (1 << ENTRY_BITS) - 1;

/** Where batch warm-up reads go, so they are not optimised away; its value means nothing. */
let _warmupSink = 0;

/**
 * Interns ids straight from input bytes into an `IdIndex`: an open-addressing hash table keyed
 * by the raw bytes, so a repeated id costs a hash and a compare, not a string. A string is made
 * only the first time an id is seen. Runs of the same id (log files list one user's lines
 * together) cost one compare each.
 *
 * The table is laid out for big inputs, where most time goes to cache misses: slots are 4 bytes
 * (entry number plus 8 hash bits that reject most other ids without touching their entry) and
 * entries are dense in insertion order with short keys inline, so frequent ids share a few cache
 * lines. `internMany` looks up a batch in passes so the misses of many lookups overlap.
 *
 * @example
 * const users = new ByteInterner(new IdIndex());
 * const line = new TextEncoder().encode('u1\tu2\tu1');
 * users.intern(line, 0, 2); // 0
 * users.intern(line, 3, 5); // 1
 * users.intern(line, 6, 8); // 0
 */
export class ByteInterner {
  readonly index: IdIndex;
  private slots = new Uint32Array(1 << 12);
  private mask = (1 << 12) - 1;
  private entryInts = new Int32Array(ENTRY_INTS << 11);
  private entryView = new DataView(this.entryInts.buffer);
  private entries = 0;
  private keyBytes = new Uint8Array(1 << 12);
  private keyView = new DataView(this.keyBytes.buffer);
  private keyEnd = 0;
  /** Entry of the last id looked up, -1 before the first. */
  private lastEntry = -1;
  /** A DataView of the caller's buffer, remade only when the buffer changes (once per chunk). */
  private viewBytes: Uint8Array | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private batchHashes = new Int32Array(256);

  constructor(index: IdIndex) {
    this.index = index;
  }

  /** Dense index of the id in `bytes[start..end)` (UTF-8), adding it when new. */
  intern(bytes: Uint8Array, start: number, end: number): number {
    const view = this.viewOf(bytes);
    const last = this.lastEntry;
    if (last >= 0 && this.entryEquals(last, view, start, end)) return this.entryInts[last * ENTRY_INTS + 2];
    return this.find(view, bytes, start, end, hashRange(view, start, end));
  }

  /**
   * `out[i] = intern(bytes, starts[i], ends[i])` for i < count, in order (so new ids get the same
   * indices as one by one), but faster for big tables: hashes and table reads of the whole batch
   * are issued first, letting the CPU wait for many cache misses at once instead of one by one.
   */
  internMany(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, count: number, out: Int32Array): void {
    const view = this.viewOf(bytes);
    if (this.batchHashes.length < count) this.batchHashes = new Int32Array(count * 2);
    const hashes = this.batchHashes;
    const slots = this.slots;
    const mask = this.mask;
    const ints = this.entryInts;
    let touched = 0;
    // Pass 1: hash each id that differs from the one before it, and read its home slot.
    for (let i = 0; i < count; i++) {
      const start = starts[i];
      const end = ends[i];
      if (i > 0 && rangesEqual(view, starts[i - 1], ends[i - 1], view, start, end)) {
        hashes[i] = hashes[i - 1];
        out[i] = -1;
        continue;
      }
      out[i] = 0;
      const hash = hashRange(view, start, end);
      hashes[i] = hash;
      touched ^= slots[hash & mask];
    }
    // Pass 2: read the entry each home slot points to (now cached) when its hash bits match.
    for (let i = 0; i < count; i++) {
      if (out[i] < 0) continue;
      const held = slots[hashes[i] & mask];
      if (held !== 0 && held >>> ENTRY_BITS === hashes[i] >>> ENTRY_BITS) {
        touched ^= ints[((held & ENTRY_MASK) - 1) * ENTRY_INTS];
      }
    }
    // Pass 3: the real lookups, in order, mostly on cached memory.
    for (let i = 0; i < count; i++) {
      const start = starts[i];
      const end = ends[i];
      if (out[i] < 0) {
        out[i] = out[i - 1];
        continue;
      }
      const last = this.lastEntry;
      out[i] =
        last >= 0 && this.entryEquals(last, view, start, end)
          ? this.entryInts[last * ENTRY_INTS + 2]
          : this.find(view, bytes, start, end, hashes[i]);
    }
    _warmupSink ^= touched;
  }

  /** Dense index of an id that exists only as a string (e.g. built from several fields). */
  internString(id: string): number {
    return this.index.intern(id);
  }

  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.viewBytes) {
      this.viewBytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
  }

  private find(view: DataView, bytes: Uint8Array, start: number, end: number, hash: number): number {
    const tag = hash >>> ENTRY_BITS;
    const slots = this.slots;
    const mask = this.mask;
    let slot = hash & mask;
    while (true) {
      const held = slots[slot];
      if (held === 0) break;
      if (held >>> ENTRY_BITS === tag) {
        const entry = (held & ENTRY_MASK) - 1;
        if (this.entryInts[entry * ENTRY_INTS] === hash && this.entryEquals(entry, view, start, end)) {
          this.lastEntry = entry;
          return this.entryInts[entry * ENTRY_INTS + 2];
        }
      }
      slot = (slot + 1) & mask;
    }
    // The index decides: bytes that decode to an id it already holds (e.g. two invalid UTF-8
    // spellings of U+FFFD, or an id interned as a string) share that id's index.
    const value = this.index.intern(decodeText(bytes, start, end));
    const entry = this.addEntry(bytes, start, end, hash, value);
    slots[slot] = ((tag << ENTRY_BITS) | (entry + 1)) >>> 0;
    this.lastEntry = entry;
    if (this.entries * 2 > mask) this.rehash();
    return value;
  }

  private entryEquals(entry: number, view: DataView, start: number, end: number): boolean {
    const at = entry * ENTRY_INTS;
    const n = this.entryInts[at + 1];
    if (n !== end - start) return false;
    return n <= INLINE_BYTES
      ? rangesEqual(this.entryView, (at + KEY_INT) * 4, (at + KEY_INT) * 4 + n, view, start, end)
      : rangesEqual(
          this.keyView,
          this.entryInts[at + KEY_INT],
          this.entryInts[at + KEY_INT] + n,
          view,
          start,
          end,
        );
  }

  private addEntry(bytes: Uint8Array, start: number, end: number, hash: number, value: number): number {
    const entry = this.entries++;
    if (entry >= ENTRY_MASK - 1) throw new RangeError(`more than ${ENTRY_MASK - 1} distinct ids`);
    const at = entry * ENTRY_INTS;
    if (at + ENTRY_INTS > this.entryInts.length) {
      this.entryInts = grown(this.entryInts, this.entryInts.length * 2);
      this.entryView = new DataView(this.entryInts.buffer);
    }
    const n = end - start;
    this.entryInts[at] = hash;
    this.entryInts[at + 1] = n;
    this.entryInts[at + 2] = value;
    if (n <= INLINE_BYTES) {
      new Uint8Array(this.entryInts.buffer, (at + KEY_INT) * 4, n).set(bytes.subarray(start, end));
      return entry;
    }
    if (this.keyEnd + n > this.keyBytes.length) {
      this.keyBytes = grown(this.keyBytes, Math.max(this.keyEnd + n, this.keyBytes.length * 2), this.keyEnd);
      this.keyView = new DataView(this.keyBytes.buffer);
    }
    this.keyBytes.set(bytes.subarray(start, end), this.keyEnd);
    this.entryInts[at + KEY_INT] = this.keyEnd;
    this.keyEnd += n;
    return entry;
  }

  private rehash(): void {
    const size = (this.mask + 1) * 2;
    const slots = new Uint32Array(size);
    const mask = size - 1;
    for (let entry = 0; entry < this.entries; entry++) {
      const hash = this.entryInts[entry * ENTRY_INTS];
      let slot = hash & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = (((hash >>> ENTRY_BITS) << ENTRY_BITS) | (entry + 1)) >>> 0;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/** True when the two byte ranges are equal, compared four bytes at a time. */
function rangesEqual(
  a: DataView,
  aStart: number,
  aEnd: number,
  b: DataView,
  bStart: number,
  bEnd: number,
): boolean {
  const n = aEnd - aStart;
  if (n !== bEnd - bStart) return false;
  let i = 0;
  for (; i + 4 <= n; i += 4) if (a.getInt32(aStart + i) !== b.getInt32(bStart + i)) return false;
  for (; i < n; i++) if (a.getUint8(aStart + i) !== b.getUint8(bStart + i)) return false;
  return true;
}

/** MurmurHash3 (x86, 32-bit) of a byte range, reading four bytes at a time. */
function hashRange(view: DataView, start: number, end: number): number {
  let h = 0x9747b28c;
  let p = start;
  for (; p + 4 <= end; p += 4) {
    let k = Math.imul(view.getInt32(p, true), 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let shift = 0; p < end; p++, shift += 8) k |= view.getUint8(p) << shift;
  if ((end - start) & 3) {
    k = Math.imul(k, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    h ^= k;
  }
  h ^= end - start;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}
