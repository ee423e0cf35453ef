import type { ItemInfo } from './dataset.ts';
import { type FormatWords, formatWords, itemLabel } from './formats/item-info.ts';
import type { PlayCount } from './formats/plays.ts';

/** What a name in a listener's file turned out to be. */
export type NameMatch =
  | { kind: 'id'; id: string }
  | { kind: 'name'; id: string }
  | { kind: 'ambiguous'; candidates: { id: string; label: string }[] }
  | { kind: 'unknown' };

/** A line of a plays file that named no single item of the catalogue. */
export interface IgnoredPlay {
  /** The id or name as written. */
  text: string;
  /** The line it first appeared on, when known. */
  line?: number;
  /** Why it was left out, in words (e.g. `matches 2 artists: …`). */
  reason: string;
}

/** Candidates listed for an ambiguous name; more are counted, not listed. */
const MAX_CANDIDATES = 5;

/**
 * Finds catalogue items by id or by name, so a new listener can write `Metallica` instead of
 * artist id `377`. A text is looked up as an id first, then as an exact name — the item's label
 * (`Artist — Title`, or the artist or title alone when only one is known) or its title — then as
 * the same names folded: Unicode compatibility forms, case and accents ignored (`motorhead` finds
 * `Motörhead`), runs of spaces as one, and ` - ` read as ` — `. A name shared by several items
 * is ambiguous and lists them rather than picking one.
 *
 * @example
 * const names = new ItemNames(['377', '378'], [{ artist: 'Metallica' }, { artist: 'Megadeth' }]);
 * names.match('metallica'); // { kind: 'name', id: '377' }
 * names.match('377');       // { kind: 'id', id: '377' }
 */
export class ItemNames {
  private readonly ids: ReadonlySet<string>;
  private readonly exact = new Map<string, number[]>();
  private readonly folded = new Map<string, number[]>();
  private readonly labels: string[];
  private readonly idList: readonly string[];

  /** `info[i]` is the display info of `ids[i]` (undefined when the data had none). */
  constructor(ids: readonly string[], info: readonly (ItemInfo | undefined)[]) {
    this.idList = ids;
    this.ids = new Set(ids);
    this.labels = ids.map((id, i) => itemLabel(id, info[i]));
    for (let i = 0; i < ids.length; i++) {
      const item = info[i];
      if (!item?.artist && !item?.title) continue;
      const names = new Set([this.labels[i]]);
      if (item.title) names.add(item.title);
      for (const name of names) {
        add(this.exact, name, i);
        add(this.folded, fold(name), i);
      }
    }
  }

  /** True when any item has a name, so names can be looked up at all. */
  get hasNames(): boolean {
    return this.exact.size > 0;
  }

  /** The item `text` names: an id, one item by name, several (ambiguous) or none. */
  match(text: string): NameMatch {
    if (this.ids.has(text)) return { kind: 'id', id: text };
    const found = this.exact.get(text) ?? this.folded.get(fold(text));
    if (!found) return { kind: 'unknown' };
    if (found.length === 1) return { kind: 'name', id: this.idList[found[0]] };
    return {
      kind: 'ambiguous',
      candidates: found.map((i) => ({ id: this.idList[i], label: this.labels[i] })),
    };
  }
}

/**
 * Turns a listener's plays written with ids or names into plays by id — counts of lines naming
 * the same item summed, in order of first appearance — and the lines that named nothing, with
 * the reason. `words` name the items in reasons (see `formatWords`; songs by default).
 *
 * A comma-and-count at the end of a name in a tab-separated file (`Metallica,707`) is usually a
 * line written for another delimiter: when the text before the comma names an item, the reason
 * says so.
 *
 * @example
 * const { plays, ignored } = resolvePlayNames(
 *   [{ item: 'Metallica', count: 707, line: 1 }, { item: 'Nobody', count: 3, line: 2 }], names, formatWords('lastfm-hetrec'));
 * plays;   // [{ item: '377', count: 707, line: 1 }]
 * ignored; // [{ text: 'Nobody', line: 2, reason: 'no artist has this id or name' }]
 */
export function resolvePlayNames(
  plays: readonly PlayCount[],
  names: ItemNames,
  words: Pick<FormatWords, 'item' | 'items'> = formatWords('songs'),
): { plays: PlayCount[]; ignored: IgnoredPlay[] } {
  const byId = new Map<string, PlayCount>();
  const ignored: IgnoredPlay[] = [];
  for (const play of plays) {
    const found = names.match(play.item);
    if (found.kind === 'id' || found.kind === 'name') {
      const before = byId.get(found.id);
      if (before) before.count += play.count;
      else byId.set(found.id, { ...play, item: found.id });
      continue;
    }
    const reason =
      found.kind === 'ambiguous'
        ? ambiguity(found.candidates, words.items)
        : unknownReason(play.item, names, words.item);
    ignored.push({ text: play.item, ...(play.line !== undefined ? { line: play.line } : {}), reason });
  }
  return { plays: [...byId.values()], ignored };
}

function ambiguity(candidates: { id: string; label: string }[], noun: string): string {
  const listed = candidates
    .slice(0, MAX_CANDIDATES)
    .map((c) => `${c.label} (id ${c.id})`)
    .join(', ');
  const more = candidates.length > MAX_CANDIDATES ? ` and ${candidates.length - MAX_CANDIDATES} more` : '';
  return `matches ${candidates.length} ${noun}: ${listed}${more}; write the id instead`;
}

function unknownReason(text: string, names: ItemNames, one: string): string {
  const comma = /^(.*\S)\s*,\s*\d+\s*$/.exec(text);
  if (comma) {
    const before = names.match(comma[1]);
    if (before.kind !== 'unknown')
      return `no ${one} is named this, but '${comma[1]}' is: the file is tab-separated (its first line with a tab or comma had a tab), so write ${comma[1]}<TAB>count`;
  }
  return names.hasNames
    ? `no ${one} has this id or name`
    : `no ${one} has this id (the model has no names to match)`;
}

function add(map: Map<string, number[]>, key: string, i: number): void {
  const list = map.get(key);
  if (!list) map.set(key, [i]);
  else if (list[list.length - 1] !== i) list.push(i);
}

/** The form names are compared in when no exact match exists. */
function fold(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .replace(/ [-–] /g, ' — ')
    .trim();
}
