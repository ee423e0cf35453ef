import type { FormatName, ItemInfo } from '../dataset.ts';
import type { ByteInterner } from '../io/interner.ts';
import { countProblem, MAX_EXACT_COUNT } from '../triplets.ts';
import { Fields } from './fields.ts';
import { checkIntegerId } from './integer-ids.ts';
import { LineError, quote } from './line-error.ts';
import type { LineParser } from './run.ts';
import type { InteractionSink } from './sink.ts';

/**
 * What a value column holds: `plays` positive integers, `weight` positive numbers, `rating`
 * explicit ratings on the 0.5–5 scale.
 */
export type ValueKind = 'plays' | 'weight' | 'rating';

/** The shape of a delimited interaction file: which column is what. */
export interface TableLayout {
  delimiter: string;
  quotes?: boolean;
  /** Field names in column order, used in messages and to recognise a header line. */
  names: readonly string[];
  /** Fields every line must have; defaults to `names.length`. */
  columns?: number;
  /** `detect`: line 1 is skipped when its fields equal `names` (ignoring case). */
  header: 'none' | 'detect';
  user: number;
  item: number;
  /** Column holding the count or rating; without it every line counts as one play. */
  value?: number;
  valueKind: ValueKind;
  /** Derives the item id from several fields (checking them, throwing `LineError`) instead of the `item` column. */
  itemKey?: (fields: Fields, items: ByteInterner) => number;
  /** Display info for an item, taken from the first line where it appears. */
  info?: (fields: Fields) => ItemInfo | undefined;
  /**
   * The format, when its user and item ids are decimal integers (HetRec, MovieLens): other ids
   * are rejected (see `checkIntegerId`), so a file of another format is not read as this one.
   */
  integerIds?: FormatName;
}

/** Lines whose ids are interned together (see `ByteInterner.internMany`). */
const BATCH = 1024;

/**
 * The one line parser behind every interaction format: split, check the field count and every
 * field, and only then intern the ids and add the triplet, so a rejected line leaves no trace
 * (no user or item without interactions). Plain id columns are interned in batches of lines,
 * which is what makes big files fast; derived ids (`itemKey`) and item info go line by line.
 *
 * @example
 * const sink = new InteractionSink();
 * const parser = new TableParser(sink, { delimiter: '\t', names: ['user', 'item', 'plays'], header: 'none',
 *   user: 0, item: 1, value: 2, valueKind: 'plays' });
 * const line = new TextEncoder().encode('u1\ts1\t3');
 * parser.parse(line, 0, line.length, 1);
 */
export class TableParser implements LineParser {
  private readonly fields: Fields;
  private readonly sink: InteractionSink;
  private readonly layout: TableLayout;
  private readonly columns: number;
  private readonly valueColumn: number;
  private readonly valueName: string;
  private readonly batchable: boolean;
  /** True once a line was accepted: a line of another format before that means a wrong --format. */
  private accepted = false;
  /** Lines waiting to be interned: id offsets into `pendingBytes`, and their values. */
  private pending = 0;
  private pendingBytes: Uint8Array | undefined;
  private readonly userStarts = new Int32Array(BATCH);
  private readonly userEnds = new Int32Array(BATCH);
  private readonly itemStarts = new Int32Array(BATCH);
  private readonly itemEnds = new Int32Array(BATCH);
  private readonly values = new Float64Array(BATCH);
  private readonly userOut = new Int32Array(BATCH);
  private readonly itemOut = new Int32Array(BATCH);

  constructor(sink: InteractionSink, layout: TableLayout) {
    this.sink = sink;
    this.layout = layout;
    this.fields = new Fields(layout.delimiter, { quotes: layout.quotes });
    this.columns = layout.columns ?? layout.names.length;
    this.valueColumn = layout.value ?? -1;
    this.valueName = layout.value === undefined ? '' : layout.names[layout.value];
    this.batchable = !layout.itemKey && !layout.info;
  }

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    const f = this.fields;
    const layout = this.layout;
    const n = f.split(bytes, start, end);
    if (line === 1 && layout.header === 'detect' && f.equalsNames(layout.names)) return;
    if (n !== this.columns) {
      throw new LineError(`expected ${this.columns} ${f.description} fields, found ${n}`);
    }
    const userColumn = layout.user;
    const itemColumn = layout.item;
    if (!f.normalizeId(userColumn, layout.names[userColumn]))
      throw new LineError('empty id', layout.names[userColumn]);
    if (!layout.itemKey && !f.normalizeId(itemColumn, layout.names[itemColumn]))
      throw new LineError('empty id', layout.names[itemColumn]);
    // Ids before the value: a line of another format is best explained by its ids.
    if (layout.integerIds) {
      checkIntegerId(f, userColumn, layout.names[userColumn], layout.integerIds, !this.accepted);
      if (!layout.itemKey)
        checkIntegerId(f, itemColumn, layout.names[itemColumn], layout.integerIds, !this.accepted);
    }
    const value = this.valueColumn < 0 ? 1 : readValue(f, this.valueColumn, layout.valueKind, this.valueName);
    this.accepted = true;
    if (this.batchable && !f.hasEscapes(userColumn) && !f.hasEscapes(itemColumn)) {
      if (bytes !== this.pendingBytes) {
        this.flush();
        this.pendingBytes = bytes;
      }
      const i = this.pending++;
      this.userStarts[i] = f.starts[userColumn];
      this.userEnds[i] = f.ends[userColumn];
      this.itemStarts[i] = f.starts[itemColumn];
      this.itemEnds[i] = f.ends[itemColumn];
      this.values[i] = value;
      if (this.pending === BATCH) this.flush();
      return;
    }
    // Keeps ids in order of first appearance: pending lines come before this one.
    this.flush();
    const sink = this.sink;
    const itemsBefore = sink.items.index.size;
    const item = layout.itemKey ? layout.itemKey(f, sink.items) : internField(f, itemColumn, sink.items);
    const user = internField(f, userColumn, sink.users);
    if (layout.info && sink.items.index.size > itemsBefore) sink.itemInfo[item] = layout.info(f);
    sink.add(user, item, value);
  }

  flush(): void {
    const n = this.pending;
    if (n === 0 || !this.pendingBytes) return;
    this.pending = 0;
    const { sink, userOut, itemOut, values } = this;
    sink.users.internMany(this.pendingBytes, this.userStarts, this.userEnds, n, userOut);
    sink.items.internMany(this.pendingBytes, this.itemStarts, this.itemEnds, n, itemOut);
    for (let i = 0; i < n; i++) sink.add(userOut[i], itemOut[i], values[i]);
  }
}

/** Dense index of field `i` as an id. */
export function internField(f: Fields, i: number, ids: ByteInterner): number {
  return f.hasEscapes(i) ? ids.internString(f.text(i)) : ids.intern(f.bytes, f.starts[i], f.ends[i]);
}

/**
 * Field `i` as a value of the given kind, or a `LineError` saying what is wrong with it.
 *
 * @example
 * readValue(fields, 2, 'plays', 'play_count'); // 3, or throws LineError('must be positive, got "0"', 'play_count')
 */
export function readValue(f: Fields, i: number, kind: ValueKind, name: string): number {
  const value = f.number(i);
  if (value > 0 && value <= MAX_EXACT_COUNT && (kind !== 'plays' || Number.isInteger(value))) {
    if (kind === 'rating' ? value >= 0.5 && value <= 5 : Math.fround(value) > 0) return value;
  }
  if (f.isEmpty(i)) throw new LineError('empty value', name);
  throw new LineError(countProblem(value, kind, quote(f.text(i))) ?? 'not a count', name);
}
