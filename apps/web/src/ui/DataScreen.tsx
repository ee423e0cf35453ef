import type { FormatName, ItemInfoFormatName } from '@autorec/data';
import { proxy } from 'comlink';
import { useEffect, useRef, useState } from 'react';
import type { DatasetView, FileRequest, ReadProgress } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { Chart } from './Chart.tsx';
import { bytes, count, errorText, percent } from './format.ts';

const FORMATS: { name: FormatName; title: string }[] = [
  { name: 'taste-profile', title: 'Echo Nest Taste Profile (user song count)' },
  { name: 'lastfm-hetrec', title: 'Last.fm HetRec 2K (user_artists.dat)' },
  { name: 'lastfm-1k', title: 'Last.fm 1K (listening events)' },
  { name: 'lastfm-360k', title: 'Last.fm 360K (user artist plays)' },
  { name: 'movielens', title: 'MovieLens ratings (u.data, ratings.csv)' },
  { name: 'csv', title: 'CSV / TSV with a column mapping' },
];

/** The format a file name suggests; the user can always change it. */
function guessFormat(name: string): FormatName | undefined {
  const n = name.toLowerCase().replace(/\.gz$/, '');
  if (n.includes('user_artists')) return 'lastfm-hetrec';
  if (n.includes('triplets') || n.includes('taste')) return 'taste-profile';
  if (n.includes('1k') || n.includes('userid-timestamp')) return 'lastfm-1k';
  if (n.includes('360k')) return 'lastfm-360k';
  if (n === 'u.data' || n.includes('ratings')) return 'movielens';
  if (n.endsWith('.csv')) return 'csv';
  return undefined;
}

export function DataScreen({ state }: { state: AppState }) {
  const { api, dataset, setDataset } = state;
  const [file, setFile] = useState<File>();
  const [format, setFormat] = useState<FormatName>('taste-profile');
  const [lenient, setLenient] = useState(false);
  const [columns, setColumns] = useState('user,item,count');
  const [delimiter, setDelimiter] = useState(',');
  const [metadata, setMetadata] = useState<File>();
  const [metadataFormat, setMetadataFormat] = useState<ItemInfoFormatName>('lastfm-hetrec');
  const [progress, setProgress] = useState<ReadProgress>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [dragging, setDragging] = useState(false);
  const started = useRef(false);

  const run = async (work: () => Promise<DatasetView>) => {
    setBusy(true);
    setError(undefined);
    setProgress(undefined);
    try {
      setDataset(await work());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  // The app starts on the embedded default data, made in the worker.
  useEffect(() => {
    if (started.current || dataset) return;
    started.current = true;
    void run(() => api.loadPreset('default'));
  });

  const pick = (f: File | undefined) => {
    setFile(f);
    const guess = f && guessFormat(f.name);
    if (guess) {
      setFormat(guess);
      if (guess === 'lastfm-hetrec') setMetadataFormat('lastfm-hetrec');
      if (guess === 'taste-profile') setMetadataFormat('msd-tracks');
    }
  };

  const load = () => {
    if (!file) return;
    const req: FileRequest = { file, format, lenient };
    if (format === 'csv') {
      const parts = columns.split(',').map((s) => s.trim());
      const col = (p: string) => (/^\d+$/.test(p) ? Number(p) : p);
      if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
        setError(
          `columns '${columns}': give USER,ITEM or USER,ITEM,COUNT (names from the header, or 0-based numbers)`,
        );
        return;
      }
      req.csv = {
        user: col(parts[0]),
        item: col(parts[1]),
        delimiter: delimiter === 'tab' ? '\t' : delimiter,
      };
      if (parts[2]) req.csv.count = col(parts[2]);
    }
    if (metadata) req.metadata = { file: metadata, format: metadataFormat };
    void run(() =>
      api.loadFile(
        req,
        proxy((p: ReadProgress) => setProgress(p)),
      ),
    );
  };

  return (
    <section className="screen">
      <h2>Data</h2>
      <p>
        Start with the built-in synthetic data, or load your own play counts. Files are read here, in your
        browser; nothing is uploaded.
      </p>
      <div className="row">
        <button type="button" disabled={busy} onClick={() => run(() => api.loadPreset('default'))}>
          Use the built-in default data
        </button>
      </div>
      <fieldset
        className={`drop${dragging ? ' dragging' : ''}`}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          pick(e.dataTransfer.files[0]);
        }}
      >
        <legend>Your file (drop it here, or choose it)</legend>
        <label>
          Play counts (plain or .gz){' '}
          <input type="file" data-testid="data-file" onChange={(e) => pick(e.target.files?.[0])} />
        </label>
        {file && (
          <p className="hint">
            {file.name}, {bytes(file.size)}
          </p>
        )}
        <label>
          Format{' '}
          <select
            value={format}
            onChange={(e) => setFormat(e.target.value as FormatName)}
            data-testid="format"
          >
            {FORMATS.map((f) => (
              <option key={f.name} value={f.name}>
                {f.title}
              </option>
            ))}
          </select>
        </label>
        {format === 'csv' && (
          <div className="row">
            <label>
              Columns (user,item[,count]){' '}
              <input value={columns} onChange={(e) => setColumns(e.target.value)} data-testid="csv-columns" />
            </label>
            <label>
              Delimiter{' '}
              <select value={delimiter} onChange={(e) => setDelimiter(e.target.value)}>
                <option value=",">comma</option>
                <option value="tab">tab</option>
                <option value=";">semicolon</option>
              </select>
            </label>
          </div>
        )}
        <label>
          Metadata, optional (Last.fm artists.dat, MSD unique_tracks.txt){' '}
          <input type="file" data-testid="metadata-file" onChange={(e) => setMetadata(e.target.files?.[0])} />
        </label>
        {metadata && (
          <label>
            Metadata format{' '}
            <select
              value={metadataFormat}
              onChange={(e) => setMetadataFormat(e.target.value as ItemInfoFormatName)}
            >
              <option value="lastfm-hetrec">Last.fm HetRec artists.dat</option>
              <option value="msd-tracks">MSD unique_tracks.txt</option>
            </select>
          </label>
        )}
        <label className="check">
          <input type="checkbox" checked={lenient} onChange={(e) => setLenient(e.target.checked)} /> Lenient:
          skip bad lines (count them) instead of stopping at the first
        </label>
        <button type="button" disabled={!file || busy} onClick={load} data-testid="load">
          Load file
        </button>
      </fieldset>
      {busy && (
        <div className="progress" data-testid="read-progress">
          <progress
            max={progress?.totalBytes ?? 1}
            value={progress?.totalBytes ? progress.bytesRead : undefined}
            aria-label="reading"
          />
          <span>
            {progress
              ? `${progress.file}: ${bytes(progress.bytesRead)}${progress.totalBytes ? ` of ${bytes(progress.totalBytes)}` : ''}, ${count(progress.lines)} lines`
              : 'working…'}
          </span>
        </div>
      )}
      {error && (
        <p className="error" role="alert" data-testid="data-error">
          {error}
        </p>
      )}
      {dataset && <DatasetStats dataset={dataset} onTrain={() => state.go('train')} />}
    </section>
  );
}

