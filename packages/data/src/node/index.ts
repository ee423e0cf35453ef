export * from './cache-file.ts';
export * from './files.ts';
