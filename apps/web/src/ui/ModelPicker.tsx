import type { AppState } from './App.tsx';

/** Which saved model the explore and new-listener screens use. */
export function ModelPicker({ state }: { state: AppState }) {
  const { saved, active, setActive } = state;
  if (saved.length === 0)
    return (
      <p>
        No model yet: train one (Train & compare) or import one (Models).{' '}
        <button type="button" onClick={() => state.go('train')}>
          Train
        </button>
      </p>
    );
  return (
    <label className="picker">
      Model{' '}
      <select value={active ?? ''} onChange={(e) => setActive(e.target.value)} data-testid="model-picker">
        {saved.map((s) => (
          <option key={s.id} value={s.id}>
            {s.label} — {s.dataset} ({new Date(s.savedAt).toLocaleString()})
          </option>
        ))}
      </select>
    </label>
  );
}
