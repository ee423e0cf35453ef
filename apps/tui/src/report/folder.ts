import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UserError } from '../errors.ts';

/** Files that mark a folder as one of our reports (so it may be replaced). */
const REPORT_MARKERS = ['report.md', 'results.json'];

/**
 * A report folder written atomically: everything goes into a hidden temporary sibling, and
 * `commit()` swaps it into place by rename. Until then the destination is untouched, so an
 * interrupted run (Ctrl-C, a crash) never leaves a half-written report under the final name;
 * `discard()` removes the temporary folder.
 *
 * @example
 * const folder = await openReportFolder('reports/latest');
 * await folder.write('report.md', text);
 * await folder.commit();
 */
export interface ReportFolder {
  /** Final location (absolute). */
  readonly dir: string;
  /** Where files are written until commit. */
  readonly temp: string;
  write(name: string, content: string | Uint8Array): Promise<void>;
  /** Path inside the temporary folder (e.g. for a model store). */
  path(...parts: string[]): string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/**
 * Checks the destination first (it must be new, empty or an earlier report — never some other
 * folder), so a bad --out fails before any training, then creates the temporary folder.
 */
export async function openReportFolder(out: string): Promise<ReportFolder> {
  const dir = resolve(out);
  await checkReplaceable(dir);
  const temp = join(
    dirname(dir),
    `.${basename(dir)}.partial-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  try {
    await mkdir(temp, { recursive: true });
  } catch (e) {
    throw new UserError(
      `cannot create the report folder next to '${out}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      {
        hint: 'choose a writable --out location',
      },
    );
  }
  let done = false;
  return {
    dir,
    temp,
    path: (...parts) => join(temp, ...parts),
    async write(name, content) {
      const target = join(temp, name);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    },
    async commit() {
      if (done) throw new Error('report folder already committed or discarded');
      let old: string | undefined;
      if (await checkReplaceable(dir)) {
        old = join(dirname(dir), `.${basename(dir)}.old-${process.pid}-${randomBytes(4).toString('hex')}`);
        await rename(dir, old);
      }
      await rename(temp, dir);
      done = true;
      if (old) await rm(old, { recursive: true, force: true });
    },
    async discard() {
      if (done) return;
      done = true;
      await rm(temp, { recursive: true, force: true });
    },
  };
}

/** Throws unless `dir` may be replaced; resolves to whether it exists. */
async function checkReplaceable(dir: string): Promise<boolean> {
  const isDirectory = await stat(dir).then(
    (s) => s.isDirectory(),
    () => undefined, // does not exist yet
  );
  if (isDirectory === undefined) return false;
  if (!isDirectory)
    throw new UserError(`--out '${dir}' is a file, not a folder`, {
      hint: 'choose a folder name for the report',
    });
  const entries = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read '${dir}': ${e.code ?? e.message}`, {
      hint: 'choose a readable --out folder',
    });
  });
  if (entries.length > 0 && !entries.some((f) => REPORT_MARKERS.includes(f)))
    throw new UserError(`refusing to replace '${dir}': it exists and is not an autorec report`, {
      hint: 'choose a new or empty folder for --out',
    });
  return true;
}
