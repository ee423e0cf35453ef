import { DataError } from '../errors.ts';
import { streamChunks } from './source.ts';

/** Compressed bytes handed to the decompressor at a time (see `gunzipIfNeeded`). */
const GZIP_PIECE = 4096;

/**
 * True when the bytes start with the gzip magic number (1f 8b).
 *
 * @example
 * isGzip(Uint8Array.of(0x1f, 0x8b, 8)); // true
 */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Passes chunks through unchanged, or decompresses them when the stream starts with the gzip
 * magic number, so `.gz` files work whatever their name. Uses the platform `DecompressionStream`
 * (Node ≥ 18 and every current browser). `label` names the input in errors.
 *
 * @example
 * for await (const chunk of gunzipIfNeeded(byteChunks(bytes), 'plays.tsv.gz')) handle(chunk);
 */
export async function* gunzipIfNeeded(
  chunks: AsyncIterable<Uint8Array>,
  label = '<stream>',
): AsyncGenerator<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  // The magic number may straddle chunks when a stream hands out single bytes.
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < 2) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    if (next.value.length === 0) continue;
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = head.length === 1 ? head[0] : concat(head, Math.min(headBytes, 2));
  if (!isGzip(first)) {
    yield* head;
    if (!ended) yield* { [Symbol.asyncIterator]: () => iterator };
    return;
  }
  if (typeof DecompressionStream === 'undefined') {
    throw new DataError('input is gzip-compressed but this runtime has no DecompressionStream', {
      file: label,
    });
  }
  const compressed = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) enqueuePieces(controller, chunk);
      if (ended) controller.close();
    },
    async pull(controller) {
      if (ended) return;
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        controller.close();
      } else {
        enqueuePieces(controller, next.value);
      }
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  const decompressed = compressed.pipeThrough(
    new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
  try {
    yield* streamChunks(decompressed);
  } catch (error) {
    // A failed read of the decompressed stream: bad gzip data (or the input itself failing).
    throw new DataError(`corrupt gzip data (${(error as Error).message})`, { file: label });
  }
}

/**
 * Hands compressed bytes on in small pieces: the decompressor emits all the output of a piece
 * at once, up to ~1000× its size for a bomb, so a whole 64 KB read would put 64 MB in memory.
 */
function enqueuePieces(controller: ReadableStreamDefaultController<Uint8Array>, chunk: Uint8Array): void {
  for (let p = 0; p < chunk.length; p += GZIP_PIECE) controller.enqueue(chunk.subarray(p, p + GZIP_PIECE));
}

function concat(parts: Uint8Array[], atLeast: number): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
    if (at >= atLeast) break;
  }
  return out.subarray(0, at);
}
