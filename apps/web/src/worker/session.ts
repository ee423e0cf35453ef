/// <reference lib="webworker" />
import {
  type BackendName,
  compareModels,
  DEFAULT_RANKING_KS,
  datasetSummary,
  describeParams,
  divergenceWarnings,
  encodeModelArchive,
  experimentResult,
  loadModel,
  MODEL_NAMES,
  type ModelComparison,
  ModelFormatError,
  type ModelName,
  memoryStore,
  modelArchiveStore,
  type Play,
  type Recommender,
  readManifest,
  type ScoredItem,
  setupCompute,
  splitSummary,
} from '@autorec/core';
import {
  DataError,
  type Dataset,
  datasetStats,
  defaultTransform,
  describeSplitOptions,
  itemLabel,
  itemNoun,
  itemTotals,
  joinItemInfo,
  longTailCurve,
  type PreparedDataset,
  prepareDataset,
  readInteractions,
  readItemInfo,
  rowIndices,
  rowValues,
  type SyntheticPreset,
  syntheticDataset,
} from '@autorec/data';
import { ModelLibrary } from './library.ts';
import type {
  BackendState,
  ComparisonView,
  DatasetView,
  FileRequest,
  ListenerView,
  ModelInfo,
  ReadProgress,
  SavedModelInfo,
  SongView,
  TrainEvent,
  TrainRequest,
} from './protocol.ts';
import { reportView } from './report.ts';

/** Backends a browser can offer (tfjs-node is Node only). */
const BROWSER_BACKENDS: BackendName[] = ['webgl', 'wasm', 'cpu'];

/** A loaded model with what the explore and search screens need of it. */
interface OpenModel {
  info: SavedModelInfo;
  model: Recommender;
  labels: string[];
  /** Listeners per item in the model's training data, for ranking search results. */
  popularity: Float64Array;
}

/**
 * Everything the app computes, in one persistent Web Worker: the dataset, the prepared split,
 * training, the open models and the saved-model library. The page calls these methods through
 * Comlink (see worker.ts); nothing here touches the DOM. Models and data come from
 * @autorec/core and @autorec/data: this class only holds state and shapes answers for the UI.
 */
export class Session {
  private dataset?: Dataset;
  /** Where the dataset came from, in words, for the report. */
  private source = '';
  private prepared?: PreparedDataset;
  private abort?: AbortController;
  private open = new Map<string, OpenModel>();
  private library = new ModelLibrary();

  constructor(private readonly wasmPaths: Record<string, string>) {}

  // ---- backend ----

  async backend(choice: BackendName | 'auto' = 'auto'): Promise<BackendState> {
    const { backend: info } = await setupCompute({
      backend: choice,
      wasmPaths: this.wasmPaths,
      platform: 'browser',
    });
    const isolated = globalThis.crossOriginIsolated === true;
    return {
      name: info.name,
      reason: info.reason,
      isolated,
      threads: isolated ? Math.min(8, globalThis.navigator?.hardwareConcurrency || 1) : 1,
      choices: BROWSER_BACKENDS,
    };
  }

  /** Every registered model with its hyper-parameters, defaults and descriptions. */
  models(): ModelInfo[] {
    return MODEL_NAMES.map((name) => ({ name, params: describeParams(name) }));
  }

  // ---- data ----

  loadPreset(preset: SyntheticPreset): DatasetView {
    return this.adopt(syntheticDataset(preset), `synthetic '${preset}' preset (built in the browser)`);
  }

  async loadFile(req: FileRequest, onProgress?: (p: ReadProgress) => void): Promise<DatasetView> {
    const dataset = await readInteractions(req.file, {
      format: req.format,
      mode: req.lenient ? 'lenient' : 'strict',
      csv: req.csv,
      name: req.file.name,
      onProgress: (p) => onProgress?.({ file: req.file.name, ...p }),
    });
    if (req.metadata) {
      const { file, format } = req.metadata;
      const info = await readItemInfo(file, {
        format,
        mode: req.lenient ? 'lenient' : 'strict',
        name: file.name,
        onProgress: (p) => onProgress?.({ file: file.name, ...p }),
      });
      const { matched } = joinItemInfo(dataset, info);
      if (matched === 0)
        throw new DataError(
          `none of the ${dataset.items.size.toLocaleString('en')} ${itemNoun(dataset.format)} of ${req.file.name} is in this metadata file; is it the right one?`,
          { file: file.name },
        );
    }
    const metadata = req.metadata ? `, metadata ${req.metadata.file.name}` : '';
    return this.adopt(dataset, `${req.file.name} (${req.format}${metadata}; read in the browser)`);
  }

