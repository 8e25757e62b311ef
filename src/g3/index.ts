// The .g3 format library: reading, decoding, encoding and writing frames of
// SPT-3G streams as written for Simons Observatory housekeeping, and the HK
// archive semantics of so3g on top. It depends on nothing else of sisock.
export * from './errors.js';
export * from './objects.js';
export { ArchiveDecoder, decodeArchive, peekClassName, KNOWN_CLASSES } from './archive-decoder.js';
export { ArchiveEncoder, encodeArchive } from './archive-encoder.js';
export { g3Crc, crcHex } from './crc32c.js';
export { libstdcxxHash, libstdcxxKeyOrder, UnorderedMapOrder } from './key-order.js';
export { G3Frame, FrameType, frameTypeName, type FrameEntry, type FrameOrigin } from './frame.js';
export { parseFrame, FRAME_LIMITS, type FrameParse } from './frame-parser.js';
export { FrameSplitter, type SplitterOptions, type SplitStep } from './splitter.js';
export * from './reader.js';
export { compressionOf, type Compression } from './source.js';
export * from './writer.js';
export * from './hk/index.js';
