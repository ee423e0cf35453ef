import { stat } from 'node:fs/promises';
import {
  loadKnownPlays,
  loadModel,
  ModelFormatError,
  type ModelManifest,
  type Recommender,
  readManifest,
  type ScoredItem,
} from '@autorec/core';
import { directoryStore } from '@autorec/core/node';
import {
  type CsrMatrix,
  DataError,
  itemLabel,
  type PreparedDataset,
  type TransformSpec,
} from '@autorec/data';
import { UserError } from './errors.ts';
import { printable } from './printable.ts';

/** A saved model with its manifest and the plays it knows beyond training (left out of lists). */
export interface OpenedModel {
  model: Recommender;
  manifest: ModelManifest;
  /** Validation, test and fold-in plays saved with the model (`known-plays.bin`), if any. */
  known?: CsrMatrix;
}

/**
 * Loads a model folder written by `autorec train` or `autorec compare --out` (models/<name>).
 * A missing or damaged folder is a UserError saying how to get a good one.
 *
 * @example
 * const { model } = await openModel('reports/latest/models/u-autorec');
 */
export async function openModel(dir: string): Promise<OpenedModel> {
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => undefined,
  );
  if (isDir === undefined)
    throw new UserError(`model folder '${dir}' not found`, {
      hint: 'train one with `autorec train --model u-autorec --preset tiny --out DIR`, or use reports/latest/models/<name> after `npm start`',
    });
  if (!isDir) throw new UserError(`'${dir}' is a file; --model takes the model folder`);
  const store = directoryStore(dir);
  try {
    const manifest = await readManifest(store);
    const model = await loadModel(store);
    try {
      return { model, manifest, known: await loadKnownPlays(store) };
    } catch (e) {
      model.dispose();
      throw e;
    }
  } catch (e) {
    // ModelFormatError: the core could not read the folder; DataError: a damaged binary file in it.
    if (e instanceof ModelFormatError || e instanceof DataError) {
      const message = e.message;
      throw new UserError(message.includes(dir) ? message : `${dir}: ${message}`, {
        hint: 'is this a model folder? save the model again with `autorec train`',
        cause: e,
      });
    }
    throw e;
  }
}

/**
 * Fails when a model and a prepared dataset do not belong together: different users or songs
 * (scores would be meaningless) or a different split (its "test" plays may have been training
 * data for the model, which would flatter it).
 */
export function checkModelMatchesData(opened: OpenedModel, prepared: PreparedDataset): void {
  const { model, manifest } = opened;
  const ds = prepared.dataset;
  if (model.users.size !== ds.users.size || model.items.size !== ds.items.size || !sameIds(model, prepared))
    throw new UserError(
      `the model was trained on other data (${model.users.size} users × ${model.items.size} songs; the cache has ${ds.users.size} × ${ds.items.size})`,
      { hint: 'evaluate with the prepared dataset the model was trained on' },
    );
  const extra = manifest.extra as { split?: unknown; seed?: unknown; sourceChecksum?: unknown } | undefined;
  if (
    extra?.split !== undefined &&
    (JSON.stringify(extra.split) !== JSON.stringify(prepared.params.split) ||
      extra.seed !== prepared.params.seed)
  )
    throw new UserError(
      `the model was trained with another split (${JSON.stringify(extra.split)}, seed ${extra.seed}) than the cache's ` +
        `(${JSON.stringify(prepared.params.split)}, seed ${prepared.params.seed}): its test plays may be in the model's training data`,
      {
        hint: 'train on this cache with `autorec train --data DIR`, or prepare the cache with the model’s split and seed',
      },
    );
  // Ratings made another way are on another scale: the RMSE would compare unlike numbers.
  if (!sameTransform(manifest.transform, prepared.transform))
    throw new UserError(
      `the model was trained on ${manifest.transform.name} ratings (${describeSpec(manifest.transform)}); ` +
        `the cache holds ${prepared.transform.name} ratings (${describeSpec(prepared.transform)})`,
      { hint: `prepare the cache with --transform ${manifest.transform.name}, or train on this cache` },
    );
  if (typeof extra?.sourceChecksum === 'string' && extra.sourceChecksum !== prepared.sourceChecksum)
    throw new UserError(
      `the model was trained on other play counts (source checksum ${extra.sourceChecksum}; the cache's is ${prepared.sourceChecksum})`,
      { hint: 'evaluate with the prepared dataset the model was trained on' },
    );
}

function sameTransform(a: TransformSpec, b: TransformSpec): boolean {
  const close = (x: number | undefined, y: number | undefined) =>
    x === y || (x !== undefined && y !== undefined && Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)));
  return (
    a.name === b.name &&
    close(a.scale.min, b.scale.min) &&
    close(a.scale.max, b.scale.max) &&
    close(a.alpha, b.alpha) &&
    close(a.epsilon, b.epsilon) &&
    (a.thresholds?.length ?? 0) === (b.thresholds?.length ?? 0) &&
    (a.thresholds ?? []).every((x, i) => close(x, b.thresholds?.[i]))
  );
}

function describeSpec(t: TransformSpec): string {
  return `scale ${t.scale.min}–${t.scale.max}${t.thresholds ? `, cuts ${t.thresholds.map((x) => x.toFixed(3)).join('/')}` : ''}`;
}

function sameIds(model: Recommender, prepared: PreparedDataset): boolean {
  const a = model.items.toArray();
  const b = prepared.dataset.items.toArray();
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  const u = model.users.toArray();
  const v = prepared.dataset.users.toArray();
  for (let i = 0; i < u.length; i++) if (u[i] !== v[i]) return false;
  return true;
}

/** A recommendation or similar song with its display info. */
export interface DisplayItem {
  id: string;
  score: number;
  artist: string | null;
  title: string | null;
}

export function withInfo(model: Recommender, items: readonly ScoredItem[]): DisplayItem[] {
  return items.map(({ item, score }) => {
    const info = model.itemInfo(item);
    return { id: item, score, artist: info?.artist ?? null, title: info?.title ?? null };
  });
}

/**
 * `Artist — Title`, or the id when the data had no metadata — made `printable`: this is where
 * song text from data files becomes display text in the interactive app (the CLI's `Output`
 * sanitises everything it prints as well).
 */
export function songLabel(item: { id: string; artist: string | null; title: string | null }): string {
  return printable(itemLabel(item.id, { artist: item.artist ?? undefined, title: item.title ?? undefined }));
}

/**
 * What a model's recommendation scores are, for column headings (from the model's `scoreKind`):
 * a predicted rating on the training scale (AutoRec's are not clipped, so they may pass its top),
 * a unitless preference score of the implicit-feedback models, or popularity's listener counts.
 *
 * @example
 * scoreMeaning(svd);  // 'predicted rating (1–5)'
 * scoreMeaning(ials); // 'score (higher ranks first)'
 */
export function scoreMeaning(model: Pick<Recommender, 'scoreKind' | 'scale'>): string {
  switch (model.scoreKind) {
    case 'listeners':
      return 'listeners';
    case 'preference':
      return 'score (higher ranks first)';
    default:
      return `predicted rating (${model.scale.min}–${model.scale.max})`;
  }
}

/** A score as a list shows it: listener counts whole, other scores to three decimals. */
export function formatScore(score: number, meaning: string | undefined): string {
  return meaning === 'listeners' ? Math.round(score).toLocaleString('en') : score.toFixed(3);
}
