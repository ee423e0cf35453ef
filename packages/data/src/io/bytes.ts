const decoder = new TextDecoder();

/**
 * UTF-8 text of `bytes[start..end)`; invalid sequences become U+FFFD. Short ASCII (ids) skips
 * the TextDecoder call, which costs more than the decoding itself for a few bytes.
 *
 * @example
 * decodeText(new TextEncoder().encode('x\tBjörk'), 2, 8); // 'Björk'
 */
export function decodeText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let ascii = true;
    for (let p = start; p < end; p++) {
      if (bytes[p] >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  return decoder.decode(bytes.subarray(start, end));
}

const SPACE = 32;
const ZERO = 48;
const DOT = 46;

/**
 * The decimal number written in `bytes[start..end)` (surrounding spaces allowed), or NaN when it
 * is not one: empty, words such as `NaN`/`inf`, hex, or trailing junk are all NaN. Out-of-range
 * values such as `1e999` give ±Infinity, which the caller reports as not finite. Plain integers
 * are parsed without creating a string.
 *
 * @example
 * const b = new TextEncoder().encode('12\t3.5\tx');
 * parseDecimal(b, 0, 2); // 12
 * parseDecimal(b, 3, 6); // 3.5
 * parseDecimal(b, 7, 8); // NaN
 */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  while (start < end && bytes[start] === SPACE) start++;
  while (end > start && bytes[end - 1] === SPACE) end--;
  const n = end - start;
  if (n > 0 && n <= 15) {
    let value = 0;
    let p = start;
    for (; p < end; p++) {
      const digit = bytes[p] - ZERO;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (p === end) return value;
  }
  return isDecimalSyntax(bytes, start, end) ? Number(decodeText(bytes, start, end)) : Number.NaN;
}

/** `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?` — what Number() accepts minus hex, Infinity and blanks. */
function isDecimalSyntax(bytes: Uint8Array, start: number, end: number): boolean {
  let p = start;
  if (p < end && (bytes[p] === 43 || bytes[p] === 45)) p++;
  const intStart = p;
  while (p < end && isDigit(bytes[p])) p++;
  let digits = p - intStart;
  if (p < end && bytes[p] === DOT) {
    p++;
    const fracStart = p;
    while (p < end && isDigit(bytes[p])) p++;
    digits += p - fracStart;
  }
  if (digits === 0) return false;
  if (p < end && (bytes[p] === 101 || bytes[p] === 69)) {
    p++;
    if (p < end && (bytes[p] === 43 || bytes[p] === 45)) p++;
    const expStart = p;
    while (p < end && isDigit(bytes[p])) p++;
    if (p === expStart) return false;
  }
  return p === end;
}

function isDigit(b: number): boolean {
  return b >= ZERO && b <= ZERO + 9;
}
