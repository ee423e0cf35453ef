import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { entries, fixture, fixturePath } from '../../test/fixtures/fixtures.ts';
import { DataError } from '../errors.ts';
import type { ProgressInfo } from '../io/read-lines.ts';
import { openFileSource, readInteractionsFile, readItemInfoFile, readPlaysFile } from './files.ts';

const dir = mkdtempSync(join(tmpdir(), 'autorec-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openFileSource', () => {
  it('streams the file with its size and path', async () => {
    const path = fixturePath('taste-profile.txt');
    const { stream, totalBytes, name } = await openFileSource(path);
    const parts: Uint8Array[] = [];
    const reader = stream.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) parts.push(next.value);
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(fixture('taste-profile.txt'));
    expect(totalBytes).toBe(fixture('taste-profile.txt').length);
    expect(name).toBe(path);
  });

  it('reports a missing file or a directory as a DataError', async () => {
    const missing = join(dir, 'nope.tsv');
    const error = await openFileSource(missing).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toBe(`${missing}: file not found`);
    await expect(openFileSource(dir)).rejects.toThrow(`${dir}: is a directory, not a file`);
  });
});

describe('readInteractionsFile', () => {
  it('reads plain and gzip files, naming the path in messages', async () => {
    const plain = await readInteractionsFile(fixturePath('user_artists.dat'), { format: 'lastfm-hetrec' });
    const gz = join(dir, 'user_artists.dat.gz');
    writeFileSync(gz, gzipSync(fixture('user_artists.dat')));
    const zipped = await readInteractionsFile(gz, { format: 'lastfm-hetrec' });
    expect(entries(zipped)).toEqual(entries(plain));
    expect(zipped.name).toBe(gz);

    const bad = join(dir, 'bad.tsv');
    writeFileSync(bad, 'u\ts\t1\nu\ts\tzero\n');
    await expect(readInteractionsFile(bad, { format: 'taste-profile' })).rejects.toThrow(
      `${bad}, line 2, field 'play_count': not a number: "zero"`,
    );
    await expect(readInteractionsFile(join(dir, 'gone.tsv'), { format: 'taste-profile' })).rejects.toThrow(
      'gone.tsv: file not found',
    );
  });

  it('reports progress against the file size', async () => {
    let last: ProgressInfo | undefined;
    await readInteractionsFile(fixturePath('taste-profile.txt'), {
      format: 'taste-profile',
      onProgress: (p) => (last = p),
    });
    const size = fixture('taste-profile.txt').length;
    expect(last).toEqual({ bytesRead: size, totalBytes: size, lines: 5 });
  });
});

describe('readItemInfoFile', () => {
  it('reads artists.dat and unique_tracks.txt', async () => {
    const artists = await readItemInfoFile(fixturePath('artists.dat'), 'lastfm-hetrec');
    expect(artists.get('52')).toEqual({ artist: 'Morcheeba' });
    const tracks = await readItemInfoFile(fixturePath('unique_tracks.txt'), 'msd-tracks', {
      mode: 'lenient',
    });
    expect(tracks.get('SOVFVAK12A8C1350D9')).toEqual({ artist: 'Karkkiautomaatti', title: 'Tanssi vaan' });
    expect(tracks.report.source).toBe(fixturePath('unique_tracks.txt'));
  });
});

describe('readPlaysFile', () => {
  it('reads a listener file (gzip too), naming the path in messages', async () => {
    const path = join(dir, 'mine.tsv');
    writeFileSync(path, 'song_id\tcount\r\nSOAAA\t3\r\nSOBBB\r\n');
    const { plays, report } = await readPlaysFile(path);
    expect(plays).toEqual([
      { item: 'SOAAA', count: 3, line: 2 },
      { item: 'SOBBB', count: 1, line: 3 },
    ]);
    expect(report.source).toBe(path);
    const gz = join(dir, 'mine.tsv.gz');
    writeFileSync(gz, gzipSync('SOAAA,3\n'));
    expect((await readPlaysFile(gz)).plays).toEqual([{ item: 'SOAAA', count: 3, line: 1 }]);
    const bad = join(dir, 'bad-plays.tsv');
    writeFileSync(bad, 'SOAAA\t3\nSOBBB\tlots\n');
    await expect(readPlaysFile(bad)).rejects.toThrow(`${bad}, line 2, field 'count': not a number: "lots"`);
    await expect(readPlaysFile(join(dir, 'gone.tsv'))).rejects.toThrow('gone.tsv: file not found');
  });
});
