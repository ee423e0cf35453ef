import { useEffect, useState } from 'react';
import type { SongView } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { count, errorText } from './format.ts';
import { ModelPicker } from './ModelPicker.tsx';
import { SongList } from './SongList.tsx';

interface Entry {
  song: SongView;
  plays: number;
}

/** A new listener: a few songs with play counts, recommendations folded in as the list changes. */
export function ListenerScreen({ state }: { state: AppState }) {
  const { api, active } = state;
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<SongView[]>([]);
  const [entries, setEntries] = useState<Entry[]>([]);
  const [recs, setRecs] = useState<SongView[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!active) return;
    let live = true;
    api
      .search(active, query, 12)
      .then((h) => live && setHits(h))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [api, active, query]);

  useEffect(() => {
    if (!active) return;
    let live = true;
    setError(undefined);
    api
      .recommendForPlays(
        active,
        entries.map((e) => ({ item: e.song.id, count: e.plays })),
        10,
      )
      .then((r) => live && setRecs(r))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [api, active, entries]);

  if (state.saved.length === 0 || !active) return <ModelPicker state={state} />;

  const add = (song: SongView) =>
    setEntries((list) => (list.some((e) => e.song.id === song.id) ? list : [...list, { song, plays: 10 }]));

  return (
    <section className="screen">
      <h2>Be a new listener</h2>
      <p className="muted">
        Add songs you play and how often; the model folds them in and recommends at once, without retraining.
      </p>
      <ModelPicker state={state} />
      <label>
        Search the catalogue{' '}
        <input
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="artist or title"
          data-testid="catalogue-query"
        />
      </label>
      {query && (
        <ul className="hits" data-testid="search-hits">
          {hits.length === 0 && <li className="muted">no match</li>}
          {hits.map((h) => (
            <li key={h.id}>
              <button type="button" onClick={() => add(h)}>
                + {h.label}
              </button>{' '}
              <span className="muted">{count(h.value)} listeners</span>
            </li>
          ))}
        </ul>
      )}
      <div className="columns">
        <div className="songs">
          <h3>Your plays</h3>
          {entries.length === 0 ? (
            <p className="muted">none yet: search and add a few</p>
          ) : (
            <ul data-testid="my-plays">
              {entries.map((e) => (
                <li key={e.song.id}>
                  <span className="song">{e.song.label}</span>
                  <input
                    type="number"
                    min={1}
                    value={e.plays}
                    aria-label={`plays of ${e.song.label}`}
                    onChange={(ev) => {
                      const v = ev.target.valueAsNumber;
                      if (Number.isFinite(v) && v > 0)
                        setEntries((list) =>
                          list.map((x) => (x.song.id === e.song.id ? { ...x, plays: v } : x)),
                        );
                    }}
                  />
                  <button
                    type="button"
                    aria-label={`remove ${e.song.label}`}
                    onClick={() => setEntries((list) => list.filter((x) => x.song.id !== e.song.id))}
                  >
                    ✕
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <SongList
          title="Recommended for you"
          songs={recs}
          value={(s) => s.value.toFixed(3)}
          testId="new-recommended"
          empty="add songs to get recommendations"
        />
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
