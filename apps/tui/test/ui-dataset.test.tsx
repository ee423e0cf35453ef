import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../src/ui/App.tsx';
import { AppController } from '../src/ui/store.ts';
import { edit } from '../src/ui/TextInput.tsx';
import { tempDir } from './cli-helpers.ts';
import { expectFits, renderAt, waitForFrame } from './render-at.tsx';

const KEYS = { down: '\u001B[B', enter: '\r', tab: '\t' };

let dir: string;
let remove: () => Promise<void>;
beforeAll(async () => {
  let base: string;
  ({ dir: base, remove } = await tempDir('dataset-screen'));
  // A path longer than the field, as real ones often are.
  dir = join(base, 'listening-logs-of-two-thousand-eleven', 'hetrec');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'user_artists.dat'), 'userID\tartistID\tweight\n1\t1\t10\n');
  await writeFile(join(dir, 'artists.dat'), 'id\tname\turl\tpictureURL\n1\t浜崎あゆみ\thttp://x\thttp://y\n');
  await mkdir(join(dir, 'not-a-cache'));
});
afterAll(() => remove());

/** Types `text` one key at a time, as a person would. */
async function type(stdin: { write: (s: string) => void }, text: string) {
  for (const ch of text) stdin.write(ch);
}

describe('typing', () => {
  it('applies every erase character of a chunk and drops other control characters', () => {
    expect(edit('plays.tsvXY', '\x7f\x7f')).toBe('plays.tsv');
    expect(edit('a', 'b\x7fc\u0001d')).toBe('acd');
  });
});

describe('the dataset screen', () => {
  it('checks a path as it is typed, takes a metadata file, and goes on only with files that are there', async () => {
    const controller = new AppController({ datasetIndex: 3, format: 'lastfm-hetrec' });
    const app = renderAt(<App controller={controller} />, 80, 24);
    try {
      app.stdin.write(KEYS.enter); // edit the file path
      await waitForFrame(app.lastFrame, (f) => f.includes('metadata:'));
      await type(app.stdin, join(dir, 'user_artists.daXY'));
      // A held-down Backspace arrives as one chunk of erase characters.
      app.stdin.write('\x7f\x7f');
      // Not there yet: said at once, before any Enter.
      await waitForFrame(app.lastFrame, (f) => f.includes('✗ not found'));
      app.stdin.write(KEYS.enter);
      await waitForFrame(app.lastFrame, (f) => f.includes('user_artists.da: not found'));
      expect(controller.getSnapshot().screen).toBe('dataset');
      app.stdin.write('t');
      const found = await waitForFrame(app.lastFrame, (f) => f.includes('✓ lastfm-hetrec file'));
      expectFits(found, 80, 24);
      // The long temporary path is shown by its end, where the typing is.
      expect(found).toContain('…');
      const rendered = app.frames.length;
      app.stdin.write(KEYS.down); // to the metadata field, once it has the cursor
      await waitForFrame(
        () => (controller.getSnapshot().field === 'metadata' && app.frames.length > rendered ? 'moved' : ''),
        (f) => f === 'moved',
      );
      await type(app.stdin, join(dir, 'artists.dat'));
      await waitForFrame(app.lastFrame, (f) => f.includes('✓ lastfm-hetrec metadata'));
      app.stdin.write(KEYS.enter);
      await waitForFrame(app.lastFrame, (f) => f.includes('2 · Models'));
      const source = controller.source();
      expect(source).toMatchObject({
        kind: 'file',
        format: 'lastfm-hetrec',
        input: join(dir, 'user_artists.dat'),
        metadata: { path: join(dir, 'artists.dat'), format: 'lastfm-hetrec' },
      });
    } finally {
      app.unmount();
      controller.dispose();
    }
  });

  it('says why a cache folder or a metadata file cannot be used', async () => {
    const cache = new AppController({ datasetIndex: 2, editing: true });
    cache.setPath(join(dir, 'not-a-cache'));
    await cache.chooseDataset();
    expect(cache.getSnapshot().screen).toBe('dataset');
    expect(cache.getSnapshot().message).toContain('no prepared.bin in this folder');

    const lastfm1k = new AppController({ datasetIndex: 3, editing: true, format: 'lastfm-1k' });
    lastfm1k.setPath(join(dir, 'user_artists.dat'));
    lastfm1k.setMetadataPath(join(dir, 'artists.dat'));
    await lastfm1k.chooseDataset();
    expect(lastfm1k.getSnapshot().screen).toBe('dataset');
    expect(lastfm1k.getSnapshot().message).toContain('no metadata format goes with lastfm-1k');
    expect(lastfm1k.source()).not.toHaveProperty('metadata');
  });
});
