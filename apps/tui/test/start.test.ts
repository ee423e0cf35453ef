import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, runJson, startCli, tempDir, waitForStderr } from './cli-helpers.ts';

let dir: string;
let remove: () => Promise<void>;

beforeAll(async () => {
  ({ dir, remove } = await tempDir('start'));
});
afterAll(async () => {
  await remove();
});

/** `npm start -- …extra` from the repo root: the real script, with flags appended (later flags win). */
function npmStart(extra: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['start', '--silent', '--', ...extra], {
      cwd: REPO,
      env: { ...process.env, AUTOREC_DEBUG: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm start (autorec compare --out reports/latest)', () => {
  it('runs the comparison end to end on the tiny preset and writes every report file', async () => {
    const out = join(dir, 'latest');
    const run = await npmStart([
      '--preset',
      'tiny',
      '--epochs',
      '3',
      '--hidden',
      '16',
      '--factors',
      '8',
      '--out',
      out,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/RMSE/);
    expect(run.stdout).toMatch(/U-AutoRec (beat|did not beat) SVD on test RMSE/);

    const files = (await readdir(out)).sort();
    expect(files).toEqual(['files.json', 'models', 'report.md', 'results.json', 'training-curves.svg']);
    const report = await readFile(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/^# AutoRec vs SVD on synthetic-tiny-seed1/);
    expect(report).toMatch(/(U|I)-AutoRec (beat|did not beat) SVD on test RMSE: \d\.\d{4} vs \d\.\d{4}/);
    expect(report).toContain('| SVD |');
    expect(report).toContain('| U-AutoRec |');
    expect(report).toContain('`log-bins`');
    expect(report).toMatch(/random holdout: 10% test, 10% validation, seed 42/);
    expect(report).toMatch(/U-AutoRec: hiddenUnits=16, .*epochs=3/);

    const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(results.results.map((r: { model: string }) => r.model)).toEqual([
      'svd',
      'u-autorec',
      'i-autorec',
      'baseline',
      'ials',
      'popularity',
    ]);
    expect(results.curves['u-autorec'].length).toBeGreaterThan(0);
    // The verdict answers rating and ranking apart, ranking against popularity.
    expect(report).toMatch(/^Rating: .* has the lowest test RMSE/m);
    expect(report).toMatch(/^Ranking: .* has the highest NDCG@10/m);
    expect(results.results[0]['ndcg@100']).toEqual(expect.any(Number));
    expect(results.results[0]['popularity@10']).toEqual(expect.any(Number));
    // The report's RMSE numbers are the JSON's.
    expect(report).toContain(results.results[0].rmse.toFixed(4));

    const svg = await readFile(join(out, 'training-curves.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('Validation RMSE');
    expect((svg.match(/<path class="curve" d="M/g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(svg.trim().endsWith('</svg>')).toBe(true);

    expect((await readdir(join(out, 'models'))).sort()).toEqual([
      'baseline',
      'i-autorec',
      'ials',
      'popularity',
      'svd',
      'u-autorec',
    ]);
    // Validation and test plays are saved with each model, so recommend never lists them.
    expect(await readdir(join(out, 'models', 'ials'))).toContain('known-plays.bin');
    const manifest = JSON.parse(await readFile(join(out, 'models', 'u-autorec', 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ model: 'u-autorec', hyperParameters: { hiddenUnits: 16 } });
    // A saved model answers straight away.
    const user = JSON.parse(await readFile(join(out, 'models', 'u-autorec', 'ids.json'), 'utf8')).users[0];
    const rec = await runJson<{ items: unknown[] }>([
      'recommend',
      '--model',
      join(out, 'models', 'u-autorec'),
      '--user',
      user,
      '-k',
      '3',
    ]);
    expect(rec.json.items).toHaveLength(3);
    // Nothing temporary left behind next to the report.
    expect((await readdir(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('Ctrl-C during training stops at a batch boundary, exits 130 and leaves the previous report untouched', async () => {
    const out = join(dir, 'interrupted');
    await mkdir(out);
    await writeFile(join(out, 'report.md'), 'the previous report\n');
    // The index an earlier run writes, which lets this one replace the folder.
    const index = {
      format: 'autorec-report',
      formatVersion: 1,
      files: { 'report.md': { bytes: 20, sha256: '' } },
    };
    await writeFile(join(out, 'files.json'), JSON.stringify(index));
    const { child, done, stderrSoFar } = startCli([
      'compare',
      '--preset',
      'default',
      '--models',
      'u-autorec',
      '--epochs',
      '500',
      '--hidden',
      '32',
      '--param',
      'patience=500',
      '--out',
      out,
    ]);
    await waitForStderr(stderrSoFar, /u-autorec: epoch 1\/500/);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    expect(run.stderr).toContain('stopping at the next batch boundary');
    expect(run.stderr).toMatch(/interrupted: finished no model; u-autorec was at epoch \d+\/500/);
    expect(run.stderr).toContain('no report written');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(run.stdout).toBe('');
    expect((await readdir(out)).sort()).toEqual(['files.json', 'report.md']);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toBe('the previous report\n');
    expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('Ctrl-C after some models finished prints their numbers (JSON too) and still writes no report', async () => {
    const out = join(dir, 'never-written');
    const args = [
      'compare',
      '--preset',
      'default',
      '--models',
      'svd,u-autorec,baseline',
      '--factors',
      '8',
      '--hidden',
      '32',
      '--param',
      'u-autorec.epochs=500',
      '--param',
      'u-autorec.patience=500',
      '--out',
      out,
    ];
    const human = startCli(args);
    await waitForStderr(human.stderrSoFar, /u-autorec: epoch 1\/500/);
    human.child.kill('SIGINT');
    const run = await human.done;
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/interrupted: finished svd; u-autorec was at epoch \d+\/500/);
    // popularity is always added to a comparison: 4 models.
    expect(run.stdout).toMatch(/^partial results \(1 of 4 models finished; not saved\):/);
    expect(run.stdout).toMatch(/│ svd +│ \d\.\d{4}/);
    expect(run.stdout).not.toMatch(/u-autorec|baseline/);

    const json = startCli([...args, '--json']);
    await waitForStderr(json.stderrSoFar, /u-autorec: epoch 1\/500/);
    json.child.kill('SIGINT');
    const jsonRun = await json.done;
    expect(jsonRun.code).toBe(130);
    const doc = JSON.parse(jsonRun.stdout);
    expect(doc.error).toMatchObject({ exitCode: 130 });
    expect(doc.partial.results.map((r: { model: string }) => r.model)).toEqual(['svd']);
    expect(doc.partial.results[0].rmse).toBeGreaterThan(0);
    expect(doc.partial.interruption).toMatchObject({
      model: 'u-autorec',
      stage: 'fit',
      notStarted: ['baseline', 'popularity'],
    });

    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).filter((f) => f.includes('never-written'))).toEqual([]);
  });
});
