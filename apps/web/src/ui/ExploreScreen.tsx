import { useEffect, useState } from 'react';
import type { ListenerView, SongView } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { count, errorText } from './format.ts';
import { ModelPicker } from './ModelPicker.tsx';
import { SongList } from './SongList.tsx';

export function ExploreScreen({ state }: { state: AppState }) {
  const { api, active } = state;
  const [query, setQuery] = useState('');
  const [users, setUsers] = useState<{ users: string[]; total: number }>({ users: [], total: 0 });
  const [listener, setListener] = useState<ListenerView>();
  const [song, setSong] = useState<SongView>();
  const [similar, setSimilar] = useState<SongView[]>([]);
  const [error, setError] = useState<string>();

  useEffect(() => {
    if (!active) return;
    let live = true;
    api
      .users(active, query, 30)
      .then((u) => live && setUsers(u))
      .catch((e: unknown) => live && setError(errorText(e)));
    return () => {
      live = false;
    };
  }, [api, active, query]);

  // A new model: show the same listener and song through it.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-run on model change only
  useEffect(() => {
    if (listener) void show(listener.user);
    if (song) void pickSong(song);
  }, [active]);

  if (state.saved.length === 0 || !active) return <ModelPicker state={state} />;

  const show = async (user: string) => {
    setError(undefined);
    try {
      setListener(await api.listener(active, user, 10));
    } catch (e) {
      setError(errorText(e));
    }
  };
  const pickSong = async (s: SongView) => {
    setError(undefined);
    setSong(s);
    try {
      setSimilar(await api.similar(active, s.id, 10));
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <section className="screen">
      <h2>Explore</h2>
      <ModelPicker state={state} />
      <div className="row">
        <label>
          Listener{' '}
          <input
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder="user id (start typing)"
            data-testid="user-query"
          />
        </label>
        <span className="muted">{count(users.total)} listeners</span>
      </div>
      <ul className="chips" data-testid="user-list">
        {users.users.map((u) => (
          <li key={u}>
            <button type="button" onClick={() => show(u)} aria-pressed={listener?.user === u}>
              {u}
            </button>
          </li>
        ))}
      </ul>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {listener && (
        <div className="columns" data-testid="listener">
          <SongList
            title={`${listener.user} played most (${count(listener.playedTotal)} in all)`}
            songs={listener.played}
            value={(s) => count(s.value)}
            testId="played"
            onPick={pickSong}
          />
          <SongList
            title="Recommended (played ones left out)"
            songs={listener.recommended}
            value={(s) => s.value.toFixed(3)}
            testId="recommended"
            onPick={pickSong}
          />
        </div>
      )}
      {song && (
        <SongList
          title={`Most similar to ${song.label}`}
          songs={similar}
          value={(s) => s.value.toFixed(3)}
          testId="similar"
          onPick={pickSong}
        />
      )}
    </section>
  );
}
