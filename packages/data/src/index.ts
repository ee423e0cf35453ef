export * from './binary.ts';
export * from './dataset.ts';
export * from './errors.ts';
export * from './ids.ts';
export * from './random.ts';
export * from './sparse.ts';
export * from './transforms.ts';
export * from './triplets.ts';
