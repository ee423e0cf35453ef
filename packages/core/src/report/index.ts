export * from './columns.ts';
export * from './json.ts';
export * from './markdown.ts';
export * from './plot.ts';
export * from './result.ts';
export * from './verdict.ts';
