export {
  type AtomicFolder,
  checkFolderReplaceable,
  cleanStaleOutputs,
  type Destination,
  FOLDER_INDEX,
  type FolderFormat,
  type FolderIndex,
  OutputPathError,
  openAtomicFolder,
  outputFileMode,
  outputsSettled,
  processAlive,
  removeUnfinishedOutputsSync,
  writeFileAtomically,
} from './output-folder.ts';
export { type DirectoryStore, directoryStore } from './store.ts';