  private adopt(dataset: Dataset, source: string): DatasetView {
    this.dataset = dataset;
    this.source = source;
    this.prepared = undefined;
    const s = datasetStats(dataset.counts);
    return {
      name: dataset.name,
      format: dataset.format,
      noun: itemNoun(dataset.format),
      explicit: dataset.explicit,
      users: s.users,
      items: s.items,
      interactions: s.interactions,
      plays: s.plays,
      density: s.density,
      playsPerUser: { p50: s.playsPerUser.p50, max: s.playsPerUser.max },
      usersPerItem: { p50: s.usersPerItem.p50, max: s.usersPerItem.max },
      top20Share: s.longTail.byPlays.top20Share,
      tail: longTailCurve(itemTotals(dataset.counts), 200),
      hasMetadata: (dataset.itemInfo ?? []).some((i) => i !== undefined),
      report: dataset.report,
      defaultTransform: defaultTransform(dataset.format, dataset.explicit),
    };
  }

  // ---- training ----

  /**
   * Splits the dataset and trains every requested model through the core's `compareModels`;
   * each finished model is saved in IndexedDB and opened. `cancel()` stops at the next batch:
   * the finished models are kept, the interrupted one is dropped. The answer carries the CLI's
   * report of the run (`report`): table, verdict, paired tests and the three report files.
   */
  async train(req: TrainRequest, onEvent?: (e: TrainEvent) => void): Promise<ComparisonView> {
    if (!this.dataset) throw new Error('load a dataset first');
    if (req.models.length === 0) throw new Error('choose at least one model');
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const startedAt = new Date();
    const started = performance.now();
    const prepared = prepareDataset(this.dataset, {
      split: req.split,
      seed: req.seed,
      transform: req.transform,
    });
    this.prepared = prepared;
    const comparison = await compareModels(prepared, {
      models: req.models.map((m) => ({ name: m.name, params: m.params })),
      seed: req.seed,
      // The CLI's Ks, so the report's "every metric at K = 10, 20, 50, 100" holds here too.
      ranking: { k: [req.k, ...DEFAULT_RANKING_KS.filter((k) => k !== req.k)], maxUsers: req.maxUsers },
      keepModels: true,
      validationRanking: req.validationRanking,
      signal: abort.signal,
      onProgress: onEvent,
    });
    const split = describeSplitOptions(req.split);
    const result = experimentResult(comparison, {
      dataset: datasetSummary(prepared, this.source),
      split: splitSummary(prepared, split),
      k: req.k,
      seed: req.seed,
      seconds: (performance.now() - started) / 1000,
      warnings: [...skippedLines(this.dataset), ...divergenceWarnings(comparison)],
    });
    const report = reportView(result, {
      command: `autorec web app: ${req.models.map((m) => m.name).join(', ')} on ${prepared.dataset.name}, ${split}, seed ${req.seed}, K ${req.k}`,
      startedAt,
      runtime: `in a Web Worker of ${globalThis.navigator?.userAgent ?? 'a browser'}`,
    });
    const saved: string[] = [];
    const trained = comparison.trained ?? [];
    for (let i = 0; i < trained.length; i++) {
      const info = await this.saveTrained(trained[i], comparison.models[i], req.k);
      saved.push(info.id);
    }
    return {
      dataset: prepared.dataset.name,
      protocol: comparison.protocol,
      reference: comparison.reference,
      k: req.k,
      models: comparison.models,
      saved,
      aborted: comparison.aborted !== undefined,
      report,
    };
  }

  cancel(): void {
    this.abort?.abort(new Error('cancelled'));
  }

