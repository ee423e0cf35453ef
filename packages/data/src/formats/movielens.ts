import type { InteractionFormat } from './format.ts';
import { LineError } from './line-error.ts';
import type { LineParser } from './run.ts';
import type { InteractionSink } from './sink.ts';
import { type TableLayout, TableParser } from './table.ts';

type Variant = Pick<TableLayout, 'delimiter' | 'names' | 'header'>;

const DAT: Variant = { delimiter: '::', names: ['UserID', 'MovieID', 'Rating', 'Timestamp'], header: 'none' };
const UDATA: Variant = {
  delimiter: '\t',
  names: ['user_id', 'item_id', 'rating', 'timestamp'],
  header: 'none',
};
const CSV: Variant = {
  delimiter: ',',
  names: ['userId', 'movieId', 'rating', 'timestamp'],
  header: 'detect',
};

/**
 * MovieLens explicit ratings (0.5–5), the variant recognised from the first line: `u.data`
 * (ML-100K, tab-separated), `ratings.dat` (ML-1M/10M, `::`-separated) or `ratings.csv`
 * (ML-latest/20M+, comma-separated with a `userId,movieId,rating,timestamp` header). User and
 * movie ids are integers in every variant, which is checked.
 */
export const movielensFormat: InteractionFormat = {
  name: 'movielens',
  explicit: true,
  parser: (sink) => new MovieLensParser(sink),
};

class MovieLensParser implements LineParser {
  private table?: TableParser;
  private readonly sink: InteractionSink;

  constructor(sink: InteractionSink) {
    this.sink = sink;
  }

  flush(): void {
    this.table?.flush();
  }

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    if (!this.table) {
      const variant = detect(bytes, start, end);
      this.table = new TableParser(this.sink, {
        ...variant,
        user: 0,
        item: 1,
        value: 2,
        valueKind: 'rating',
        integerIds: 'movielens',
      });
    }
    this.table.parse(bytes, start, end, line);
  }
}

function detect(bytes: Uint8Array, start: number, end: number): Variant {
  const line = bytes.subarray(start, end);
  if (includes(line, '::')) return DAT;
  if (line.includes(9)) return UDATA;
  if (line.includes(44)) return CSV;
  throw new LineError(
    'not a MovieLens ratings file: expected user<TAB>item<TAB>rating<TAB>timestamp (u.data), ' +
      'user::item::rating::timestamp (ratings.dat) or a userId,movieId,rating,timestamp CSV (ratings.csv)',
    undefined,
    true,
  );
}

/** True when the ASCII `text` occurs in `bytes`. */
export function includes(bytes: Uint8Array, text: string): boolean {
  const first = text.charCodeAt(0);
  for (
    let p = bytes.indexOf(first);
    p >= 0 && p + text.length <= bytes.length;
    p = bytes.indexOf(first, p + 1)
  ) {
    let i = 1;
    while (i < text.length && bytes[p + i] === text.charCodeAt(i)) i++;
    if (i === text.length) return true;
  }
  return false;
}
