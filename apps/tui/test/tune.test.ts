import { describe, expect, it } from 'vitest';
import { runCli, runJson } from './cli-helpers.ts';

interface TuneDoc {
  model: string;
  metric: string;
  validation: string;
  fixed: Record<string, unknown>;
  trials: { params: Record<string, unknown>; score: number; rmse: number }[];
  best: Record<string, unknown>;
}

const TINY = ['--preset', 'tiny', '--model', 'svd', '--epochs', '3'];

describe('autorec tune', () => {
  it('tries every combination of the grid on the validation part and ranks them, best first', async () => {
    const { run, json } = await runJson<TuneDoc>([
      'tune',
      ...TINY,
      '--grid',
      'factors=2,8',
      '--grid',
      'regularization=0.02,0.5',
      '--metric',
      'rmse',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(json.fixed).toEqual({ epochs: 3 });
    expect(json.validation).toBe("the split's validation part");
    expect(
      json.trials.map((t) => t.params).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { factors: 2, regularization: 0.02 },
      { factors: 2, regularization: 0.5 },
      { factors: 8, regularization: 0.02 },
      { factors: 8, regularization: 0.5 },
    ]);
    const scores = json.trials.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(json.trials.every((t) => t.score === t.rmse)).toBe(true);
    expect(json.best).toEqual(json.trials[0].params);
  });

  it('draws --random N candidates with the seed, ranks by NDCG on held-out users’ training part, and says how to train the best', async () => {
    const args = [
      'tune',
      ...TINY,
      '--grid',
      'factors=2,4,8,16',
      '--random',
      '2',
      '--split',
      'held-out-users:20',
    ];
    const a = await runJson<TuneDoc>(args);
    const b = await runJson<TuneDoc>(args);
    expect(a.run.code, a.run.stderr).toBe(0);
    expect(a.json.metric).toBe('ndcg@10');
    expect(a.json.validation).toBe('10% of the training ratings, seed 42');
    expect(a.json.trials).toHaveLength(2);
    expect(a.json.trials.map((t) => t.params)).toEqual(b.json.trials.map((t) => t.params));
    const scores = a.json.trials.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
    const text = await runCli(args);
    expect(text.stdout).toMatch(/best on validation: factors=\d+ \(ndcg@10 0\.\d{4}\)/);
    expect(text.stdout).toMatch(
      /train it: autorec train --model svd --param epochs=3 --param factors=\d+ --out DIR/,
    );
  });

  it('splits a grid on semicolons when a value holds commas (deep AutoRec layer lists)', async () => {
    const { run, json } = await runJson<TuneDoc>([
      'tune',
      '--preset',
      'tiny',
      '--model',
      'u-autorec',
      '--epochs',
      '2',
      '--grid',
      'layers=8,4;6',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(json.trials.map((t) => String(t.params.layers)).sort()).toEqual(['6', '8,4']);
  });

  it('refuses a search without a grid, a bad value, and an option both fixed and searched', async () => {
    const none = await runCli(['tune', ...TINY]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('give at least one --grid KEY=V1,V2');
    expect(none.stderr).toContain('e.g. autorec tune --model svd --grid factors=32,64,128');
    const bad = await runCli(['tune', ...TINY, '--grid', 'factors=4,0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/svd: option 'factors' must be ≥ 1, got 0/);
    const both = await runCli(['tune', ...TINY, '--grid', 'epochs=2,4']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('epochs is both fixed (flag or --param) and searched (--grid)');
    const shape = await runCli(['tune', ...TINY, '--grid', 'factors']);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('write it as KEY=V1,V2,…');
  });
});
