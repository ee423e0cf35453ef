import type { FormatName, ItemInfo } from '../dataset.ts';
import { Fields } from './fields.ts';
import { checkIntegerId } from './integer-ids.ts';
import { LineError } from './line-error.ts';
import type { LineParser } from './run.ts';

/** Metadata formats: files that give display info for item ids, not interactions. */
export type ItemInfoFormatName = 'lastfm-hetrec' | 'msd-tracks' | 'movielens';

export interface ItemInfoFormat {
  readonly name: ItemInfoFormatName;
  parser(info: Map<string, ItemInfo>): InfoParser;
}

/** A line parser that fills a map of item info, counting the lines it took and the ids seen again. */
export interface InfoParser extends LineParser {
  readonly accepted: number;
  readonly repeats: number;
}

/** The shape of a delimited metadata file. */
export interface InfoLayout {
  delimiter: string;
  /** Fields may be wrapped in double quotes (RFC 4180), as in CSV files. */
  quotes?: boolean;
  names: readonly string[];
  /** Fewest fields a line may have; at most `names.length`. Defaults to `names.length`. */
  minColumns?: number;
  header: 'none' | 'detect';
  /** Column of the item id. */
  key: number;
  /** Columns that must not be empty besides the key. */
  required?: readonly number[];
  info: (fields: Fields) => ItemInfo;
  /** The format, when its ids are decimal integers: other keys are rejected (see `checkIntegerId`). */
  integerKey?: FormatName;
}

/**
 * Line parser for metadata files: checks the field count and required fields, and maps the id
 * to its info, keeping the first line for an id seen twice.
 *
 * @example
 * const info = new Map();
 * const parser = new InfoTableParser(info, { delimiter: '\t', names: ['id', 'name'], header: 'none',
 *   key: 0, info: (f) => ({ artist: f.text(1) }) });
 */
export class InfoTableParser implements InfoParser {
  /** Lines accepted, and how many of them repeated an id already seen. */
  accepted = 0;
  repeats = 0;
  private readonly fields: Fields;
  private readonly map: Map<string, ItemInfo>;
  private readonly layout: InfoLayout;
  private readonly minColumns: number;

  constructor(map: Map<string, ItemInfo>, layout: InfoLayout) {
    this.map = map;
    this.layout = layout;
    this.fields = new Fields(layout.delimiter, { quotes: layout.quotes });
    this.minColumns = layout.minColumns ?? layout.names.length;
  }

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    const f = this.fields;
    const { names, key } = this.layout;
    const n = f.split(bytes, start, end);
    if (line === 1 && this.layout.header === 'detect' && f.equalsNames(names)) return;
    if (n < this.minColumns || n > names.length) {
      const expected =
        this.minColumns === names.length ? `${names.length}` : `${this.minColumns} to ${names.length}`;
      throw new LineError(`expected ${expected} ${f.description} fields, found ${n}`);
    }
    if (!f.normalizeId(key, names[key])) throw new LineError('empty id', names[key]);
    if (this.layout.integerKey)
      checkIntegerId(f, key, names[key], this.layout.integerKey, this.accepted === 0);
    for (const column of this.layout.required ?? []) {
      if (f.isEmpty(column)) throw new LineError('empty value', names[column]);
    }
    const id = f.text(key);
    this.accepted++;
    if (this.map.has(id)) this.repeats++;
    else this.map.set(id, this.layout.info(f));
  }
}
