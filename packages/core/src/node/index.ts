export { type DirectoryStore, directoryStore } from './store.ts';
