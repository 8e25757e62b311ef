// Where a reader's bytes come from: a plain file read in large pieces at
// known offsets, or a decompressed stream. As in spt3g, compression is chosen
// by file name alone: `.gz` (gzip) and `.bz2` (bzip2); plain otherwise.
import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';

export type Compression = 'none' | 'gzip' | 'bzip2';

/** The compression spt3g would use for a file of this name. */
export function compressionOf(path: string): Compression {
  if (path.endsWith('.gz')) return 'gzip';
  if (path.endsWith('.bz2')) return 'bzip2';
  if (path.endsWith('.xz')) throw new Error(`${path}: xz-compressed .g3 files are not supported`);
  return 'none';
}

export interface ByteSource {
  /** Fills `target` as far as it can; resolves to the count, 0 at the end. */
  read(target: Uint8Array): Promise<number>;
  close(): Promise<void>;
  /** Set when the stream failed (e.g. damaged compressed data); reading then ends. */
  readonly error: { message: string; truncated: boolean } | undefined;
}

/** A plain file from a byte offset. */
export class FileSource implements ByteSource {
  readonly error = undefined;
  private constructor(
    private readonly fh: FileHandle,
    private position: number,
  ) {}

  static async open(path: string, start = 0): Promise<FileSource> {
    return new FileSource(await open(path, 'r'), start);
  }

  async read(target: Uint8Array): Promise<number> {
    const { bytesRead } = await this.fh.read(target, 0, target.length, this.position);
    this.position += bytesRead;
    return bytesRead;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** Any readable byte stream (e.g. a decompressor's output), optionally skipping its first bytes. */
export class StreamSource implements ByteSource {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Uint8Array | undefined;
  private skip: number;
  error: { message: string; truncated: boolean } | undefined;

  constructor(
    private readonly stream: Readable,
    skip = 0,
    /** the streams feeding `stream` (the file): a pipe does not pass a destroy upstream */
    private readonly upstream: readonly { destroy(): void }[] = [],
  ) {
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.skip = skip;
  }

  async read(target: Uint8Array): Promise<number> {
    let n = 0;
    while (n < target.length) {
      if (!this.pending || this.pending.length === 0) {
        if (n > 0) break;
        const chunk = await this.nextChunk();
        if (!chunk) break;
        this.pending = chunk;
        continue;
      }
      const take = Math.min(this.pending.length, target.length - n);
      target.set(this.pending.subarray(0, take), n);
      this.pending = this.pending.subarray(take);
      n += take;
    }
    return n;
  }

  private async nextChunk(): Promise<Uint8Array | undefined> {
    for (;;) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.chunks.next();
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        // zlib says Z_BUF_ERROR when the compressed stream just stops.
        this.error = { message: e.message, truncated: e.code === 'Z_BUF_ERROR' };
        return undefined;
      }
      if (r.done) return undefined;
      let chunk: Uint8Array = r.value;
      if (this.skip > 0) {
        const drop = Math.min(this.skip, chunk.length);
        this.skip -= drop;
        chunk = chunk.subarray(drop);
        if (chunk.length === 0) continue;
      }
      return chunk;
    }
  }

  async close(): Promise<void> {
    this.stream.destroy();
    for (const s of this.upstream) s.destroy();
  }
}

/** Opens the bytes of a .g3 file from stream offset `start` (decompressing by name). */
export async function openSource(path: string, start = 0, compression: Compression = compressionOf(path)): Promise<ByteSource> {
  if (compression === 'none') return FileSource.open(path, start);
  // Opening first makes a missing file fail here, not later inside the stream.
  const fh = await open(path, 'r');
  const file = fh.createReadStream({ highWaterMark: 1 << 20 });
  if (compression === 'gzip') {
    const gunzip = createGunzip();
    // Errors of the file stream surface through the decompressor.
    file.on('error', (err) => gunzip.destroy(err));
    file.pipe(gunzip);
    return new StreamSource(gunzip, start, [file]);
  }
  // unbzip2-stream is an old-style (`through`) stream: wrap it as a Readable.
  const bunzip = unbzip2();
  const out = new Readable().wrap(bunzip);
  bunzip.on('error', (err: Error) => out.destroy(err));
  file.on('error', (err) => out.destroy(err));
  file.pipe(bunzip);
  return new StreamSource(out, start, [bunzip, file]);
}
