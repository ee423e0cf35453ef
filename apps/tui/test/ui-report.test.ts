import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppController, shellQuote } from '../src/ui/store.ts';
import { runJson, tempDir } from './cli-helpers.ts';

/** Words of a command line written with `shellQuote`. */
function shellWords(line: string): string[] {
  return Array.from(line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g), (m) =>
    m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2],
  );
}

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ dir, remove } = await tempDir('ui-report'));
});
afterAll(() => remove());

describe('a report saved from the app', () => {
  it('records the autorec compare command that gives the same numbers, and when the run started', async () => {
    const controller = new AppController(
      {
        screen: 'models',
        datasetIndex: 1, // tiny preset
        params: { epochs: 2, hidden: 10, factors: 10, lr: undefined },
        models: Object.fromEntries(
          ['u-autorec', 'i-autorec', 'svd', 'baseline', 'popularity', 'global-mean', 'ials', 'ease'].map(
            (m) => [m, m === 'u-autorec' || m === 'svd'],
          ),
        ) as never,
      },
      { reportsDir: dir },
    );
    const before = Date.now();
    await controller.start();
    const state = controller.getSnapshot();
    expect(state.screen).toBe('results');
    await controller.saveReport();
    const saved = /report written to (.*)$/.exec(controller.getSnapshot().message ?? '')?.[1];
    expect(saved, controller.getSnapshot().message).toBeDefined();
    const report = await readFile(join(saved!, 'report.md'), 'utf8');
    controller.dispose();

    const command = /- Command: `(.*)`/.exec(report)![1];
    expect(command).not.toContain('interactive');
    const started = new Date(/- Started (\S+),/.exec(report)![1]).getTime();
    expect(started).toBe(state.training!.startedAt);
    expect(started).toBeGreaterThanOrEqual(before - 1);

    const words = shellWords(command);
    expect(words.slice(0, 2)).toEqual(['autorec', 'compare']);
    const out = words.indexOf('--out');
    words[out + 1] = join(dir, 'again');
    const { run, json } = await runJson<{ results: { model: string; rmse: number }[] }>(words.slice(1));
    expect(run.code, run.stderr).toBe(0);
    // compare may add reference models of its own; every model of the app's run is there, with the same RMSE.
    for (const row of state.result!.results) {
      const again = json.results.find((r) => r.model === row.model);
      expect(again, row.model).toBeDefined();
      expect(again!.rmse).toBeCloseTo(row.rmse, 6);
    }
  });

  it('quotes words a shell would split', () => {
    expect(shellQuote('plays.tsv')).toBe('plays.tsv');
    expect(shellWords(['my plays.tsv', "it's", 'a'].map(shellQuote).join(' '))).toEqual([
      'my plays.tsv',
      "it's",
      'a',
    ]);
  });
});
