import { Fields } from './fields.ts';
import type { CsvColumns, InteractionFormat } from './format.ts';
import { LineError, quote } from './line-error.ts';
import type { LineParser } from './run.ts';
import type { InteractionSink } from './sink.ts';
import { TableParser } from './table.ts';

/**
 * Any delimited file of interactions, with the columns named by `options.csv` (index or header
 * name). Fields may be quoted per RFC 4180 (not spanning lines). The header, or else the first
 * line, fixes the number of fields every line must have.
 *
 * @example
 * await readInteractions(text, { format: 'csv', csv: { user: 'listener', item: 'track', count: 'plays' } });
 */
export const csvFormat: InteractionFormat = {
  name: 'csv',
  explicit: false,
  parser: (sink, options) => {
    if (!options.csv)
      throw new TypeError("format 'csv' needs the column mapping `csv: { user, item, count? }`");
    return new CsvParser(sink, options.csv);
  },
};

class CsvParser implements LineParser {
  private table?: TableParser;
  private readonly sink: InteractionSink;
  private readonly columns: CsvColumns;
  private readonly delimiter: string;
  private readonly header: boolean;

  constructor(sink: InteractionSink, columns: CsvColumns) {
    this.sink = sink;
    this.columns = columns;
    this.delimiter = columns.delimiter ?? ',';
    const named = [columns.user, columns.item, columns.count].some((c) => typeof c === 'string');
    this.header = columns.header ?? named;
    if (named && !this.header)
      throw new TypeError('csv columns given by name need a header line (header: true)');
    for (const c of [columns.user, columns.item, columns.count]) {
      if (typeof c === 'number' && !(Number.isInteger(c) && c >= 0)) {
        throw new TypeError(`csv column index must be a whole number ≥ 0, got ${c}`);
      }
    }
  }

  flush(): void {
    this.table?.flush();
  }

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    if (this.table) {
      this.table.parse(bytes, start, end, line);
      return;
    }
    // The first line decides the shape; it is data unless the file has a header.
    const first = new Fields(this.delimiter, { quotes: true });
    const n = first.split(bytes, start, end);
    const names = this.header
      ? Array.from({ length: n }, (_, i) => first.text(i).trim())
      : Array.from({ length: n }, (_, i) => `column ${i + 1}`);
    const find = (column: number | string): number => {
      const index = typeof column === 'number' ? column : names.indexOf(column);
      if (index < 0) {
        throw new LineError(
          `no column named ${quote(String(column))} in the header ${quote(names.join(', '), 200)}`,
          undefined,
          true,
        );
      }
      if (index >= n)
        throw new LineError(`column ${index} does not exist: the file has ${n} columns`, undefined, true);
      return index;
    };
    const { user, item, count } = this.columns;
    this.table = new TableParser(this.sink, {
      delimiter: this.delimiter,
      quotes: true,
      names,
      header: 'none',
      user: find(user),
      item: find(item),
      value: count === undefined ? undefined : find(count),
      valueKind: 'weight',
    });
    if (!this.header) this.table.parse(bytes, start, end, line);
  }
}
