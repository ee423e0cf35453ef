export { decodeText, parseDecimal } from './bytes.ts';
export { gunzipIfNeeded, isGzip } from './gzip.ts';
export { ByteInterner } from './interner.ts';
export {
  DEFAULT_MAX_LINE_BYTES,
  type FlushHandler,
  type LineHandler,
  LineSplitter,
  type LineSplitterOptions,
} from './lines.ts';
export { type LineReadOptions, type ProgressInfo, readLines } from './read-lines.ts';
export { type ByteSource, byteChunks, sourceName, sourceSize } from './source.ts';
