import { transfer } from 'comlink';
import { useState } from 'react';
import type { AppState } from './App.tsx';
import { bytes, download, errorText, metric } from './format.ts';

export function ModelsScreen({ state }: { state: AppState }) {
  const { api, saved, active, setActive, refreshSaved } = state;
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();

  const act = async (work: () => Promise<string | undefined>) => {
    setError(undefined);
    setNote(undefined);
    try {
      setNote(await work());
    } catch (e) {
      setError(errorText(e));
    }
  };

  const importFile = (file: File) =>
    act(async () => {
      const data = new Uint8Array(await file.arrayBuffer());
      const info = await api.importArchive(file.name, transfer(data, [data.buffer]));
      await refreshSaved();
      setActive(info.id);
      return `imported ${info.label} (${info.model}, ${info.users} users × ${info.items} items)`;
    });

  const importFolder = (files: FileList) =>
    act(async () => {
      const list = await Promise.all(
        Array.from(files).map(async (f) => ({
          path: f.webkitRelativePath || f.name,
          bytes: new Uint8Array(await f.arrayBuffer()),
        })),
      );
      const folder = list[0]?.path.split('/')[0] ?? 'model';
      const info = await api.importFolder(folder, list);
      await refreshSaved();
      setActive(info.id);
      return `imported the CLI model ${info.label} (${info.model})`;
    });

  return (
    <section className="screen">
      <h2>Models</h2>
      <p className="muted">
        Every trained model is kept in this browser (IndexedDB) with its dataset and metrics. Export one as a
        single .autorec file, import it again here or in another browser, or import a folder written by{' '}
        <code>autorec train --out DIR</code>.
      </p>
      <div className="row">
        <label className="button">
          Import a model file (.autorec){' '}
          <input
            type="file"
            accept=".autorec,application/octet-stream"
            data-testid="import-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void importFile(f);
              e.target.value = '';
            }}
          />
        </label>
        <label className="button">
          Import a CLI model folder{' '}
          <input
            type="file"
            data-testid="import-folder"
            // @ts-expect-error webkitdirectory is not in React's types but every browser supports it
            webkitdirectory=""
            onChange={(e) => {
              if (e.target.files?.length) void importFolder(e.target.files);
              e.target.value = '';
            }}
          />
        </label>
      </div>
      {note && (
        <p className="note" role="status">
          {note}
        </p>
      )}
      {error && (
        <p className="error" role="alert" data-testid="models-error">
          {error}
        </p>
      )}
      {saved.length === 0 ? (
        <p>No saved models yet.</p>
      ) : (
        <div className="table-wrap">
          <table data-testid="saved-models">
            <thead>
              <tr>
                <th scope="col">model</th>
                <th scope="col">dataset</th>
                <th scope="col">RMSE</th>
                <th scope="col">saved</th>
                <th scope="col">size</th>
                <th scope="col">actions</th>
              </tr>
            </thead>
            <tbody>
              {saved.map((s) => (
                <tr key={s.id} data-id={s.id} className={s.id === active ? 'active' : undefined}>
                  <th scope="row">
                    {s.label}
                    {s.label !== s.model ? <span className="muted"> ({s.model})</span> : null}
                  </th>
                  <td>{s.dataset}</td>
                  <td>{metric(s.metrics.rmse)}</td>
                  <td>{new Date(s.savedAt).toLocaleString()}</td>
                  <td>{bytes(s.bytes)}</td>
                  <td className="actions">
                    <button
                      type="button"
                      onClick={() =>
                        act(async () => {
                          await api.openModel(s.id);
                          setActive(s.id);
                          return `${s.label} is the model in use`;
                        })
                      }
                      aria-pressed={s.id === active}
                    >
                      Use
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        act(async () => {
                          const file = await api.exportModel(s.id);
                          download(file.name, file.bytes);
                          return `exported ${file.name}`;
                        })
                      }
                    >
                      Export
                    </button>
                    <button
                      type="button"
                      onClick={() =>
                        act(async () => {
                          if (!window.confirm(`Delete ${s.label} (${s.dataset}) from this browser?`))
                            return undefined;
                          await api.deleteModel(s.id);
                          const list = await refreshSaved();
                          if (active === s.id) setActive(list[0]?.id);
                          return `deleted ${s.label}`;
                        })
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
