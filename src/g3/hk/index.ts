// The SO housekeeping layer over the .g3 library: frame interpretation,
// per-file scans, so3g's archive scanner and archive queries.
export * from './blocks.js';
export * from './schema.js';
export * from './scan.js';
export * from './scanner.js';
export * from './archive.js';
export * from './columns.js';
export * from './frames.js';
export * from './generator.js';
export * from './translate.js';
export * from './samples.js';
