import type { ComparisonView } from '../worker/protocol.ts';
import type { AppState } from './App.tsx';
import { metric, seconds } from './format.ts';

export function Results({ state, comparison: c }: { state: AppState; comparison: ComparisonView }) {
  const k = c.k;
  return (
    <div className="results" data-testid="results">
      <h3>
        Results on {c.dataset}
        {c.aborted ? ' (cancelled: the finished models only)' : ''}
      </h3>
      <div className="table-wrap">
        <table data-testid="results-table">
          <thead>
            <tr>
              <th scope="col">model</th>
              <th scope="col">RMSE</th>
              <th scope="col">MAE</th>
              <th scope="col">P@{k}</th>
              <th scope="col">R@{k}</th>
              <th scope="col">NDCG@{k}</th>
              <th scope="col">train</th>
              <th scope="col">epochs</th>
            </tr>
          </thead>
          <tbody>
            {c.models.map((m) => {
              const at = m.ranking?.atK.find((r) => r.k === k);
              return (
                <tr key={m.label}>
                  <th scope="row">{m.label}</th>
                  <td>{metric(m.rating.rmse)}</td>
                  <td>{metric(m.rating.mae)}</td>
                  <td>{metric(at?.precision)}</td>
                  <td>{metric(at?.recall)}</td>
                  <td>{metric(at?.ndcg)}</td>
                  <td>{seconds(m.trainSeconds)}</td>
                  <td>{m.epochs}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <button type="button" onClick={() => state.go('explore')}>
        Explore the recommendations →
      </button>
    </div>
  );
}
