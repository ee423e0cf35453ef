import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export type Scope = 'read' | 'write' | 'admin';
const RANK: Record<Scope, number> = { read: 0, write: 1, admin: 2 };

export interface ApiKey {
  name: string;
  scopes: Scope[];
}

interface StoredKey extends ApiKey {
  hash: Buffer;
}

/** True when a key with `scopes` may do what needs `needed` (admin ⊃ write ⊃ read). */
export function allows(scopes: readonly Scope[], needed: Scope): boolean {
  return scopes.some((s) => RANK[s] >= RANK[needed]);
}

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * The API keys. Tokens are kept only as SHA-256 digests and a presented token is compared
 * with every key's digest by `timingSafeEqual`, without stopping at a match, so the time
 * taken says nothing about which key or how much of it matched.
 *
 * @example
 * const keys = new KeyRing([{ name: 'admin', key: 's3cret', scopes: ['admin'] }]);
 * keys.verify('s3cret'); // { name: 'admin', scopes: ['admin'] }
 */
export class KeyRing {
  private readonly keys: StoredKey[];

  constructor(keys: readonly { name: string; key: string; scopes: Scope[] }[]) {
    this.keys = keys.map((k) => ({ name: k.name, scopes: k.scopes, hash: digest(k.key) }));
  }

  get size(): number {
    return this.keys.length;
  }

  verify(token: string): ApiKey | undefined {
    const presented = digest(token);
    let found: StoredKey | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.hash, presented) && !found) found = key;
    return found && { name: found.name, scopes: found.scopes };
  }
}

const SCOPES = new Set<string>(['read', 'write', 'admin']);

/**
 * Reads a keys file: a JSON array of `{ name, key, scopes }`. Errors name the file and entry.
 */
export function readKeysFile(path: string): { name: string; key: string; scopes: Scope[] }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`keys file ${path}: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed))
    throw new Error(`keys file ${path}: expected a JSON array of { name, key, scopes }`);
  return parsed.map((entry, i) => {
    const e = entry as { name?: unknown; key?: unknown; scopes?: unknown };
    if (typeof e.name !== 'string' || e.name === '')
      throw new Error(`keys file ${path}: entry ${i}: 'name' must be a string`);
    if (typeof e.key !== 'string' || e.key.length < 16)
      throw new Error(
        `keys file ${path}: entry ${i} (${e.name}): 'key' must be a string of at least 16 characters`,
      );
    if (!Array.isArray(e.scopes) || e.scopes.length === 0 || e.scopes.some((s) => !SCOPES.has(s)))
      throw new Error(
        `keys file ${path}: entry ${i} (${e.name}): 'scopes' must list read, write and/or admin`,
      );
    return { name: e.name, key: e.key, scopes: e.scopes as Scope[] };
  });
}

/** A new random token (256 bits, base64url). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The admin key file of a data folder: created on first start (mode 0600) when no key was
 * configured, reused after. Returns the token and whether it was created now.
 */
export function adminKeyFile(path: string): { token: string; created: boolean } {
  if (existsSync(path)) return { token: readFileSync(path, 'utf8').trim(), created: false };
  const token = newToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, created: true };
}
