import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runJson, startCli, tempDir, waitFor, waitForStderr } from './cli-helpers.ts';

// Issue 8, items 1–4: --out replaces only what autorec wrote, never a link or a device, a killed
// launcher takes its worker with it, and no half-written output survives.

let dir: string;
let remove: () => Promise<void>;
const path = (...parts: string[]) => join(dir, ...parts);

beforeAll(async () => {
  ({ dir, remove } = await tempDir('safety'));
});
afterAll(async () => {
  await remove();
});

/** Every entry under `root`, as sorted relative paths (folders end with /). */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        out.push(`${p}/`);
        await walk(p);
      } else out.push(p);
    }
  };
  await walk('');
  return out.sort();
}

function expectOneLineRefusal(stderr: string, what: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(2);
  expect(lines[0]).toMatch(what);
  expect(lines[1]).toMatch(/^ {2}hint: /);
}

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

describe('--out replaces only a folder autorec wrote (item 1)', () => {
  it('compare refuses a folder with other files in it, even if it holds results.json', async () => {
    await mkdir(path('p', 'src'), { recursive: true });
    await writeFile(path('p', 'src', 'main.c'), 'int main;');
    await writeFile(path('p', 'results.json'), '{}');
    const run = await runCli(['compare', '--preset', 'tiny', '--models', 'popularity', '--out', path('p')]);
    expect(run.code).toBe(1);
    expectOneLineRefusal(run.stderr, /^autorec: refusing to replace '.*p': it has no files\.json/);
    expect(await tree(path('p'))).toEqual(['results.json', 'src/', 'src/main.c']);
  });

  it('compare refuses the current folder', async () => {
    await mkdir(path('here'));
    await writeFile(path('here', 'results.json'), '{}');
    const run = await runCli(['compare', '--preset', 'tiny', '--models', 'popularity', '--out', '.'], {
      cwd: path('here'),
    });
    expect(run.code).toBe(1);
    expectOneLineRefusal(run.stderr, /it is the current folder/);
    expect(await readdir(path('here'))).toEqual(['results.json']);
  });

  it('compare replaces its own report, but not once a file was added to it', async () => {
    const out = path('report');
    const args = ['compare', '--preset', 'tiny', '--models', 'popularity,global-mean', '--out', out];
    expect((await runCli(args)).code).toBe(0);
    const index = JSON.parse(await readFile(join(out, 'files.json'), 'utf8'));
    expect(index.format).toBe('autorec-report');
    expect(Object.keys(index.files)).toContain('models/popularity/ratings.bin');
    expect(Object.keys(index.files)).toContain('report.md');
    expect((await runCli(args)).code).toBe(0); // its own folder: replaced
    await writeFile(join(out, 'models', 'notes.txt'), 'mine');
    const run = await runCli(args);
    expect(run.code).toBe(1);
    expectOneLineRefusal(run.stderr, /'models\/notes\.txt' in it was not written by autorec/);
    expect(await readFile(join(out, 'models', 'notes.txt'), 'utf8')).toBe('mine');
  });

  // Root reads every folder whatever its mode, so this runs only as another user (not in CI, which is root).
  it.skipIf(process.getuid?.() === 0)(
    'compare refuses, naming it, a report whose subfolder it cannot read',
    async () => {
      const out = path('locked');
      const args = ['compare', '--preset', 'tiny', '--models', 'popularity', '--out', out];
      expect((await runCli(args)).code).toBe(0);
      await chmod(join(out, 'models', 'popularity'), 0o000);
      try {
        const run = await runCli(args);
        expect(run.code).toBe(1);
        expectOneLineRefusal(run.stderr, /cannot read 'models\/popularity\/' in it \(EACCES\)/);
      } finally {
        await chmod(join(out, 'models', 'popularity'), 0o755);
      }
    },
  );

  it('train refuses a folder holding manifest.json and other files; prepare refuses a non-empty folder', async () => {
    await mkdir(path('m'));
    await writeFile(path('m', 'manifest.json'), '{}');
    await writeFile(path('m', 'thesis.tex'), 'do not delete');
    const train = await runCli(['train', '--preset', 'tiny', '--model', 'popularity', '--out', path('m')]);
    expect(train.code).toBe(1);
    expectOneLineRefusal(train.stderr, /^autorec: refusing to replace '.*m': /);
    expect(train.stderr).not.toMatch(/training/); // refused before any work
    expect((await readdir(path('m'))).sort()).toEqual(['manifest.json', 'thesis.tex']);
    await mkdir(path('cache'));
    await writeFile(path('cache', 'data.csv'), 'a,b\n');
    const prepare = await runCli(['prepare', '--synthetic', 'tiny', '--out', path('cache')]);
    expect(prepare.code).toBe(1);
    expectOneLineRefusal(prepare.stderr, /^autorec: refusing to replace '.*cache': /);
    expect(await readdir(path('cache'))).toEqual(['data.csv']);
    // Its own cache is replaced on a second run, and the folder holds only what it wrote.
    const again = ['prepare', '--synthetic', 'tiny', '--out', path('cache2')];
    expect((await runCli(again)).code).toBe(0);
    expect((await runCli(again)).code).toBe(0);
    expect((await readdir(path('cache2'))).sort()).toEqual(['files.json', 'prepare.json', 'prepared.bin']);
  });
});

