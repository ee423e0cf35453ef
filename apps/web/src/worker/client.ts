import { type Remote, wrap } from 'comlink';
import type { Session } from './session.ts';

export type WorkerApi = Remote<Session>;

/** Starts the app's one worker and returns its typed proxy. */
export function startWorker(): WorkerApi {
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'autorec' });
  return wrap<Session>(worker);
}
