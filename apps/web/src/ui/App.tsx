import { useCallback, useEffect, useState } from 'react';
import type { WorkerApi } from '../worker/client.ts';
import type {
  BackendState,
  ComparisonView,
  DatasetView,
  ModelInfo,
  SavedModelInfo,
} from '../worker/protocol.ts';
import { DataScreen } from './DataScreen.tsx';
import { ExploreScreen } from './ExploreScreen.tsx';
import { errorText } from './format.ts';
import { ListenerScreen } from './ListenerScreen.tsx';
import { ModelsScreen } from './ModelsScreen.tsx';
import { TrainScreen } from './TrainScreen.tsx';

const TABS = [
  { id: 'data', title: 'Data' },
  { id: 'train', title: 'Train & compare' },
  { id: 'explore', title: 'Explore' },
  { id: 'listener', title: 'New listener' },
  { id: 'models', title: 'Models' },
] as const;
export type Tab = (typeof TABS)[number]['id'];

/** State every screen shares; each screen keeps its own form state. */
export interface AppState {
  api: WorkerApi;
  dataset?: DatasetView;
  setDataset(d: DatasetView | undefined): void;
  models: ModelInfo[];
  saved: SavedModelInfo[];
  refreshSaved(): Promise<SavedModelInfo[]>;
  active?: string;
  setActive(id: string | undefined): void;
  comparison?: ComparisonView;
  setComparison(c: ComparisonView | undefined): void;
  go(tab: Tab): void;
}

export function App({ api }: { api: WorkerApi }) {
  const [tab, setTab] = useState<Tab>('data');
  const [backend, setBackend] = useState<BackendState>();
  const [fatal, setFatal] = useState<string>();
  const [dataset, setDataset] = useState<DatasetView>();
  const [models, setModels] = useState<ModelInfo[]>([]);
  const [saved, setSaved] = useState<SavedModelInfo[]>([]);
  const [active, setActive] = useState<string>();
  const [comparison, setComparison] = useState<ComparisonView>();

  const refreshSaved = useCallback(async () => {
    const list = await api.savedModels();
    setSaved(list);
    return list;
  }, [api]);

  useEffect(() => {
    api
      .backend()
      .then(setBackend)
      .then(() => api.models())
      .then(setModels)
      .then(refreshSaved)
      .then((list) => setActive((a) => a ?? list[0]?.id))
      .catch((e: unknown) => setFatal(`the compute worker did not start: ${errorText(e)}`));
  }, [api, refreshSaved]);

  const changeBackend = (name: string) => {
    setBackend(undefined);
    api
      .backend(name as BackendState['name'])
      .then(setBackend)
      .catch((e: unknown) => setFatal(errorText(e)));
  };

  const state: AppState = {
    api,
    dataset,
    setDataset,
    models,
    saved,
    refreshSaved,
    active,
    setActive,
    comparison,
    setComparison,
    go: setTab,
  };

  return (
    <div className="app">
      <header>
        <h1>autorec</h1>
        <p className="tagline">
          Music recommenders trained in your browser. Your files never leave this computer.
        </p>
        <BackendBadge backend={backend} onChange={changeBackend} />
      </header>
      <nav>
        <div role="tablist" aria-label="Screens" className="tabs" onKeyDown={(e) => tabKeys(e, tab, setTab)}>
          {TABS.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              onClick={() => setTab(t.id)}
            >
              {t.title}
            </button>
          ))}
        </div>
      </nav>
      {fatal && (
        <p className="error" role="alert">
          {fatal}
        </p>
      )}
      {/* Every screen stays mounted (hidden when not shown), so a running training, its live
          curves and every form keep their state while the user looks at another tab. */}
      <main>
        {TABS.map((t) => (
          <div
            key={t.id}
            id={`panel-${t.id}`}
            role="tabpanel"
            aria-labelledby={`tab-${t.id}`}
            hidden={tab !== t.id}
            data-testid={`panel-${t.id}`}
          >
            {t.id === 'data' && <DataScreen state={state} />}
            {t.id === 'train' && <TrainScreen state={state} />}
            {t.id === 'explore' && <ExploreScreen state={state} />}
            {t.id === 'listener' && <ListenerScreen state={state} />}
            {t.id === 'models' && <ModelsScreen state={state} />}
          </div>
        ))}
      </main>
    </div>
  );
}

/** Left/right arrows move between tabs (the WAI-ARIA tabs pattern); Tab moves into the panel. */
function tabKeys(e: React.KeyboardEvent, tab: Tab, setTab: (t: Tab) => void) {
  if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
  const i = TABS.findIndex((t) => t.id === tab);
  const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length].id;
  setTab(next);
  document.getElementById(`tab-${next}`)?.focus();
}

function BackendBadge({ backend, onChange }: { backend?: BackendState; onChange(name: string): void }) {
  if (!backend)
    return (
      <p className="backend" data-testid="backend">
        starting the compute worker…
      </p>
    );
  return (
    <p className="backend" data-testid="backend">
      <label>
        Compute backend{' '}
        <select value={backend.name} onChange={(e) => onChange(e.target.value)} data-testid="backend-select">
          {backend.choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      </label>{' '}
      <span data-testid="backend-name">{backend.name}</span>
      {' · '}
      {backend.isolated
        ? `up to ${backend.threads} threads`
        : 'one thread (the page is not cross-origin isolated)'}
      <span className="why"> — {backend.reason}</span>
    </p>
  );
}