describe('--out never turns a link, a pipe or a device into a file (item 2)', () => {
  it('writes through a FIFO instead of replacing it', async () => {
    const fifo = path('fifo');
    execFileSync('mkfifo', [fifo]);
    const chunks: Buffer[] = [];
    const reader = new Promise<void>((resolve, reject) => {
      createReadStream(fifo)
        .on('data', (c) => chunks.push(c as Buffer))
        .on('end', resolve)
        .on('error', reject);
    });
    const run = await runCli(['generate', '--preset', 'tiny', '--out', fifo]);
    await reader;
    expect(run.code, run.stderr).toBe(0);
    expect((await lstat(fifo)).isFIFO()).toBe(true);
    expect(Buffer.concat(chunks).toString().split('\n')[0]).toMatch(/^\w+\tSO\w+\t\d+$/);
  });

  it('writes through /dev/stdout and a character device', async () => {
    const out = await runCli(['generate', '--preset', 'tiny', '--out', '/dev/stdout']);
    expect(out.code, out.stderr).toBe(0);
    // Only the data on stdout: the summary goes to stderr, so a pipe gets a clean file.
    expect(out.stdout.trimEnd().split('\n')).toHaveLength(5198);
    expect(
      out.stdout
        .trimEnd()
        .split('\n')
        .every((l) => /^\w+\tSO\w+\t\d+$/.test(l)),
    ).toBe(true);
    expect(out.stderr).toContain('wrote /dev/stdout: 200 users × 300 songs');
    const dash = await runCli(['generate', '--preset', 'tiny', '--out', '-']);
    expect(dash.stdout).toBe(out.stdout);
    const json = await runCli(['generate', '--preset', 'tiny', '--out', '/dev/stdout', '--json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--json and an output on standard output would mix in one stream');
    const isRoot = process.getuid?.() === 0;
    if (!isRoot) return; // mknod needs root
    const device = path('nullrep');
    execFileSync('mknod', [device, 'c', '1', '3']);
    expect((await runCli(['generate', '--preset', 'tiny', '--out', device])).code).toBe(0);
    expect((await lstat(device)).isCharacterDevice()).toBe(true);
  });

  it('refuses a symbolic link to a file or a folder, naming its target', async () => {
    await writeFile(path('real.tsv'), 'mine\n');
    await symlink(path('real.tsv'), path('link.tsv'));
    const file = await runCli(['generate', '--preset', 'tiny', '--out', path('link.tsv')]);
    expect(file.code).toBe(1);
    expectOneLineRefusal(file.stderr, /it is a symbolic link \(to '.*real\.tsv'\)/);
    expect(await readlink(path('link.tsv'))).toBe(path('real.tsv'));
    expect(await readFile(path('real.tsv'), 'utf8')).toBe('mine\n');
    await mkdir(path('real-dir'));
    await symlink(path('real-dir'), path('link-dir'));
    const folder = await runCli([
      'compare',
      '--preset',
      'tiny',
      '--models',
      'popularity',
      '--out',
      path('link-dir'),
    ]);
    expect(folder.code).toBe(1);
    expectOneLineRefusal(folder.stderr, /it is a symbolic link/);
    expect((await lstat(path('link-dir'))).isSymbolicLink()).toBe(true);
  });
});

describe('processes and half-finished outputs (items 3 and 4)', () => {
  it('kill -9 of the launcher ends the worker process too; nothing is written', async () => {
    const out = path('killed');
    const { child, done, stderrSoFar } = startCli([
      'train',
      '--preset',
      'default',
      '--model',
      'u-autorec',
      '--epochs',
      '500',
      '--param',
      'patience=500',
      '--out',
      out,
    ]);
    await waitForStderr(stderrSoFar, /u-autorec: epoch 1\/500/);
    const launcher = child.pid!;
    const [worker] = readFileSync(`/proc/${launcher}/task/${launcher}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(worker).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await done;
    await waitFor(() => !isAlive(worker), `worker ${worker} to exit after its launcher was killed`);
    await expect(lstat(out)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((f) => f.startsWith('.killed'))).toEqual([]);
  });

  it('recommend --all-users: Ctrl-C mid-write leaves the previous file and no temporary file', async () => {
    const model = path('pop-model');
    expect(
      (await runCli(['train', '--preset', 'default', '--model', 'popularity', '--out', model])).code,
    ).toBe(0);
    const out = path('top.tsv');
    await writeFile(out, 'previous\n');
    // What earlier runs left behind (a dead pid, in today's and yesterday's naming) goes on the next run.
    const dead = deadPid();
    await writeFile(path(`.top.tsv.partial-${dead}-0a0b0c0d`), 'half');
    await writeFile(path(`top.tsv.${dead}-0a0b0c0d.tmp`), 'half');
    const { child, done } = startCli([
      'recommend',
      '--model',
      model,
      '--all-users',
      '-k',
      '400',
      '--out',
      out,
    ]);
    await waitFor(
      async () =>
        (await readdir(dir)).some((f) => f.startsWith('.top.tsv.partial-') && !f.includes(String(dead))),
      'the temporary file to appear',
    );
    expect((await readdir(dir)).filter((f) => f.includes(String(dead)))).toEqual([]);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(await readFile(out, 'utf8')).toBe('previous\n');
    expect((await readdir(dir)).filter((f) => f.includes('top.tsv') && f !== 'top.tsv')).toEqual([]);
    // And uninterrupted, it replaces the file whole.
    const { json } = await runJson<{ bytes: number }>([
      'recommend',
      '--model',
      model,
      '--all-users',
      '--out',
      out,
    ]);
    expect((await readFile(out)).byteLength).toBe(json.bytes);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('model files are checked whole (item 13)', () => {
  it('recommend names a model file whose content changed at the same size', async () => {
    const model = path('checked-model');
    expect(
      (await runCli(['train', '--preset', 'tiny', '--model', 'svd', '--epochs', '2', '--out', model])).code,
    ).toBe(0);
    const file = join(model, 'ratings.bin');
    const bytes = await readFile(file);
    bytes[16] ^= 1; // in the bundle's JSON header (its rows/cols), which the bundle checksum does not cover
    await writeFile(file, bytes);
    const user = JSON.parse(await readFile(join(model, 'ids.json'), 'utf8')).users[0];
    const run = await runCli(['recommend', '--model', model, '--user', user]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/file 'ratings\.bin' is corrupt: its SHA-256 differs/);
    expect(run.stdout).toBe('');
  });
});

describe('text from data files cannot act on the terminal or split a TSV row (item 15)', () => {
  it('recommend and similar print metadata escapes visibly; --all-users escapes tabs in ids', async () => {
    const plays = path('evil-plays.csv');
    const tracks = path('evil-tracks.txt');
    const lines = ['user,song,plays'];
    for (let u = 0; u < 12; u++)
      for (let s = 0; s < 8; s++)
        if ((u + s) % 3 !== 0) lines.push(`${u === 0 ? '"tab\tuser"' : `u${u}`},S${s},${1 + ((u * s) % 5)}`);
    await writeFile(plays, `${lines.join('\n')}\n`);
    const evil = '\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e';
    await writeFile(
      tracks,
      Array.from(
        { length: 8 },
        (_, s) => `TR${s}<SEP>S${s}<SEP>${evil}Artist ${s}<SEP>Title ${s}\r\x1b[1A`,
      ).join('\n'),
    );
    const model = path('evil-model');
    const train = await runCli([
      'train',
      '--input',
      plays,
      '--format',
      'csv',
      '--columns',
      'user,song,plays',
      '--metadata',
      tracks,
      '--metadata-format',
      'msd-tracks',
      '--model',
      'popularity',
      '--split',
      'holdout:0.1:0',
      '--out',
      model,
    ]);
    expect(train.code, train.stderr).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    const control = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
    const rec = await runCli(['recommend', '--model', model, '--user', 'u1', '-k', '3']);
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.stdout).toContain('\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eArtist');
    expect(rec.stdout).not.toMatch(control);
    const similar = await runCli(['similar', '--model', model, '--song', 'S1', '-k', '3']);
    expect(similar.code, similar.stderr).toBe(0);
    expect(similar.stdout).not.toMatch(control);
    const json = await runCli(['recommend', '--model', model, '--user', 'u1', '-k', '3', '--json']);
    expect(json.stdout).not.toMatch(control);
    expect(JSON.parse(json.stdout).items[0].artist).toContain(evil); // JSON keeps the data, escaped
    // An unknown id in an error message is made printable too.
    const unknown = await runCli(['recommend', '--model', model, '--user', 'x\x1b[2Jy']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("'x\\x1b[2Jy'");
    const out = path('evil-top.tsv');
    expect((await runCli(['recommend', '--model', model, '--all-users', '-k', '2', '--out', out])).code).toBe(
      0,
    );
    const rows = (await readFile(out, 'utf8')).trimEnd().split('\n');
    for (const row of rows) expect(row.split('\t')).toHaveLength(4);
    expect(rows.filter((r) => r.startsWith('tab\\tuser\t'))).toHaveLength(2);
  });
});
