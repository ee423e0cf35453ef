import { useEffect, useMemo } from 'react';
import type { ComparisonView, ReportFiles } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { download } from './format.ts';

/**
 * The comparison as `autorec compare` reports it: the worker builds every cell, best-value
 * mark, paired test and verdict sentence with the core's report module, so what the page shows
 * is what the downloaded report.md / results.json say.
 */
export function Results({ state, comparison: c }: { state: AppState; comparison: ComparisonView }) {
  const { report } = c;
  const hasRatingTests = report.rows.some((r) => r.tests.rating);
  const hasRankingTests = report.rows.some((r) => r.tests.ranking);
  return (
    <div className="results" data-testid="results">
      <h3>
        Results on {c.dataset}
        {c.aborted ? ' (cancelled: the finished models only)' : ''}
      </h3>
      <div className="verdict" data-testid="verdict">
        <h4>Rating</h4>
        <ul data-testid="verdict-rating">
          {report.verdict.rating.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        {report.verdict.protocol.map((line) => (
          <p key={line} className="muted">
            {line}
          </p>
        ))}
        <h4>Ranking</h4>
        <ul data-testid="verdict-ranking">
          {report.verdict.ranking.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      </div>
      {report.warnings.length > 0 && (
        <ul className="warnings" data-testid="report-warnings">
          {report.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <div className="table-wrap">
        <table data-testid="results-table">
          <thead>
            <tr>
              <th scope="col">model</th>
              {report.columns.map((col) => (
                <th key={col.key} scope="col">
                  {col.title}
                </th>
              ))}
              {hasRatingTests && (
                <th scope="col" className="test">
                  vs {report.reference}: per-user MSE
                </th>
              )}
              {hasRankingTests && (
                <th scope="col" className="test">
                  vs {report.rankingReference}: per-user NDCG
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {report.rows.map((row) => (
              <tr key={row.model}>
                <th scope="row">{row.model}</th>
                {row.cells.map((cell, j) => (
                  <td key={report.columns[j].key} className={row.best[j] ? 'best' : undefined}>
                    {row.best[j] ? <strong>{cell}</strong> : cell}
                  </td>
                ))}
                {hasRatingTests && <TestCell test={row.tests.rating} />}
                {hasRankingTests && <TestCell test={row.tests.ranking} />}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted">
        Best value per column in bold. The last columns are paired t-tests over test users (model −
        reference); significant below p = 0.05.
      </p>
      <Downloads files={report.files} dataset={c.dataset} />
      <CurvesFigure svg={report.files.svg} />
      <button type="button" onClick={() => state.go('explore')}>
        Explore the recommendations →
      </button>
    </div>
  );
}

function TestCell({ test }: { test?: { text: string; significant: boolean } }) {
  if (!test) return <td className="test muted">reference</td>;
  return (
    <td className={test.significant ? 'test significant' : 'test'}>
      {test.text}
      {test.significant ? ' (significant)' : ''}
    </td>
  );
}

function Downloads({ files, dataset }: { files: ReportFiles; dataset: string }) {
  const prefix = dataset.replace(/[^\w.-]+/g, '_');
  return (
    <div className="row downloads">
      <span>Download the report:</span>
      <button
        type="button"
        data-testid="download-markdown"
        onClick={() => download(`${prefix}-${files.names.markdown}`, files.markdown, 'text/markdown')}
      >
        {files.names.markdown}
      </button>
      <button
        type="button"
        data-testid="download-json"
        onClick={() => download(`${prefix}-${files.names.json}`, files.json, 'application/json')}
      >
        {files.names.json}
      </button>
      <button
        type="button"
        data-testid="download-svg"
        onClick={() => download(`${prefix}-${files.names.svg}`, files.svg, 'image/svg+xml')}
      >
        {files.names.svg}
      </button>
    </div>
  );
}

/** The report's training-curves figure, as the downloaded SVG draws it. */
function CurvesFigure({ svg }: { svg: string }) {
  const url = useMemo(() => URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' })), [svg]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <figure className="report-figure">
      <img src={url} alt="Training curves: one panel per quantity, every model, the kept epoch ringed" />
      <figcaption>training-curves.svg — the figure the report holds.</figcaption>
    </figure>
  );
}
