/**
 * Anything a reader accepts: a web stream (fetch body, `File.stream()`), any async iterable of
 * byte chunks (a Node `fs.ReadStream`), a `Blob`/`File`, bytes already in memory, or text.
 */
export type ByteSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Blob | Uint8Array | string;

/** Big in-memory inputs are handed on in slices so progress reports and line carry stay small. */
const SLICE_BYTES = 1 << 20;
const SLICE_CHARS = 1 << 19;

/**
 * The source as a sequence of byte chunks, without reading it all first. Stops (and cancels a
 * web stream, closing its file) when the consumer stops early.
 *
 * @example
 * for await (const chunk of byteChunks('a\tb\n')) console.log(chunk.length); // 4
 */
export async function* byteChunks(source: ByteSource): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    yield* textChunks(source);
  } else if (source instanceof Uint8Array) {
    for (let p = 0; p < source.length; p += SLICE_BYTES) yield source.subarray(p, p + SLICE_BYTES);
  } else if (isBlob(source)) {
    yield* streamChunks(source.stream() as ReadableStream<Uint8Array>);
  } else if (isReadableStream(source)) {
    yield* streamChunks(source);
  } else {
    yield* source;
  }
}

/**
 * Size in bytes when it is known without reading (bytes in memory, a `Blob`/`File`).
 *
 * @example
 * sourceSize(file); // file.size
 * sourceSize('text'); // undefined: the UTF-8 length is not known without encoding
 */
export function sourceSize(source: ByteSource): number | undefined {
  if (source instanceof Uint8Array) return source.byteLength;
  if (isBlob(source)) return source.size;
  return undefined;
}

/**
 * The file name of a browser `File`, for messages.
 *
 * @example
 * sourceName(new File(['…'], 'user_artists.dat')); // 'user_artists.dat'
 */
export function sourceName(source: ByteSource): string | undefined {
  if (isBlob(source) && 'name' in source && typeof source.name === 'string' && source.name !== '') {
    return source.name;
  }
  return undefined;
}

function* textChunks(text: string): Generator<Uint8Array> {
  const encoder = new TextEncoder();
  for (let p = 0; p < text.length; ) {
    let end = Math.min(p + SLICE_CHARS, text.length);
    // Never cut a surrogate pair: each half alone would encode as U+FFFD.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield encoder.encode(text.slice(p, end));
    p = end;
  }
}

/** The chunks of a web stream; cancels it (closing its file) when the consumer stops early. */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  // getReader rather than `for await` on the stream: Safari's streams are not async iterable.
  const reader = stream.getReader();
  let done = false;
  try {
    while (true) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

function isBlob(source: unknown): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

function isReadableStream(source: unknown): source is ReadableStream<Uint8Array> {
  return typeof (source as ReadableStream).getReader === 'function';
}