  private async saveTrained(model: Recommender, row: ModelComparison, k: number): Promise<SavedModelInfo> {
    const prepared = this.prepared!;
    const atK = row.ranking?.atK.find((r) => r.k === k);
    const metrics: Record<string, number> = { rmse: row.rating.rmse, mae: row.rating.mae };
    if (atK) Object.assign(metrics, { [`precision@${k}`]: atK.precision, [`ndcg@${k}`]: atK.ndcg });
    const store = memoryStore();
    await model.save(
      store,
      { dataset: prepared.dataset.name, split: prepared.params.split, seed: prepared.params.seed, metrics },
      {
        epochs: row.curve,
        bestEpoch: row.bestEpoch,
        seconds: row.trainSeconds,
        aborted: false,
        backend: row.backend,
      },
    );
    const archive = encodeModelArchive(store);
    const info: SavedModelInfo = {
      id: `${row.label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      label: row.label,
      model: row.model,
      dataset: prepared.dataset.name,
      savedAt: new Date().toISOString(),
      users: model.users.size,
      items: model.items.size,
      metrics,
      hyperParameters: model.hyperParameters,
      bytes: archive.byteLength,
    };
    await this.library.put(info, archive);
    this.remember(info, model);
    return info;
  }

  private remember(info: SavedModelInfo, model: Recommender): OpenModel {
    const data = model.trainSet;
    const labels = data.items.toArray().map((id, i) => itemLabel(id, data.itemInfo?.[i]));
    const popularity = new Float64Array(model.items.size);
    const m = data.ratings;
    for (let p = 0; p < m.indptr[m.rows]; p++) popularity[m.indices[p]]++;
    const open: OpenModel = { info, model, labels, popularity };
    this.open.set(info.id, open);
    return open;
  }

  // ---- saved models ----

  savedModels(): Promise<SavedModelInfo[]> {
    return this.library.list();
  }

  /** Opens a saved model (from memory, else from IndexedDB). */
  async openModel(id: string): Promise<SavedModelInfo> {
    return (await this.get(id)).info;
  }

  private async get(id: string): Promise<OpenModel> {
    const open = this.open.get(id);
    if (open) return open;
    const info = await this.library.info(id);
    if (!info) throw new Error(`no saved model '${id}'`);
    const model = await loadModel(modelArchiveStore(await this.library.archive(id), `${info.label}.autorec`));
    return this.remember(info, model);
  }

  async deleteModel(id: string): Promise<void> {
    this.open.get(id)?.model.dispose();
    this.open.delete(id);
    await this.library.delete(id);
  }

  /** The saved model as one file, for download. */
  async exportModel(id: string): Promise<{ name: string; bytes: Uint8Array }> {
    const info = (await this.library.info(id)) ?? this.open.get(id)?.info;
    if (!info) throw new Error(`no saved model '${id}'`);
    const safe = `${info.label}-${info.dataset}`.replace(/[^\w.-]+/g, '_');
    return { name: `${safe}.autorec`, bytes: await this.library.archive(id) };
  }

  /** A model exported by this app (one `.autorec` file). */
  async importArchive(name: string, bytes: Uint8Array): Promise<SavedModelInfo> {
    return this.importStore(modelArchiveStore(bytes, name), name.replace(/\.autorec$/, ''));
  }

  /**
   * A model folder written by the CLI (`autorec train --out DIR`, or `models/<name>` of a
   * compare report): its files by path relative to the chosen folder.
   */
  async importFolder(folder: string, files: { path: string; bytes: Uint8Array }[]): Promise<SavedModelInfo> {
    const byName: Record<string, Uint8Array> = {};
    for (const f of files) {
      const parts = f.path.split('/');
      // The picker gives `DIR/manifest.json`; a folder holding the model one level down works too.
      byName[parts.length > 1 ? parts.slice(1).join('/') : f.path] = f.bytes;
    }
    if (!byName['manifest.json'])
      throw new ModelFormatError(
        `${folder}: no manifest.json; choose the folder that \`autorec train --out DIR\` wrote`,
        { file: 'manifest.json' },
      );
    return this.importStore(memoryStore(byName), folder);
  }

  private async importStore(store: ReturnType<typeof memoryStore>, label: string): Promise<SavedModelInfo> {
    const manifest = await readManifest(store);
    const model = await loadModel(store);
    const extra = (manifest.extra ?? {}) as { dataset?: string; metrics?: Record<string, number> };
    const archive = encodeModelArchive(store);
    const info: SavedModelInfo = {
      id: `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`,
      label,
      model: manifest.model,
      dataset: extra.dataset ?? 'imported',
      savedAt: new Date().toISOString(),
      users: model.users.size,
      items: model.items.size,
      metrics: extra.metrics ?? {},
      hyperParameters: manifest.hyperParameters,
      bytes: archive.byteLength,
    };
    await this.library.put(info, archive);
    this.remember(info, model);
    return info;
  }

