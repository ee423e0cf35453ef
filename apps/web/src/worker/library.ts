/// <reference lib="webworker" />
import type { SavedModelInfo } from './protocol.ts';

/**
 * The saved models, in the browser's IndexedDB (database `autorec`): `info` holds what the
 * models screen lists, `files` the model itself as one archive (`encodeModelArchive`), so the
 * list opens without reading any weights. Hand-written over the raw API (a few dozen lines)
 * rather than a wrapper library: two stores, four operations.
 */
const DB_NAME = 'autorec';
const VERSION = 1;

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted (out of space?)'));
  });
}

export class ModelLibrary {
  private db?: Promise<IDBDatabase>;

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains('info')) db.createObjectStore('info', { keyPath: 'id' });
        if (!db.objectStoreNames.contains('files')) db.createObjectStore('files');
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('cannot open IndexedDB'));
      req.onblocked = () => reject(new Error('IndexedDB is blocked by another tab of this app; close it'));
    });
    return this.db;
  }

  /** Saved models, newest first. */
  async list(): Promise<SavedModelInfo[]> {
    const db = await this.open();
    const all = await request(
      db.transaction('info').objectStore('info').getAll() as IDBRequest<SavedModelInfo[]>,
    );
    return all.sort((a, b) => b.savedAt.localeCompare(a.savedAt));
  }

  async put(info: SavedModelInfo, archive: Uint8Array): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['info', 'files'], 'readwrite');
    tx.objectStore('info').put(info);
    tx.objectStore('files').put(archive, info.id);
    await done(tx);
  }

  async info(id: string): Promise<SavedModelInfo | undefined> {
    const db = await this.open();
    return request(
      db.transaction('info').objectStore('info').get(id) as IDBRequest<SavedModelInfo | undefined>,
    );
  }

  async archive(id: string): Promise<Uint8Array> {
    const db = await this.open();
    const bytes = await request(
      db.transaction('files').objectStore('files').get(id) as IDBRequest<Uint8Array>,
    );
    if (!bytes) throw new Error(`no saved model '${id}' (deleted in another tab?)`);
    return bytes;
  }

  async delete(id: string): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['info', 'files'], 'readwrite');
    tx.objectStore('info').delete(id);
    tx.objectStore('files').delete(id);
    await done(tx);
  }
}