function DatasetStats({ dataset: d, onTrain }: { dataset: DatasetView; onTrain(): void }) {
  const r = d.report;
  return (
    <div className="stats" data-testid="dataset-stats">
      <h3>
        {d.name} <span className="muted">({d.format})</span>
      </h3>
      <dl className="facts">
        <dt>Users</dt>
        <dd data-testid="stat-users">{count(d.users)}</dd>
        <dt>{d.noun[0].toUpperCase() + d.noun.slice(1)}</dt>
        <dd data-testid="stat-items">{count(d.items)}</dd>
        <dt>{d.explicit ? 'Ratings' : 'Plays'}</dt>
        <dd>{count(d.plays)}</dd>
        <dt>Pairs</dt>
        <dd>{count(d.interactions)}</dd>
        <dt>Density</dt>
        <dd>{percent(d.density, 3)}</dd>
        <dt>Plays per user</dt>
        <dd>
          median {count(d.playsPerUser.p50)}, max {count(d.playsPerUser.max)}
        </dd>
        <dt>Listeners per {d.noun.slice(0, -1)}</dt>
        <dd>
          median {count(d.usersPerItem.p50)}, max {count(d.usersPerItem.max)}
        </dd>
        <dt>Top 20% of {d.noun}</dt>
        <dd>{percent(d.top20Share)} of the plays</dd>
        <dt>Names</dt>
        <dd>{d.hasMetadata ? 'yes (artist / title)' : 'no metadata: ids are shown'}</dd>
      </dl>
      {r && (
        <p className="muted" data-testid="parse-report">
          Read {count(r.lines)} lines ({bytes(r.bytesRead)}); {count(r.accepted)} accepted
          {r.skipped > 0 ? `, ${count(r.skipped)} bad lines skipped` : ''}
          {r.duplicates > 0 ? `, ${count(r.duplicates)} repeated pairs summed` : ''}.
        </p>
      )}
      {r && r.problems.length > 0 && (
        <ul className="problems">
          {r.problems.map((p) => (
            <li key={p.line}>
              line {p.line}: {p.reason}
            </li>
          ))}
        </ul>
      )}
      <Chart
        title={`The long tail: share of plays held by the most popular ${d.noun}`}
        x={d.tail.x.map((v) => v * 100)}
        xLabel={`% of ${d.noun}, most played first`}
        yLabel="% of plays"
        series={[{ label: 'plays', values: d.tail.y.map((v) => v * 100) }]}
      />
      <button type="button" onClick={onTrain}>
        Train models on this data →
      </button>
    </div>
  );
}
