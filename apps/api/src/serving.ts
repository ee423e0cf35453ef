import {
  createModel,
  loadModel,
  type Play,
  type Recommender,
  type RecommendOptions,
  type ScoredItem,
} from '@autorec/core';
import { notFound, unavailable, unprocessable } from './problem.ts';
import { type ModelFiles, versionStore } from './storage/model-files.ts';
import type { ModelVersion, Repository, SongPlays } from './storage/repository.ts';

/** How a list was made, so a client can tell. */
export type ListSource = 'model' | 'fold-in' | 'popular';

/** One loaded model version with what serving it needs. Never mutated after `load`. */
export interface ServedModel {
  readonly model: Recommender;
  readonly version: ModelVersion;
  /** Listener counts of the same training data, for the `popular` lists. */
  readonly popular: Recommender;
}

export interface ListRequest {
  /** A listener's id: a training user, or one known only from events. */
  user?: string;
  /** An anonymous listener's plays. */
  plays?: readonly Play[];
  k: number;
  exclude?: readonly string[];
  candidates?: readonly string[];
  excludeSeen?: boolean;
  /** Rank songs without training plays too (a rerank asked for them by name); lists leave them out. */
  includeColdItems?: boolean;
}

export interface ListResult {
  items: ScoredItem[];
  source: ListSource;
  model: string;
  version: number;
}

/**
 * Holds the model version that serves requests and swaps it atomically: a request takes
 * `current` once and uses that one object to the end, so a swap never mixes versions inside a
 * request, and nothing it uses is freed under it (the old model is disposed after a grace
 * period longer than any request). All the maths is the core's: `recommend`,
 * `recommendForPlays`, `similarItems`, and the popularity model for listeners with no plays.
 */
export class ModelServer {
  private served?: ServedModel;
  private readonly retired = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly repo: Repository,
    private readonly models: ModelFiles,
    private readonly graceMs = 30_000,
  ) {}

  get current(): ServedModel | undefined {
    return this.served;
  }

  /** The model that serves, or a 503 while none is loaded yet (first training). */
  require(): ServedModel {
    if (!this.served)
      throw unavailable(
        'no model is loaded yet: the first training job is running (see GET /v1/training-jobs)',
      );
    return this.served;
  }

  /**
   * Loads `version` from its folder and makes it the served model. A missing or corrupt folder
   * marks the version unusable with the reason and throws; the previous model keeps serving.
   */
  async activate(version: ModelVersion): Promise<ServedModel> {
    let model: Recommender;
    try {
      model = await loadModel(versionStore(this.models, version.path));
    } catch (error) {
      // Reasons reach clients: paths inside the data folder only, never absolute ones.
      const where = this.models.kind === 'folder' ? `${this.models.dataDir}/` : '';
      const reason = `cannot load ${version.path}: ${where ? (error as Error).message.replaceAll(where, '') : (error as Error).message}`;
      await this.repo.markUnusable(version.model, version.version, reason);
      throw new VersionUnusableError(version, reason);
    }
    const popular = createModel('popularity');
    await popular.fit(model.trainSet);
    const next: ServedModel = { model, version, popular };
    const previous = this.served;
    this.served = next; // the atomic switch: one reference assignment
    if (previous) this.retire(previous);
    return next;
  }

  private retire(old: ServedModel): void {
    const timer = setTimeout(() => {
      this.retired.delete(timer);
      old.model.dispose();
      old.popular.dispose();
    }, this.graceMs);
    timer.unref();
    this.retired.add(timer);
  }

  /** Frees every model (shutdown). */
  close(): void {
    for (const t of this.retired) clearTimeout(t);
    this.served?.model.dispose();
    this.served?.popular.dispose();
    this.served = undefined;
  }
}

export class VersionUnusableError extends Error {
  constructor(
    readonly version: ModelVersion,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'VersionUnusableError';
  }
}

/**
 * A top-`k` list for a listener, from the served model `s`:
 * - a training user → `model`; songs in their events are left out too (the model saw only
 *   the training part of their plays, and anything since training);
 * - a listener known only from events, or an anonymous `plays` list → `fold-in` (the core
 *   folds the plays in without retraining);
 * - no plays at all → `popular`.
 * `history` is the listener's plays from the events store (empty for anonymous lists).
 */
export function listFor(s: ServedModel, request: ListRequest, history: readonly SongPlays[]): ListResult {
  const { model } = s;
  const excludeSeen = request.excludeSeen !== false;
  const exclude = new Set(request.exclude ?? []);
  const options = (extra: Partial<RecommendOptions> = {}): RecommendOptions => ({
    exclude,
    candidates: request.candidates,
    excludeSeen,
    includeColdItems: request.includeColdItems,
    ...extra,
  });
  if (excludeSeen) for (const p of history) exclude.add(p.song);
  const meta = { model: s.version.model, version: s.version.version };
  if (request.user !== undefined && model.users.has(request.user))
    return { items: model.recommend(request.user, request.k, options()), source: 'model', ...meta };
  const plays: Play[] =
    request.plays !== undefined ? [...request.plays] : history.map((p) => ({ item: p.song, count: p.count }));
  if (plays.length > 0) {
    const known = plays.some((p) => model.items.has(p.item));
    if (known)
      return { items: model.recommendForPlays(plays, request.k, options()), source: 'fold-in', ...meta };
    if (request.plays !== undefined)
      throw unprocessable(
        `none of the ${plays.length} songs in 'plays' is known to model ${meta.model} v${meta.version}; send songs from the catalogue (GET /v1/songs)`,
      );
  } else if (request.user !== undefined && request.plays === undefined)
    throw notFound(
      'user',
      request.user,
      'no plays in the training data or in events; send events (POST /v1/events) or ask with plays (POST /v1/recommendations)',
    );
  // Nothing the model can fold in: the most listened-to songs, minus what was asked away.
  return { items: s.popular.recommendForPlays([], request.k, options()), source: 'popular', ...meta };
}
