import type { FormatName } from '../dataset.ts';
import type { LineParser } from './run.ts';
import type { InteractionSink } from './sink.ts';

/** Column mapping for the generic `csv` format: a column index (0-based) or a header name. */
export interface CsvColumns {
  /** Field delimiter; default `,`. */
  delimiter?: string;
  /** Whether line 1 names the columns; default true when any column is given by name. */
  header?: boolean;
  user: number | string;
  item: number | string;
  /** Play count column; without it every line is one play and repeated pairs add up. */
  count?: number | string;
}

/** An interaction file format: makes a fresh line parser for each read. */
export interface InteractionFormat {
  readonly name: FormatName;
  /** True when values are explicit ratings rather than play counts. */
  readonly explicit: boolean;
  parser(sink: InteractionSink, options: { csv?: CsvColumns }): LineParser;
}
