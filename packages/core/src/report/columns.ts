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

/** A p-value as the report prints it: three decimals, `< 0.001` below that, `–` when undefined. */
export function pValueText(p: number): string {
  if (!Number.isFinite(p)) return '–';
  return p < 0.001 ? '< 0.001' : p.toFixed(3);
}

/** A row's paired tests in words, for a table cell; undefined for the reference itself. */
export interface RowTests {
  /** Per-user squared error against the rating reference (SVD when in the run). */
  rating?: { against: string; text: string; significant: boolean };
  /** Per-user NDCG@K against the ranking reference (popularity when in the run). */
  ranking?: { against: string; text: string; significant: boolean };
}

/**
 * The paired t-tests of a row as the report's tables give them: the mean per-user difference
 * (model − reference) and its p-value, marked significant below 0.05.
 *
 * @example
 * rowTests(row).rating?.text; // 'ΔMSE −0.0123, p < 0.001'
 */
export function rowTests(row: ResultRow): RowTests {
  const out: RowTests = {};
  const signed = (x: number) => (x > 0 ? `+${x.toFixed(4)}` : x < 0 ? `−${(-x).toFixed(4)}` : '0.0000');
  const v = row.vsReference;
  if (v)
    out.rating = {
      against: v.model,
      text: `ΔMSE ${signed(v.meanMseDelta)}, p ${pValueText(v.pValueT).replace(/^(?=\d)/, '= ')}`,
      significant: v.pValueT < 0.05,
    };
  const r = row.rankingVsReference;
  if (r)
    out.ranking = {
      against: r.model,
      text: `ΔNDCG@${r.k} ${signed(r.meanNdcgDelta)}, p ${pValueText(r.pValueT).replace(/^(?=\d)/, '= ')}`,
      significant: r.pValueT < 0.05,
    };
  return out;
}
