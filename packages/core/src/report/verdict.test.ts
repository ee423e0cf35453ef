import { describe, expect, it } from 'vitest';
import { bestRows, resultColumns, rowTests } from './columns.ts';
import type { ExperimentResult, ResultRow } from './result.ts';
import { verdict, verdictParts } from './verdict.ts';

function row(model: string, rmse: number, ndcg: number, p?: number): ResultRow {
  const r = {
    model,
    rmse,
    mae: rmse / 2,
    rmseWarm: rmse,
    rmseCold: null,
    'precision@10': 0,
    'recall@10': 0,
    'ndcg@10': ndcg,
    trainSeconds: 1,
    epochs: 3,
    bestEpoch: 3,
    backend: 'js',
    hyperParameters: {},
  } as ResultRow;
  if (p !== undefined) r.vsReference = { model: 'svd', pValueT: p, pValueWilcoxon: p, meanMseDelta: 0 };
  return r;
}

function result(rows: ResultRow[], extra: Partial<ExperimentResult> = {}): ExperimentResult {
  return {
    results: rows,
    k: 10,
    split: {},
    reference: 'svd',
    protocol: 'holdout',
    dataset: { transform: 'global-quantiles', format: 'lastfm-hetrec' },
    ...extra,
  } as unknown as ExperimentResult;
}

function rankedAgainstPopularity(r: ResultRow, p: number): ResultRow {
  r.rankingVsReference = { model: 'popularity', k: 10, pValueT: p, pValueWilcoxon: p, meanNdcgDelta: 0 };
  return r;
}

describe('verdict and best values', () => {
  it('says whether AutoRec beat SVD, by how much and whether it is significant', () => {
    const lines = verdict(
      result([
        row('svd', 0.9, 0.01),
        row('u-autorec', 0.81, 0.02, 0.0001),
        row('i-autorec', 0.92, 0.03, 0.4),
      ]),
    );
    expect(lines[0]).toBe(
      "Rating: U-AutoRec has the lowest test RMSE, 0.8100 (SVD 0.9000; paired t-test over users' squared errors p < 0.001).",
    );
    expect(lines[1]).toBe(
      "U-AutoRec beat SVD on test RMSE: 0.8100 vs 0.9000 (10.0% lower; paired t-test over users' squared errors p < 0.001).",
    );
    expect(lines[2]).toBe(
      "I-AutoRec did not beat SVD on test RMSE: 0.9200 vs 0.9000 (2.2% higher; but the difference is not significant, paired t-test over users' squared errors p = 0.400).",
    );
    expect(lines[3]).toMatch(/I-AutoRec has the highest NDCG@10, 0.0300 \(popularity was not in the run/);
  });

  it("does not pretend to answer the paper's question without both SVD and an AutoRec", () => {
    const lines = verdict(result([row('svd', 0.9, 0.01), row('baseline', 0.95, 0)]));
    expect(lines[0]).toMatch(/^Rating: SVD has the lowest test RMSE, 0.9000\.$/);
    expect(lines[1]).toMatch(/does not answer/);
  });

  it('names the ranking winner the table marks, held-out users included, against popularity', () => {
    // The held-out-users bug: the table starred popularity while the verdict named I-AutoRec.
    const rows = [row('svd', 0.9, 0.01), row('i-autorec', 0.85, 0.03), row('popularity', 1.1, 0.05)];
    const heldOut = verdict(result(rows, { protocol: 'held-out-users' }));
    expect(bestRows(rows, resultColumns(10)).get('ndcg@10')).toBe(2);
    expect(heldOut.at(-2)).toBe(
      'Ranking: popularity has the highest NDCG@10, 0.0500: no model beat recommending the most played artists to everyone.',
    );
    expect(heldOut.at(-1)).toBe('Not above popularity on NDCG@10: SVD 0.0100, I-AutoRec 0.0300.');
    const better = [
      row('svd', 0.9, 0.01),
      rankedAgainstPopularity(row('ials', 1.2, 0.2), 0.0001),
      row('popularity', 1.1, 0.05),
    ];
    expect(verdict(result(better)).at(-2)).toBe(
      "Ranking: ials has the highest NDCG@10, 0.2000, against popularity's 0.0500; paired t-test over users' NDCG p < 0.001.",
    );
  });

  it('declares no rating winner with the binary transform', () => {
    const lines = verdict(
      result([row('svd', 0.2, 0.01), row('u-autorec', 0.1, 0.02, 0.01)], {
        dataset: { transform: 'binary' } as ExperimentResult['dataset'],
      }),
    );
    expect(lines[0]).toMatch(/binary transform .* no rating winner/);
    expect(lines.join('\n')).not.toMatch(/beat SVD|lowest test RMSE/);
  });

  it('marks the lowest error and the highest ranking score, nothing for a lone value', () => {
    const best = bestRows([row('svd', 0.9, 0.01), row('u-autorec', 0.8, 0.005)], resultColumns(10));
    expect(best.get('rmse')).toBe(1);
    expect(best.get('ndcg@10')).toBe(0);
    expect(best.has('rmseCold')).toBe(false);
    expect(best.has('trainSeconds')).toBe(false);
  });
});

describe('verdictParts and rowTests', () => {
  it('splits the verdict into rating, protocol and ranking sentences, in verdict order', () => {
    const r = result(
      [row('svd', 0.9, 0.01), row('u-autorec', 0.81, 0.02, 0.0001), row('popularity', 1.1, 0.05)],
      {
        protocol: 'held-out-users',
      },
    );
    const parts = verdictParts(r);
    expect(parts.rating[0]).toMatch(/^Rating: U-AutoRec has the lowest test RMSE/);
    expect(parts.rating[1]).toMatch(/^U-AutoRec beat SVD/);
    expect(parts.protocol[0]).toMatch(/held-out users/);
    expect(parts.ranking[0]).toMatch(/^Ranking: popularity has the highest NDCG@10/);
    expect([...parts.rating, ...parts.protocol, ...parts.ranking]).toEqual(verdict(r));
  });

  it('gives each row its paired tests against the references, none for the reference itself', () => {
    const svd = row('svd', 0.9, 0.01);
    const autorec = rankedAgainstPopularity(row('u-autorec', 0.81, 0.02, 0.0001), 0.2);
    autorec.vsReference!.meanMseDelta = -0.0123;
    autorec.rankingVsReference!.meanNdcgDelta = 0.01;
    expect(rowTests(svd)).toEqual({});
    expect(rowTests(autorec)).toEqual({
      rating: { against: 'svd', text: 'ΔMSE −0.0123, p < 0.001', significant: true },
      ranking: { against: 'popularity', text: 'ΔNDCG@10 +0.0100, p = 0.200', significant: false },
    });
  });
});
