import type { SongView } from '../worker/protocol.ts';

/** A numbered list of songs; each can be picked (e.g. to see similar ones). */
export function SongList(props: {
  title: string;
  songs: SongView[];
  value: (s: SongView) => string;
  testId: string;
  onPick?(s: SongView): void;
  empty?: string;
}) {
  return (
    <div className="songs">
      <h3>{props.title}</h3>
      {props.songs.length === 0 ? (
        <p className="muted">{props.empty ?? 'nothing'}</p>
      ) : (
        <ol data-testid={props.testId}>
          {props.songs.map((s) => (
            <li key={s.id} data-id={s.id}>
              {props.onPick ? (
                <button type="button" className="link" onClick={() => props.onPick?.(s)} title="show similar">
                  {s.label}
                </button>
              ) : (
                <span className="song">{s.label}</span>
              )}
              <span className="value">{props.value(s)}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
