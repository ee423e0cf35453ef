import type { ItemInfo } from '../dataset.ts';
import type { Fields } from './fields.ts';
import { type InfoLayout, type InfoParser, InfoTableParser, type ItemInfoFormat } from './info-table.ts';
import { LineError } from './line-error.ts';
import { includes } from './movielens.ts';

const GENRES_100K = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

const title = (f: Fields): ItemInfo => ({ title: f.legacyText(1) });

type Layout = Omit<InfoLayout, 'info' | 'key' | 'required' | 'integerKey'>;

/** ML-100K `u.item`: id|title|release date|video release date|IMDb URL|19 genre flags. */
const UITEM: Layout = {
  delimiter: '|',
  names: ['movie id', 'movie title', 'release date', 'video release date', 'IMDb URL', ...GENRES_100K],
  minColumns: 2,
  header: 'none',
};
/** ML-1M/10M `movies.dat`: MovieID::Title::Genres. */
const DAT: Layout = { delimiter: '::', names: ['MovieID', 'Title', 'Genres'], minColumns: 2, header: 'none' };
/** ML-latest/20M+ `movies.csv`: movieId,title,genres after a header, titles quoted when they hold a comma. */
const CSV: Layout = {
  delimiter: ',',
  quotes: true,
  names: ['movieId', 'title', 'genres'],
  minColumns: 2,
  header: 'detect',
};

/**
 * MovieLens movie titles by movie id, the variant recognised from the first line as for the
 * ratings (see `movielensFormat`): `u.item` (ML-100K, `|`-separated, Latin-1), `movies.dat`
 * (ML-1M/10M, `::`-separated) or `movies.csv` (ML-latest/20M+, quoted CSV with a header).
 * Titles are read as UTF-8 when valid, else as Latin-1 (`Misérables` in `u.item` is byte 0xE9).
 * Ids are integers, as in the ratings files.
 *
 * @example
 * const info = await readItemInfo(uItem, { format: 'movielens' });
 * info.get('1'); // { title: 'Toy Story (1995)' }
 */
export const movielensItemsFormat: ItemInfoFormat = {
  name: 'movielens',
  parser: (info) => new MovieLensItemsParser(info),
};

class MovieLensItemsParser implements InfoParser {
  private table?: InfoTableParser;
  private readonly info: Map<string, ItemInfo>;

  constructor(info: Map<string, ItemInfo>) {
    this.info = info;
  }

  get accepted(): number {
    return this.table?.accepted ?? 0;
  }

  get repeats(): number {
    return this.table?.repeats ?? 0;
  }

  parse(bytes: Uint8Array, start: number, end: number, line: number): void {
    if (!this.table) {
      this.table = new InfoTableParser(this.info, {
        ...detect(bytes.subarray(start, end)),
        key: 0,
        required: [1],
        info: title,
        integerKey: 'movielens',
      });
    }
    this.table.parse(bytes, start, end, line);
  }
}

function detect(line: Uint8Array): Layout {
  if (includes(line, '::')) return DAT;
  if (includes(line, '|')) return UITEM;
  if (includes(line, ',')) return CSV;
  throw new LineError(
    'not a MovieLens movies file: expected id|title|… (u.item), id::title::genres (movies.dat) ' +
      'or a movieId,title,genres CSV (movies.csv)',
    undefined,
    true,
  );
}
