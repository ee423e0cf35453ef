import type { ParseReport } from '../dataset.ts';
import { type ByteSource, sourceName } from '../io/source.ts';
import { MAX_EXACT_COUNT } from '../triplets.ts';
import { Fields } from './fields.ts';
import { LineError, quote } from './line-error.ts';
import { type CommonReadOptions, type LineParser, noDataError, runLineParser } from './run.ts';
import { readValue } from './table.ts';

/** One song (or artist) of a listener's history with its play count. */
export interface PlayCount {
  item: string;
  count: number;
  /** The line the item first appeared on, so a later step (e.g. `resolvePlayNames`) can name it. */
  line?: number;
}

/** What `readPlays` returns: the plays in order of first appearance, and what the read saw. */
export interface PlaysRead {
  plays: PlayCount[];
  /** `accepted` counts data lines; `duplicates` the lines whose song had appeared before. */
  report: ParseReport;
}

const FIELD_NAMES = ['song_id', 'count'] as const;
const TAB = 9;
const COMMA = 44;

/** Header words recognised on line 1 (compared ignoring case and surrounding spaces). */
const ID_HEADERS = new Set([
  'song_id',
  'song',
  'songid',
  'item',
  'item_id',
  'track',
  'track_id',
  'artist',
  'artist_id',
  'artistid',
  'id',
]);
const COUNT_HEADERS = new Set(['count', 'counts', 'plays', 'play_count', 'playcount', 'listens', 'weight']);

/**
 * Reads one listener's plays — the input of `recommendForPlays` — from lines of
 * `song_id<TAB>count`, `song_id,count` (RFC 4180 quotes allowed) or a bare `song_id` (one play).
 * The first line with a tab, or else a comma, fixes the delimiter for the file, so ids with
 * commas are safe in a tab-separated file. Line 1 is a header when it names the columns (e.g.
 * `song_id<TAB>count`, `song,plays`). Counts are positive whole numbers; a song listed twice
 * has its counts summed (`report.duplicates` says how often). Strict mode (default) throws a
 * `DataError` naming the file, line and field; lenient mode skips bad lines and counts them.
 * A file without any play is an error in both modes.
 *
 * @example
 * const { plays, report } = await readPlays('song_id\tcount\nSOAAA\t3\nSOBBB\nSOAAA\t2\n');
 * plays;             // [{ item: 'SOAAA', count: 5, line: 2 }, { item: 'SOBBB', count: 1, line: 3 }]
 * report.duplicates; // 1
 */
export async function readPlays(source: ByteSource, options: CommonReadOptions = {}): Promise<PlaysRead> {
  const label = options.name ?? sourceName(source) ?? '<stream>';
  const parser = new PlaysParser();
  const report = await runLineParser(source, parser, label, options);
  report.accepted = parser.accepted;
  report.duplicates = parser.duplicates;
  if (parser.counts.size === 0) throw noDataError(report);
  const plays = Array.from(parser.counts, ([item, count]) => ({ item, count, line: parser.lines.get(item) }));
  return { plays, report };
}

/** Line parser of a plays file; sums counts by id in a map, in order of first appearance. */
class PlaysParser implements LineParser {
  readonly counts = new Map<string, number>();
  /** The line each item first appeared on. */
  readonly lines = new Map<string, number>();
  accepted = 0;
  duplicates = 0;
  private fields?: Fields;
  /** Splits nothing in practice: lines before the delimiter is known hold no tab. */
  private readonly bare = new Fields('\t');
  private seenData = false;

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    const f = this.fieldsFor(bytes, start, end);
    const n = f.split(bytes, start, end);
    const first = !this.seenData;
    this.seenData = true;
    if (first && line === 1 && isHeader(f, n)) return;
    if (n > 2)
      throw new LineError(`expected song_id or song_id and count, found ${n} ${f.description} fields`);
    if (!f.normalizeId(0, FIELD_NAMES[0])) throw new LineError('empty id', FIELD_NAMES[0]);
    const count = n === 2 ? readValue(f, 1, 'plays', FIELD_NAMES[1]) : 1;
    const item = f.text(0);
    // Only a comma-separated file lets a tab through to here; that is a mixed-up file, not an id.
    if (item.includes('\t')) throw new LineError('a tab in a comma-separated file', FIELD_NAMES[0]);
    const before = this.counts.get(item);
    if (before !== undefined) this.duplicates++;
    else this.lines.set(item, line);
    const sum = (before ?? 0) + count;
    if (sum > MAX_EXACT_COUNT)
      throw new LineError(
        `the plays of ${quote(item)} add up to ${sum.toLocaleString('en')}, above ${MAX_EXACT_COUNT.toLocaleString('en')}, the largest count stored exactly`,
        FIELD_NAMES[1],
      );
    this.counts.set(item, sum);
    this.accepted++;
  }

  /** The file's splitter, fixed by the first line holding a tab or a comma; until then lines are bare ids. */
  private fieldsFor(bytes: Uint8Array, start: number, end: number): Fields {
    if (this.fields) return this.fields;
    const line = bytes.subarray(start, end);
    if (line.includes(TAB)) this.fields = new Fields('\t');
    else if (line.includes(COMMA)) this.fields = new Fields(',', { quotes: true });
    // A tab splitter on a line without tabs yields the whole line as one field.
    return this.fields ?? this.bare;
  }
}

function isHeader(f: Fields, n: number): boolean {
  const name = (i: number) => f.text(i).trim().toLowerCase();
  if (n === 1) return ID_HEADERS.has(name(0));
  if (n !== 2 || !Number.isNaN(f.number(1))) return false;
  return ID_HEADERS.has(name(0)) || COUNT_HEADERS.has(name(1));
}
