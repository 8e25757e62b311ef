// Writing .g3 streams. A frame read from a stream is written back with its
// stored key order and its blobs as read, so a file copied frame by frame is
// byte-identical; a frame built in code is written as spt3g (libstdc++ build)
// would write it. Files ending in `.gz` are gzip-compressed.
import { once } from 'node:events';
import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { ByteWriter } from './bytes.js';
import { g3Crc } from './crc32c.js';
import type { G3Frame } from './frame.js';
import { compressionOf } from './source.js';

/**
 * The bytes of one frame (FORMAT 3.1), CRC included. A frame read from a
 * stream and not changed is written exactly as read (a wrong recorded CRC
 * stays wrong: copying does not hide damage); any other frame gets its CRC
 * computed.
 */
export function encodeFrame(frame: G3Frame): Uint8Array {
  const stored = frame.storedBytes();
  if (stored) return stored;
  const entries = frame.storedEntries();
  let size = 13 + 4;
  for (const e of entries) size += 16 + e.keyBytes.length + e.blob.length;
  const w = new ByteWriter(size);
  w.u8(1);
  w.u32(1);
  w.i32(entries.length);
  w.u32(frame.type);
  let crc = 0;
  for (const e of entries) {
    w.lengthPrefixed(e.keyBytes);
    w.lengthPrefixed(e.blob);
    crc = g3Crc(e.blob, g3Crc(e.keyBytes, crc));
  }
  w.u32(crc);
  return w.bytes();
}

export interface G3WriterOptions {
  /** Add to an existing file instead of replacing it (plain files only). */
  append?: boolean;
  /** gzip level for `.gz` files (default zlib's 6, as spt3g). */
  gzipLevel?: number;
}

/** Writes frames to a file, buffering small writes. */
export class G3Writer {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** Bytes of uncompressed stream written so far (the offset of the next frame). */
  offset = 0;

  private constructor(
    private readonly fh: FileHandle | undefined,
    private readonly gzip: Writable | undefined,
    private readonly done: Promise<unknown> | undefined,
    readonly path: string,
  ) {}

  static async open(path: string, opts: G3WriterOptions = {}): Promise<G3Writer> {
    const compression = compressionOf(path);
    if (compression === 'bzip2') throw new Error(`${path}: writing bzip2 is not supported (reading is); use .g3 or .g3.gz`);
    if (compression === 'gzip') {
      if (opts.append) throw new Error(`${path}: cannot append to a compressed file`);
      const fh = await open(path, 'w');
      const out = fh.createWriteStream();
      const gzip = createGzip({ level: opts.gzipLevel ?? 6 });
      gzip.pipe(out);
      return new G3Writer(undefined, gzip, once(out, 'close'), path);
    }
    const fh = await open(path, opts.append ? 'a' : 'w');
    const w = new G3Writer(fh, undefined, undefined, path);
    if (opts.append) w.offset = (await fh.stat()).size;
    return w;
  }

  async write(frame: G3Frame): Promise<number> {
    return this.writeBytes(encodeFrame(frame));
  }

  /** Appends bytes that are already whole frames; resolves to their offset. */
  async writeBytes(bytes: Uint8Array): Promise<number> {
    const at = this.offset;
    this.offset += bytes.length;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= 1 << 22) await this.flush();
    return at;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.fh) {
      await this.fh.writev(chunks);
      return;
    }
    for (const c of chunks) {
      if (!this.gzip!.write(c)) await once(this.gzip!, 'drain');
    }
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.fh) {
      await this.fh.close();
      return;
    }
    this.gzip!.end();
    await this.done;
  }
}

/** Writes frames to a file in one go. */
export async function writeG3File(path: string, frames: Iterable<G3Frame>, opts: G3WriterOptions = {}): Promise<void> {
  const w = await G3Writer.open(path, opts);
  try {
    for (const f of frames) await w.write(f);
  } finally {
    await w.close();
  }
}
