import { MODEL_NAMES, type ModelName } from '@autorec/core';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../src/ui/App.tsx';
import { AppController } from '../src/ui/store.ts';

const KEYS = {
  down: '\u001B[B',
  up: '\u001B[A',
  right: '\u001B[C',
  enter: '\r',
  esc: '\u001B',
  tab: '\t',
  ctrlC: '\u0003',
};
/** Waits until the last frame contains `text` (training runs in the same process), or fails saying so. */
async function waitFor(frame: () => string | undefined, text: string, timeoutMs = 45_000): Promise<string> {
  return vi.waitFor(
    () => {
      const f = frame() ?? '';
      if (!f.includes(text)) throw new Error(`timed out waiting for '${text}'; last frame:\n${f}`);
      return f;
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

/** Waits until `done()` holds, or fails naming `what` (never a fixed sleep). */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(
    () => {
      if (!done()) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 10 },
  );
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('the interactive app', () => {
  it('goes from dataset to models to live training to results, browsing and similar songs, then quits on q', async () => {
    const controller = new AppController({ params: { epochs: 2, hidden: 10, factors: 10, lr: undefined } });
    const app = render(<App controller={controller} />);
    cleanup = () => {
      app.unmount();
      controller.dispose();
    };
    expect(app.lastFrame()).toContain('1 · Choose a dataset');
    const state = () => controller.getSnapshot();
    app.stdin.write(KEYS.down); // the tiny preset
    await until(() => state().datasetIndex === 1, 'the tiny preset to be highlighted');
    app.stdin.write(KEYS.enter);
    await waitFor(app.lastFrame, '2 · Models and hyper-parameters');
    // Leave only u-autorec and svd selected: untick i-autorec (row 1) and baseline (row 3).
    app.stdin.write(KEYS.down);
    await until(() => state().paramIndex === 1, 'the cursor on i-autorec');
    app.stdin.write(' ');
    await until(() => !state().models['i-autorec'], 'i-autorec to be unticked');
    app.stdin.write(KEYS.down);
    await until(() => state().paramIndex === 2, 'the cursor on svd');
    app.stdin.write(KEYS.down);
    await until(() => state().paramIndex === 3, 'the cursor on baseline');
    app.stdin.write(' ');
    await until(() => !state().models.baseline, 'baseline to be unticked');
    expect(controller.selectedModels()).toEqual(['u-autorec', 'svd']);
    app.stdin.write(KEYS.enter);
    await waitFor(() => app.frames.join('\n'), '3 · Training');
    const results = await waitFor(app.lastFrame, '4 · Results');
    expect(results).toContain('U-AutoRec');
    expect(results).toContain('SVD');
    expect(results).toMatch(/on test RMSE/);
    // Every epoch of the run reached the screen as it happened.
    const frames = app.frames.join('\n');
    expect(frames).toContain('Validation RMSE per epoch');
    expect(frames).toMatch(/epoch [12]\/2/);

    app.stdin.write(KEYS.enter);
    const browse = await waitFor(app.lastFrame, '5 · Browse');
    expect(browse).toContain('Most played (training)');
    expect(browse).toContain('Top 20 · predicted rating');
    expect(browse).toMatch(/ — /); // artist — title of the synthetic songs
    const firstUser = controller.getSnapshot().browse!.users[0];
    expect(browse).toContain(firstUser.slice(0, 8)); // long ids are cut in the middle
    const recs = controller.getSnapshot().browse!.recommendations.map((r) => r.id);
    const played = new Set(controller.getSnapshot().browse!.history.map((h) => h.id));
    expect(recs.some((id) => played.has(id))).toBe(false);

    app.stdin.write(KEYS.right);
    await until(() => state().browse?.userIndex === 1, 'the second user');
    app.stdin.write(KEYS.tab);
    await until(() => controller.currentModelLabel() === 'svd', 'the second model (svd)');
    app.stdin.write(KEYS.enter);
    const similar = await waitFor(app.lastFrame, 'Similar songs');
    expect(similar).toContain('Most similar');
    app.stdin.write(KEYS.esc);
    await waitFor(app.lastFrame, '5 · Browse');
    app.stdin.write('q');
    await until(() => state().exit !== undefined, 'the app to quit');
    expect(controller.getSnapshot().exit).toBe(0);
  });

  it('shows a failed run as one line, goes back on Esc and exits with 1', async () => {
    const controller = new AppController({
      screen: 'models',
      datasetIndex: 3,
      path: '/nonexistent/plays.tsv',
    });
    const app = render(<App controller={controller} />);
    cleanup = () => {
      app.unmount();
      controller.dispose();
    };
    app.stdin.write(KEYS.enter);
    const failed = await waitFor(app.lastFrame, 'failed:');
    expect(failed).toContain('/nonexistent/plays.tsv: file not found');
    expect(failed).toContain('back to the models');
    app.stdin.write(KEYS.esc);
    await waitFor(app.lastFrame, '2 · Models and hyper-parameters');
    app.stdin.write(KEYS.enter);
    await waitFor(app.lastFrame, 'failed:');
    app.stdin.write('q');
    await until(() => controller.getSnapshot().exit !== undefined, 'the app to quit');
    expect(controller.getSnapshot().exit).toBe(1);
  });

  it('stops training at a batch boundary on Ctrl-C and exits with 130', async () => {
    const controller = new AppController({
      screen: 'models',
      datasetIndex: 0,
      params: { epochs: 100, hidden: 10, factors: 10, lr: undefined },
      // Only U-AutoRec, whatever models the registry holds.
      models: Object.fromEntries(MODEL_NAMES.map((m) => [m, m === 'u-autorec'])) as Record<
        ModelName,
        boolean
      >,
    });
    const app = render(<App controller={controller} />);
    cleanup = () => {
      app.unmount();
      controller.dispose();
    };
    app.stdin.write(KEYS.enter);
    await until(
      () => (controller.getSnapshot().training?.models[0].validationRmse.length ?? 0) >= 1,
      'the first epoch to finish',
      30_000,
    );
    app.stdin.write(KEYS.ctrlC);
    await until(() => controller.getSnapshot().exit !== undefined, 'the app to exit after Ctrl-C', 20_000);
    const state = controller.getSnapshot();
    expect(state.exit).toBe(130);
    expect(state.training?.stage).toBe('stopped');
    expect(state.result).toBeUndefined();
    const done = state.training!.models[0].validationRmse.length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(100);
  });
});
