export { decodeText, parseDecimal } from './bytes.ts';
export { gunzipIfNeeded, isGzip } from './gzip.ts';
export { ByteInterner } from './interner.ts';
export { type FlushHandler, type LineHandler, LineSplitter } from './lines.ts';
export { type LineReadOptions, type ProgressInfo, readLines } from './read-lines.ts';
export { type ByteSource, byteChunks, sourceName, sourceSize } from './source.ts';
