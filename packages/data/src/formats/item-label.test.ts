import { describe, expect, it } from 'vitest';
import { itemLabel, itemNoun } from './item-info.ts';

describe('itemLabel', () => {
  it('shows artist and title, either alone, or the id', () => {
    expect(itemLabel('S1', { artist: 'Radiohead', title: 'Creep' })).toBe('Radiohead — Creep');
    expect(itemLabel('289', { artist: 'Britney Spears' })).toBe('Britney Spears');
    expect(itemLabel('S2', { title: 'Creep' })).toBe('Creep');
    expect(itemLabel('S3', { artist: '', title: '' })).toBe('S3');
    expect(itemLabel('S4', undefined)).toBe('S4');
  });
});

describe('itemNoun', () => {
  it('names items after what each format counts', () => {
    expect(itemNoun('lastfm-hetrec')).toBe('artists');
    expect(itemNoun('lastfm-360k')).toBe('artists');
    expect(itemNoun('movielens')).toBe('movies');
    expect(itemNoun('taste-profile')).toBe('songs');
    expect(itemNoun('lastfm-1k')).toBe('songs');
  });
});
