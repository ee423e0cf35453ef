import { grown } from '../grow.ts';
import { decodeText, parseDecimal } from '../io/bytes.ts';
import { LineError } from './line-error.ts';

const QUOTE = 34;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const SPACE = 32;

/**
 * Splits one line into fields by a delimiter (one byte such as a tab, or a string such as
 * `<SEP>` or `::`), recording byte offsets only; no strings are made. With `quotes`, fields may be
 * wrapped in double quotes per RFC 4180 (delimiters inside, `""` for a quote), though not span lines.
 * One instance is reused for every line of a file.
 *
 * @example
 * const f = new Fields('\t');
 * const line = new TextEncoder().encode('u1\tSOAB\t3');
 * f.split(line, 0, line.length); // 3
 * f.text(1);   // 'SOAB'
 * f.number(2); // 3
 */
export class Fields {
  bytes: Uint8Array = new Uint8Array(0);
  count = 0;
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** 1 when the field was quoted and holds `""` escapes, so its text needs unescaping. */
  private escaped = new Uint8Array(16);
  private readonly delimiter: Uint8Array;
  private viewBytes: Uint8Array | undefined;
  private view: DataView = new DataView(new ArrayBuffer(0));
  private readonly quotes: boolean;
  /** Phrase for messages, e.g. `tab-separated`. */
  readonly description: string;

  constructor(delimiter: string, options: { quotes?: boolean } = {}) {
    if (delimiter === '') throw new TypeError('the field delimiter must not be empty');
    this.delimiter = new TextEncoder().encode(delimiter);
    this.quotes = options.quotes ?? false;
    this.description = `${delimiterName(delimiter)}-separated`;
  }

  /** Splits `bytes[start..end)`; returns the number of fields (an empty line has one empty field). */
  split(bytes: Uint8Array, start: number, end: number): number {
    this.bytes = bytes;
    if (this.delimiter.length === 1 && !this.quotes) return this.splitOnByte(bytes, start, end);
    return this.splitGeneral(bytes, start, end);
  }

  text(i: number): string {
    const text = decodeText(this.bytes, this.starts[i], this.ends[i]);
    return this.escaped[i] === 1 ? text.replaceAll('""', '"') : text;
  }

  /**
   * The field as UTF-8 when its bytes are valid UTF-8, else as ISO-8859-1 (Latin-1: byte b is
   * code point b) — for files written before UTF-8, such as MovieLens 100K's `u.item`, where `é`
   * is the single byte 0xE9. Latin-1 text with accents is almost never valid UTF-8, so one file
   * of either encoding reads right.
   */
  legacyText(i: number): string {
    let text: string;
    try {
      text = strictUtf8.decode(this.bytes.subarray(this.starts[i], this.ends[i]));
    } catch {
      text = '';
      for (let p = this.starts[i]; p < this.ends[i]; p++) text += String.fromCharCode(this.bytes[p]);
    }
    return this.escaped[i] === 1 ? text.replaceAll('""', '"') : text;
  }

  isEmpty(i: number): boolean {
    return this.starts[i] === this.ends[i];
  }

  /** True when the field's text differs from its bytes (a quoted field with `""`), so ids must go through `text`. */
  hasEscapes(i: number): boolean {
    return this.escaped[i] === 1;
  }

  /**
   * Applies the id rule of every reader to field `i`: surrounding spaces are dropped (as around
   * counts, so `u1 ` and `u1` are one user), and a NUL byte is refused with a `LineError`, since
   * no text id holds one and it marks binary data. Returns false when nothing is left.
   */
  normalizeId(i: number, name: string): boolean {
    const bytes = this.bytes;
    let start = this.starts[i];
    let end = this.ends[i];
    while (start < end && bytes[start] === SPACE) start++;
    while (end > start && bytes[end - 1] === SPACE) end--;
    for (let p = start; p < end; p++) if (bytes[p] === 0) throw new LineError('a NUL byte in an id', name);
    this.starts[i] = start;
    this.ends[i] = end;
    return start < end;
  }

