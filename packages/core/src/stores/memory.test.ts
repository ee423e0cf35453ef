import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../errors.ts';
import { memoryStore } from './memory.ts';

describe('memoryStore', () => {
  it('publishes written files on commit, replacing the previous set', async () => {
    const store = memoryStore();
    await store.write('a.json', '{"x":1}');
    await store.write('b.bin', Uint8Array.of(1, 2, 3));
    await expect(store.read('a.json')).rejects.toThrow(
      /'a.json' not found \(it was written but not committed\)/,
    );
    await store.commit();
    expect(await store.readText('a.json')).toBe('{"x":1}');
    expect(Array.from(await store.read('b.bin'))).toEqual([1, 2, 3]);
    await store.write('c.bin', Uint8Array.of(9));
    await store.commit();
    expect(store.files()).toEqual(['c.bin']);
    await expect(store.read('a.json')).rejects.toThrow(/file 'a.json' not found/);
    await expect(store.read('a.json')).rejects.toThrow(ModelFormatError);
  });

  it('copies on write and read so callers cannot corrupt it', async () => {
    const bytes = Uint8Array.of(1, 2);
    const store = memoryStore();
    await store.write('x', bytes);
    bytes[0] = 99;
    await store.commit();
    const read = await store.read('x');
    read[1] = 77;
    expect(Array.from(await store.read('x'))).toEqual([1, 2]);
  });

  it('reports text that is not UTF-8 as a damaged file, naming it', async () => {
    const store = memoryStore({ 'manifest.json': Uint8Array.of(0x7b, 0xff, 0x7d) });
    await expect(store.readText('manifest.json')).rejects.toThrow(ModelFormatError);
    await expect(store.readText('manifest.json')).rejects.toThrow(/'manifest.json' is not valid UTF-8/);
  });

  it('starts from pre-committed files', async () => {
    const store = memoryStore({ 'manifest.json': '{}', 'w.bin': Uint8Array.of(5) });
    expect(await store.readText('manifest.json')).toBe('{}');
    expect(store.peek('w.bin')).toEqual(Uint8Array.of(5));
  });
});