  // ---- explore ----

  /** Training users of a model whose id starts with `query` (all when empty), at most `limit`. */
  async users(id: string, query: string, limit = 50): Promise<{ users: string[]; total: number }> {
    const { model } = await this.get(id);
    const all = model.users.toArray();
    const q = query.trim();
    const users: string[] = [];
    for (const u of all) {
      if (!q || u.startsWith(q)) users.push(u);
      if (users.length >= limit) break;
    }
    return { users, total: all.length };
  }

  /**
   * A listener's most-played songs beside their top-`k`. Plays come from the loaded dataset
   * when the model was trained on it (all of the user's plays), else from the model's training
   * ratings; every song the user played is left out of the recommendations.
   */
  async listener(id: string, user: string, k = 10): Promise<ListenerView> {
    const open = await this.get(id);
    const { model, labels } = open;
    const fromData = this.dataset && this.dataset.name === open.info.dataset ? this.dataset : undefined;
    const row = fromData?.users.has(user) ? fromData.users.indexOf(user) : undefined;
    let items: Uint32Array;
    let values: ArrayLike<number>;
    let ids: (i: number) => string;
    let label: (i: number) => string;
    if (fromData && row !== undefined) {
      items = rowIndices(fromData.counts, row);
      values = rowValues(fromData.counts, row);
      ids = (i) => fromData.items.external(i);
      label = (i) => itemLabel(fromData.items.external(i), fromData.itemInfo?.[i]);
    } else {
      const u = model.users.indexOf(user);
      if (u < 0) throw new Error(`user '${user}' is not in the model's training data`);
      items = rowIndices(model.trainSet.ratings, u);
      values = rowValues(model.trainSet.ratings, u);
      ids = (i) => model.items.external(i);
      label = (i) => labels[i];
    }
    const order = Array.from(items.keys()).sort((a, b) => values[b] - values[a]);
    const played: SongView[] = order.slice(0, 20).map((j) => ({
      id: ids(items[j]),
      label: label(items[j]),
      value: values[j],
    }));
    const exclude = Array.from(items, (i) => ids(i));
    return {
      user,
      played,
      playedTotal: items.length,
      recommended: this.songs(open, model.recommend(user, k, { exclude })),
    };
  }

  async similar(id: string, item: string, k = 10): Promise<SongView[]> {
    const open = await this.get(id);
    return this.songs(open, open.model.similarItems(item, k));
  }

  /** Catalogue search over labels and ids (case-insensitive), most-listened first. */
  async search(id: string, query: string, limit = 20): Promise<SongView[]> {
    const { model, labels, popularity } = await this.get(id);
    const q = query.trim().toLowerCase();
    if (!q) return [];
    const hits: number[] = [];
    for (let i = 0; i < labels.length; i++)
      if (labels[i].toLowerCase().includes(q) || model.items.external(i).toLowerCase() === q) hits.push(i);
    hits.sort((a, b) => popularity[b] - popularity[a]);
    return hits
      .slice(0, limit)
      .map((i) => ({ id: model.items.external(i), label: labels[i], value: popularity[i] }));
  }

  /** Top-`k` for a new listener from their plays (fold-in, no retraining). */
  async recommendForPlays(id: string, plays: Play[], k = 10): Promise<SongView[]> {
    const open = await this.get(id);
    if (plays.length === 0) return [];
    return this.songs(open, open.model.recommendForPlays(plays, k));
  }

  private songs(open: OpenModel, items: ScoredItem[]): SongView[] {
    return items.map(({ item, score }) => {
      const i = open.model.items.indexOf(item);
      return { id: item, label: i < 0 ? item : open.labels[i], value: score };
    });
  }
}

/** Lines a lenient read skipped, as the report's warnings (the CLI's wording). */
function skippedLines(dataset: Dataset): string[] {
  const warnings: string[] = [];
  for (const r of [dataset.report, dataset.metadataReport]) {
    if (!r || r.skipped === 0) continue;
    const first = r.problems[0];
    warnings.push(
      `${r.source}: skipped ${r.skipped.toLocaleString('en')} bad line${r.skipped === 1 ? '' : 's'} of ${r.lines.toLocaleString('en')} (lenient reading)` +
        (first ? `; first: line ${first.line}: ${first.reason}` : ''),
    );
  }
  return warnings;
}

export type { ModelName };