  /** The field as a decimal number, NaN when it is not one (see `parseDecimal`). */
  number(i: number): number {
    return parseDecimal(this.bytes, this.starts[i], this.ends[i]);
  }

  /** True when the fields equal `names`, ignoring case and surrounding spaces (a header line). */
  equalsNames(names: readonly string[]): boolean {
    if (this.count !== names.length) return false;
    for (let i = 0; i < names.length; i++) {
      if (this.text(i).trim().toLowerCase() !== names[i].toLowerCase()) return false;
    }
    return true;
  }

  private splitOnByte(bytes: Uint8Array, start: number, end: number): number {
    const d = this.delimiter[0];
    const view = this.viewOf(bytes);
    let n = 0;
    let fieldStart = start;
    let p = start;
    // Four bytes at a time: a word without the delimiter (most of them) costs one test.
    const pattern = d * 0x01010101;
    for (; p + 4 <= end; p += 4) {
      const v = view.getInt32(p) ^ pattern;
      if (((v - 0x01010101) & ~v & 0x80808080) === 0) continue;
      for (let q = p; q < p + 4; q++) {
        if (bytes[q] === d) {
          if (n === this.starts.length) this.grow();
          this.starts[n] = fieldStart;
          this.ends[n] = q;
          this.escaped[n] = 0;
          n++;
          fieldStart = q + 1;
        }
      }
    }
    for (; p < end; p++) {
      if (bytes[p] === d) {
        if (n === this.starts.length) this.grow();
        this.starts[n] = fieldStart;
        this.ends[n] = p;
        this.escaped[n] = 0;
        n++;
        fieldStart = p + 1;
      }
    }
    if (n === this.starts.length) this.grow();
    this.starts[n] = fieldStart;
    this.ends[n] = end;
    this.escaped[n] = 0;
    this.count = n + 1;
    return this.count;
  }

  /** A DataView of the line's buffer, remade only when the buffer changes (once per chunk). */
  private viewOf(bytes: Uint8Array): DataView {
    if (bytes !== this.viewBytes) {
      this.viewBytes = bytes;
      this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    return this.view;
  }

  private splitGeneral(bytes: Uint8Array, start: number, end: number): number {
    const width = this.delimiter.length;
    let n = 0;
    let p = start;
    while (true) {
      if (n === this.starts.length) this.grow();
      this.escaped[n] = 0;
      if (this.quotes && p < end && bytes[p] === QUOTE) {
        const open = p;
        p++;
        this.starts[n] = p;
        while (true) {
          if (p >= end) throw new LineError(`unterminated quoted field starting at byte ${open - start + 1}`);
          if (bytes[p] === QUOTE) {
            if (p + 1 < end && bytes[p + 1] === QUOTE) {
              this.escaped[n] = 1;
              p += 2;
              continue;
            }
            break;
          }
          p++;
        }
        this.ends[n] = p;
        p++;
        n++;
        if (p === end) break;
        if (!this.delimiterAt(bytes, p, end)) {
          throw new LineError(`unexpected text after the closing quote of field ${n}`);
        }
        p += width;
        continue;
      }
      this.starts[n] = p;
      while (p < end && !this.delimiterAt(bytes, p, end)) p++;
      this.ends[n] = p;
      n++;
      if (p === end) break;
      p += width;
    }
    this.count = n;
    return n;
  }

  private delimiterAt(bytes: Uint8Array, p: number, end: number): boolean {
    const d = this.delimiter;
    if (p < 0 || p + d.length > end) return false;
    for (let i = 0; i < d.length; i++) if (bytes[p + i] !== d[i]) return false;
    return true;
  }

  private grow(): void {
    const size = this.starts.length * 2;
    this.starts = grown(this.starts, size);
    this.ends = grown(this.ends, size);
    this.escaped = grown(this.escaped, size);
  }
}

function delimiterName(delimiter: string): string {
  switch (delimiter) {
    case '\t':
      return 'tab';
    case ',':
      return 'comma';
    case ';':
      return 'semicolon';
    default:
      return `'${delimiter}'`;
  }
}
