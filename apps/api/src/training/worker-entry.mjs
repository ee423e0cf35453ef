// Entry of the training thread. Worker threads do not inherit tsx's loader hooks, so this
// plain-JS file loads the TypeScript worker through tsx's API.
import { tsImport } from 'tsx/esm/api';

await tsImport('./worker.ts', import.meta.url);
