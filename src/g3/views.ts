// Whole-buffer views, shared. Frames, blobs and field vectors are all
// windows into a few large buffers; making a DataView per blob would cost
// more than reading it, so readers address the underlying ArrayBuffer
// through one cached view at absolute offsets.

let lastBuffer: ArrayBufferLike | undefined;
let lastView: DataView | undefined;

/** A DataView over the whole of `buffer` (cached for the most recent buffer). */
export function dataViewOf(buffer: ArrayBufferLike): DataView {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastView = new DataView(buffer);
  }
  return lastView!;
}

/**
 * `size` bytes of uninitialised memory as a plain Uint8Array (its subarrays
 * are plain Uint8Arrays too, which are cheaper to make than Buffers).
 */
export function allocBytes(size: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}
