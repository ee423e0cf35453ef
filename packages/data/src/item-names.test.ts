import { join } from 'node:path';
import { describeRealData } from '@autorec/test-utils/real-data';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatWords } from './formats/item-info.ts';
import { readPlays } from './formats/plays.ts';
import { ItemNames, resolvePlayNames } from './item-names.ts';
import { readItemInfoFile } from './node/files.ts';

const artists = new ItemNames(
  ['377', '378', '10', '11', '12'],
  [{ artist: 'Metallica' }, { artist: 'Motörhead' }, { artist: 'Genesis' }, { artist: 'genesis' }, undefined],
);
const songs = new ItemNames(
  ['SOA', 'SOB', 'SOC'],
  [
    { artist: 'Radiohead', title: 'Creep' },
    { artist: 'Stone Temple Pilots', title: 'Creep' },
    { artist: 'Radiohead', title: 'Karma Police' },
  ],
);
const artistWords = formatWords('lastfm-hetrec');

describe('ItemNames', () => {
  it('finds an id first, then an exact name, then a folded one (case, accents, spaces, dashes)', () => {
    expect(artists.match('377')).toEqual({ kind: 'id', id: '377' });
    expect(artists.match('Metallica')).toEqual({ kind: 'name', id: '377' });
    expect(artists.match('  METALLICA ')).toEqual({ kind: 'name', id: '377' });
    expect(artists.match('motorhead')).toEqual({ kind: 'name', id: '378' });
    expect(artists.match('Motörhead')).toEqual({ kind: 'name', id: '378' });
    expect(songs.match('radiohead - karma  police')).toEqual({ kind: 'name', id: 'SOC' });
    expect(songs.match('Karma Police')).toEqual({ kind: 'name', id: 'SOC' });
    expect(artists.match('12')).toEqual({ kind: 'id', id: '12' });
    expect(artists.match('Slayer')).toEqual({ kind: 'unknown' });
  });

  it('prefers an exact name to folded ones, and lists every item a name could mean', () => {
    expect(artists.match('Genesis')).toEqual({ kind: 'name', id: '10' });
    expect(artists.match('GENESIS')).toEqual({
      kind: 'ambiguous',
      candidates: [
        { id: '10', label: 'Genesis' },
        { id: '11', label: 'genesis' },
      ],
    });
    expect(songs.match('Creep')).toMatchObject({
      kind: 'ambiguous',
      candidates: [{ id: 'SOA' }, { id: 'SOB' }],
    });
  });

  it('finds every named item by its own label, whatever the names (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 20 }),
        (names) => {
          const ids = names.map((_, i) => `id${i}`);
          const index = new ItemNames(
            ids,
            names.map((artist) => ({ artist })),
          );
          for (const [i, name] of names.entries()) {
            const m = index.match(name);
            if (m.kind === 'id') expect(ids).toContain(name);
            else expect(m).toEqual({ kind: 'name', id: ids[i] });
          }
        },
      ),
    );
  });
});

describe('resolvePlayNames', () => {
  it('maps names to ids, sums an item named twice, keeps the first line, and says why lines were left out', () => {
    const { plays, ignored } = resolvePlayNames(
      [
        { item: 'Metallica', count: 707, line: 1 },
        { item: 'Slayer', count: 5, line: 2 },
        { item: '377', count: 3, line: 3 },
        { item: 'GENESIS', count: 1, line: 4 },
        { item: 'motorhead', count: 9, line: 5 },
      ],
      artists,
      artistWords,
    );
    expect(plays).toEqual([
      { item: '377', count: 710, line: 1 },
      { item: '378', count: 9, line: 5 },
    ]);
    expect(ignored).toEqual([
      { text: 'Slayer', line: 2, reason: 'no artist has this id or name' },
      {
        text: 'GENESIS',
        line: 4,
        reason: 'matches 2 artists: Genesis (id 10), genesis (id 11); write the id instead',
      },
    ]);
  });

  it('caps the candidates listed, and points at a comma line in a tab-separated file', () => {
    const many = new ItemNames(
      Array.from({ length: 8 }, (_, i) => `S${i}`),
      Array.from({ length: 8 }, (_, i) => ({ artist: `A${i}`, title: 'Intro' })),
    );
    const { ignored } = resolvePlayNames([{ item: 'Intro', count: 1 }], many);
    expect(ignored[0].reason).toBe(
      'matches 8 songs: A0 — Intro (id S0), A1 — Intro (id S1), A2 — Intro (id S2), A3 — Intro (id S3), A4 — Intro (id S4) and 3 more; write the id instead',
    );
    expect(
      resolvePlayNames([{ item: 'Metallica,707', count: 1, line: 2 }], artists, artistWords).ignored,
    ).toEqual([
      {
        text: 'Metallica,707',
        line: 2,
        reason:
          "no artist is named this, but 'Metallica' is: the file is tab-separated (its first line with a tab or comma had a tab), so write Metallica<TAB>count",
      },
    ]);
    const unnamed = new ItemNames(['1'], [undefined]);
    expect(resolvePlayNames([{ item: 'x', count: 1 }], unnamed).ignored[0].reason).toBe(
      'no song has this id (the model has no names to match)',
    );
  });
});

describeRealData('lastfm-hetrec-2k', 'artist names of Last.fm 2K (real data)', (dir) => {
  it('reads a metal fan written with names, accents and case as the ids of artists.dat', async () => {
    const info = await readItemInfoFile(join(dir, 'artists.dat'), 'lastfm-hetrec');
    const ids = [...info.keys()];
    const names = new ItemNames(
      ids,
      ids.map((id) => info.get(id)),
    );
    const { plays } = await readPlays(
      'artist\tplays\nMetallica\t707\niron maiden\t917\nMOTORHEAD\t300\nBeyonce\t1\n',
    );
    const resolved = resolvePlayNames(plays, names, artistWords);
    expect(resolved.ignored).toEqual([]);
    expect(resolved.plays.map((p) => [info.get(p.item)?.artist, p.count])).toEqual([
      ['Metallica', 707],
      ['Iron Maiden', 917],
      ['Motörhead', 300],
      ['Beyoncé', 1],
    ]);
  });
});
