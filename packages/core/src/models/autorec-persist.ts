import { firstNonFinite } from '@autorec/data';
import { ModelFormatError } from '../errors.ts';
import { parseJson } from '../recommender.ts';
import type { ModelName, ModelStore } from '../types.ts';

/**
 * AutoRec's weight files, in the layout tfjs uses for `model.json` + `weights.bin`:
 * `model.json` lists every weight (name, shape, dtype) in a `weightsManifest` group whose one
 * path is `weights.bin`, the weights' float32 values concatenated in that order (little-endian).
 * There is no layer topology — the hyper-parameters in `manifest.json` beside it say how to
 * rebuild the network.
 * Dense kernels follow tfjs/Keras: `encoder/kernel` is [inputs, hidden], `decoder/kernel`
 * [hidden, outputs].
 *
 * @example
 * await writeWeights(store, { model: 'u-autorec' }, [{ name: 'encoder/bias', shape: [500], data }]);
 * const { meta, weights } = await readWeights(store, 'u-autorec');
 * weights.get('encoder/bias')!.data; // Float32Array(500)
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface WeightsMeta {
  model: ModelName;
  /**
   * Older files carried the hyper-parameters here too; they are the manifest's alone now
   * (`manifest.json`, one copy), and read back only for a file that still has them.
   */
  hyperParameters?: Record<string, number | string | boolean>;
}

interface ModelJson {
  format: 'autorec-weights';
  formatVersion: number;
  model: ModelName;
  hyperParameters?: Record<string, number | string | boolean>;
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];
}

const FORMAT_VERSION = 1;
const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';

export async function writeWeights(
  store: ModelStore,
  meta: WeightsMeta,
  weights: WeightSpec[],
): Promise<void> {
  let total = 0;
  for (const w of weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (size !== w.data.length)
      throw new Error(
        `weight '${w.name}': shape [${w.shape}] holds ${size} values but data has ${w.data.length}`,
      );
    total += size;
  }
  const bin = new Float32Array(total);
  let offset = 0;
  for (const w of weights) {
    bin.set(w.data, offset);
    offset += w.data.length;
  }
  const json: ModelJson = {
    format: 'autorec-weights',
    formatVersion: FORMAT_VERSION,
    model: meta.model,
    ...(meta.hyperParameters ? { hyperParameters: meta.hyperParameters } : {}),
    weightsManifest: [
      {
        paths: [WEIGHTS_FILE],
        weights: weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' })),
      },
    ],
  };
  await store.write(MODEL_FILE, JSON.stringify(json, null, 2));
  await store.write(WEIGHTS_FILE, littleEndianBytes(bin));
}

/**
 * Weight `name` of a file read by {@link readWeights}, checked to have `shape`: a clear
 * ModelFormatError when it is missing or shaped for another data set or configuration.
 *
 * @example
 * const bias = weightOf(weights, 'encoder/bias', [500]);
 */
export function weightOf(
  weights: Map<string, { shape: number[]; data: Float32Array }>,
  name: string,
  shape: number[],
): Float32Array {
  const w = weights.get(name);
  if (!w) throw new ModelFormatError(`${MODEL_FILE}: weight '${name}' is missing`, { file: MODEL_FILE });
  if (w.shape.length !== shape.length || w.shape.some((d, k) => d !== shape[k]))
    throw new ModelFormatError(
      `${MODEL_FILE}: weight '${name}' has shape [${w.shape}] but this model needs [${shape}] ` +
        '(the weights belong to another dataset or configuration)',
      { file: MODEL_FILE },
    );
  return w.data;
}

export async function readWeights(
  store: ModelStore,
  model: ModelName,
): Promise<{ meta: WeightsMeta; weights: Map<string, { shape: number[]; data: Float32Array }> }> {
  const json = parseJson<ModelJson>(await store.readText(MODEL_FILE), MODEL_FILE);
  if (json?.format !== 'autorec-weights' || !Array.isArray(json.weightsManifest))
    throw new ModelFormatError(`${MODEL_FILE}: not an AutoRec weights manifest (format '${json?.format}')`);
  if (json.formatVersion !== FORMAT_VERSION)
    throw new ModelFormatError(
      `${MODEL_FILE}: weights format version ${json.formatVersion} is not supported (expected ${FORMAT_VERSION})`,
    );
  if (json.model !== model)
    throw new ModelFormatError(`${MODEL_FILE}: holds weights of '${json.model}', not '${model}'`);
  const group = json.weightsManifest[0];
  if (json.weightsManifest.length !== 1 || group?.paths?.length !== 1 || group.paths[0] !== WEIGHTS_FILE)
    throw new ModelFormatError(`${MODEL_FILE}: expected one weights group stored in '${WEIGHTS_FILE}'`);
  let total = 0;
  for (const w of group.weights) {
    if (w.dtype !== 'float32')
      throw new ModelFormatError(
        `${MODEL_FILE}: weight '${w.name}' has dtype '${w.dtype}'; only float32 is supported`,
      );
    if (!Array.isArray(w.shape) || w.shape.some((d) => !Number.isInteger(d) || d < 0))
      throw new ModelFormatError(
        `${MODEL_FILE}: weight '${w.name}' has an invalid shape ${JSON.stringify(w.shape)}`,
      );
    total += w.shape.reduce((a, b) => a * b, 1);
  }
  const bytes = await store.read(WEIGHTS_FILE);
  if (bytes.byteLength !== total * 4)
    throw new ModelFormatError(
      `${WEIGHTS_FILE}: expected ${total * 4} bytes for the ${group.weights.length} weights listed in ${MODEL_FILE} ` +
        `but found ${bytes.byteLength}; the file is truncated or belongs to another model`,
    );
  const all = fromLittleEndianBytes(bytes);
  const weights = new Map<string, { shape: number[]; data: Float32Array }>();
  let offset = 0;
  for (const w of group.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const data = all.subarray(offset, offset + size);
    const at = firstNonFinite(data);
    if (at >= 0)
      throw new ModelFormatError(
        `${WEIGHTS_FILE}: weight '${w.name}' holds ${data[at]} at index ${at}; the file is corrupt, or the model diverged before it was saved`,
        { file: WEIGHTS_FILE },
      );
    weights.set(w.name, { shape: w.shape, data });
    offset += size;
  }
  return { meta: { model: json.model, hyperParameters: json.hyperParameters ?? {} }, weights };
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat32(k * 4, values[k], true);
  return out;
}

function fromLittleEndianBytes(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < out.length; k++) out[k] = view.getFloat32(k * 4, true);
  }
  return out;
}
