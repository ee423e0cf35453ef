import type { ResultRow } from './result.ts';

/** One column of the comparison table: how to read, print and rank it. */
export interface ResultColumn {
  key: string;
  title: string;
  /** Which way is better, or undefined when no best is marked (time, epochs: not quality). */
  better?: 'lower' | 'higher';
  format: (value: number) => string;
}

const fixed = (digits: number) => (x: number) => x.toFixed(digits);

/** The table's columns, ranking metrics at cut-off `k`. */
export function resultColumns(k: number): ResultColumn[] {
  return [
    { key: 'rmse', title: 'RMSE', better: 'lower', format: fixed(4) },
    { key: 'mae', title: 'MAE', better: 'lower', format: fixed(4) },
    { key: 'rmseWarm', title: 'RMSE warm', better: 'lower', format: fixed(4) },
    { key: 'rmseCold', title: 'RMSE cold', better: 'lower', format: fixed(4) },
    { key: `precision@${k}`, title: `P@${k}`, better: 'higher', format: fixed(4) },
    { key: `recall@${k}`, title: `R@${k}`, better: 'higher', format: fixed(4) },
    { key: `ndcg@${k}`, title: `NDCG@${k}`, better: 'higher', format: fixed(4) },
    { key: 'trainSeconds', title: 'train s', format: fixed(1) },
    { key: 'epochs', title: 'epochs', format: (x) => String(Math.round(x)) },
  ];
}

/** A row's value in a column, or undefined when missing (e.g. no cold test ratings). */
export function cellValue(row: ResultRow, key: string): number | undefined {
  const v = (row as unknown as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * Index of the best row per column (ties: the first), for marking. Columns where fewer than
 * two rows have a value mark nothing: a lone value is not "best".
 *
 * @example
 * bestRows(rows, resultColumns(10)).get('rmse'); // 1
 */
export function bestRows(rows: readonly ResultRow[], columns: readonly ResultColumn[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const c of columns) {
    if (!c.better) continue;
    let at = -1;
    let count = 0;
    rows.forEach((row, i) => {
      const v = cellValue(row, c.key);
      if (v === undefined) return;
      count++;
      const current = at < 0 ? undefined : cellValue(rows[at], c.key)!;
      if (current === undefined || (c.better === 'lower' ? v < current : v > current)) at = i;
    });
    if (count >= 2 && at >= 0) best.set(c.key, at);
  }
  return best;
}

/** The cell text of a row: formatted value, `–` when missing, `sd` appended for k-fold. */
export function cellText(row: ResultRow, column: ResultColumn): string {
  const v = cellValue(row, column.key);
  if (v === undefined) return '–';
  const sd = row.sd?.[column.key];
  return sd === undefined || column.key === 'epochs'
    ? column.format(v)
    : `${column.format(v)} ±${column.format(sd)}`;
}
