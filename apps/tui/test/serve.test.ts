import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, tempDir } from './cli-helpers.ts';

describe('autorec serve', () => {
  let folder: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    folder = await tempDir('serve');
  });
  afterAll(async () => {
    await folder?.remove();
  });

  it('runs the API server of `npm run serve` and stops gracefully on Ctrl-C', async () => {
    // A data folder that does not exist yet, parents included, is created.
    const dataDir = join(folder.dir, 'srv', 'autorec');
    const run = startCli(['serve', '--data-dir', dataDir, '--port', '0', '--preset', 'tiny']);
    // The server prints {"listening":PORT} and then {"ready":true} once the first model serves.
    let stdout = '';
    const ready = new Promise<number>((resolve, reject) => {
      run.child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk;
        const port = stdout.match(/\{"listening":(\d+)\}/)?.[1];
        if (port && stdout.includes('{"ready":true}')) resolve(Number(port));
      });
      run.child.once('close', (code) => reject(new Error(`exited with ${code}: ${run.stderrSoFar()}`)));
    });
    const port = await ready;
    const key = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    const res = await fetch(`http://127.0.0.1:${port}/v1/songs/popular?k=3`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect((await res.json()).items).toHaveLength(3);
    run.child.kill('SIGINT');
    const end = await run.done;
    expect(end.code).toBe(0);
    expect(end.stderr).toMatch(/finishing requests in flight[\s\S]*autorec-api: stopped/);
    expect(end.stderr).toContain('compute backend');
  }, 120_000);

  it('says why it cannot start, in one line, exit 1: a data folder holding other files', async () => {
    const foreign = join(folder.dir, 'foreign');
    await mkdir(foreign);
    await writeFile(join(foreign, 'notes.txt'), 'mine\n');
    const run = await runCli(['serve', '--data-dir', foreign, '--port', '0', '--preset', 'tiny']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /cannot start: refusing to use .*foreign as the data folder: it holds other files/,
    );
    expect(run.stderr).not.toMatch(/internal error|bug/);
    expect(await readFile(join(foreign, 'notes.txt'), 'utf8')).toBe('mine\n');
  }, 60_000);

  it('passes --help and bad flags to the server: its usage on stdout, exit 0; a bad flag exits 2', async () => {
    const help = await runCli(['serve', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: .*autorec serve/);
    expect(help.stdout).toContain('--data-dir DIR');
    const bad = await runCli(['serve', '--bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("'--bogus'");
  }, 60_000);
});
