import { ModelFormatError } from '../errors.ts';

/**
 * `bytes` as UTF-8 text, or a `ModelFormatError` naming the file — what every `ModelStore`'s
 * `readText` does with the bytes it read. `where` names the store in the message.
 *
 * @example
 * decodeStoreText(await read('manifest.json'), 'manifest.json', `model directory '${dir}'`);
 */
export function decodeStoreText(bytes: Uint8Array, file: string, where: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new ModelFormatError(`${where}: file '${file}' is not valid UTF-8 text`, { file, cause });
  }
}
