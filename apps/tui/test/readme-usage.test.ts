import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './cli-helpers.ts';

/** The `autorec …` lines of the README's shell examples. */
function usageLines(): string[] {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((b) => b.split('\n')).filter((l) => /^autorec \w/.test(l.trim()));
}

/** Files and folders a command line writes: the values of its output flags. */
function outputsOf(line: string): string[] {
  return [...line.matchAll(/--(?:out|tracks) (\S+)/g)].map((m) => m[1]);
}

/** Whether git ignores `path` as a file or, since outputs do not exist yet, as a folder. */
function ignored(path: string): boolean {
  return [path, `${path}/`].some((p) => {
    try {
      execFileSync('git', ['check-ignore', '-q', '--no-index', p], { cwd: REPO });
      return true;
    } catch {
      return false;
    }
  });
}

describe("the README's usage examples", () => {
  it('write only where git does not look, whether run in scratch/ as it says or from the root', () => {
    const outputs = usageLines().flatMap(outputsOf);
    expect(outputs).toEqual(
      expect.arrayContaining(['plays.tsv', 'tracks.txt', 'prepared', 'models/u-autorec']),
    );
    for (const out of outputs) {
      expect(ignored(join('scratch', out)), `scratch/${out}`).toBe(true);
      expect(ignored(out), out).toBe(true);
    }
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toContain('mkdir -p scratch && cd scratch');
  });
});
