import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UserError } from './errors.ts';

/**
 * Streams text chunks to a temporary file renamed over `path` at the end.
 * Returns the byte size. A write failure is a UserError naming the path; nothing is left behind.
 */
export async function writeAtomically(path: string, chunks: Iterable<string>): Promise<number> {
  const target = resolve(path);
  const temp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(target), { recursive: true });
    let bytes = 0;
    const counted = function* () {
      for (const chunk of chunks) {
        bytes += Buffer.byteLength(chunk);
        yield chunk;
      }
    };
    await pipeline(Readable.from(counted()), createWriteStream(temp));
    await rename(temp, target);
    return bytes;
  } catch (e) {
    await rm(temp, { force: true }).catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    throw new UserError(`cannot write '${path}': ${err.code ?? err.message}`, {
      hint: 'choose a writable --out path',
    });
  }
}
