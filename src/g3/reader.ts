// Reading .g3 streams: frame by frame from a file (plain, .gz or .bz2) or
// from bytes in memory, each frame with its byte offset, and single frames
// at a known offset (what an index records to come back later).
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { G3FormatError } from './errors.js';
import type { G3Frame } from './frame.js';
import { parseFrame } from './frame-parser.js';
import { compressionOf, openSource, StreamSource, type ByteSource, type Compression } from './source.js';
import { FrameSplitter, type G3StreamProblem, type SplitterOptions, type StreamStatus, type TruncatedTail } from './splitter.js';

export type { G3StreamProblem, StreamStatus, TruncatedTail } from './splitter.js';

export interface G3ReaderOptions extends SplitterOptions {
  /** Overrides the choice by file name. */
  compression?: Compression;
}

/** How a stream ended, once it has been read to its end. */
export interface StreamSummary {
  status: StreamStatus;
  /** Frames read, including those with a bad CRC. */
  frames: number;
  /** Damage met (bad CRCs, unreadable bytes, a failing decompressor). */
  problems: G3StreamProblem[];
  /** Set when the stream ends inside a frame (a file still being written). */
  tail: TruncatedTail | undefined;
  /** Stream offset after the last frame read: where to resume when the file grows. */
  endOffset: number;
}

/**
 * Frames of one stream, in order, as an async iterable. Frames view the
 * reader's buffers (no copy) and may be kept. After the loop, `summary()`
 * says whether the stream was complete, truncated or damaged.
 */
export class G3Reader implements AsyncIterable<G3Frame> {
  private readonly splitter: FrameSplitter;
  private compressionProblem: G3StreamProblem | undefined;
  private closed = false;

  private constructor(
    private readonly source: ByteSource,
    opts: SplitterOptions,
    /** The file read, if any. */
    readonly path: string | undefined,
  ) {
    this.splitter = new FrameSplitter(opts);
  }

  /** Opens a file; `startOffset` (a frame boundary) skips what comes before. */
  static async open(path: string, opts: G3ReaderOptions = {}): Promise<G3Reader> {
    const source = await openSource(path, opts.startOffset ?? 0, opts.compression ?? compressionOf(path));
    return new G3Reader(source, opts, path);
  }

  /** Reads a byte stream already decompressed (e.g. from a socket). */
  static fromStream(stream: Readable, opts: SplitterOptions = {}): G3Reader {
    return new G3Reader(new StreamSource(stream), opts, undefined);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<G3Frame> {
    const s = this.splitter;
    try {
      for (;;) {
        const step = s.next();
        if (step.kind === 'frame') yield step.frame;
        else if (step.kind === 'end') break;
        else await this.fill(step.bytes);
      }
    } finally {
      await this.close();
    }
  }

  /** Reads until `need` bytes are held past the position, or the stream ends. */
  private async fill(need: number): Promise<void> {
    const s = this.splitter;
    while (s.available < need) {
      // Ask for the missing part, in steps, so a damaged length cannot make
      // us allocate more than the stream really holds.
      const missing = Math.min(need - s.available, 1 << 26);
      const space = s.reserve(missing);
      const n = await this.source.read(space);
      if (n === 0) {
        this.noteSourceError();
        s.end();
        return;
      }
      s.commit(n);
    }
  }

  private noteSourceError(): void {
    const e = this.source.error;
    if (!e || this.compressionProblem) return;
    // A compressed stream that just stops is a file still being written; its
    // partial frame (if any) is reported as the tail.
    if (e.truncated) return;
    this.compressionProblem = {
      kind: 'corrupt',
      frameIndex: this.splitter.frameCount,
      offset: this.splitter.offset + this.splitter.available,
      message: `decompression failed: ${e.message}`,
    };
  }

  summary(): StreamSummary {
    const s = this.splitter;
    const problems = this.compressionProblem ? [...s.problems, this.compressionProblem] : s.problems;
    const status: StreamStatus = problems.length > 0 ? 'corrupt' : s.tail ? 'truncated' : 'complete';
    return { status, frames: s.frameCount, problems, tail: s.tail, endOffset: s.offset };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.source.close();
  }
}

/** All frames of bytes in memory, synchronously (frames view `bytes`). */
export function* iterateFrames(bytes: Uint8Array, opts: SplitterOptions = {}): Generator<G3Frame, StreamSummary> {
  const s = FrameSplitter.over(bytes, opts);
  for (;;) {
    const step = s.next();
    if (step.kind !== 'frame') break;
    yield step.frame;
  }
  return { status: s.status, frames: s.frameCount, problems: s.problems, tail: s.tail, endOffset: s.offset };
}

/** Splits bytes in memory into frames, with the summary. */
export function splitFrames(bytes: Uint8Array, opts: SplitterOptions = {}): { frames: G3Frame[]; summary: StreamSummary } {
  const it = iterateFrames(bytes, opts);
  const frames: G3Frame[] = [];
  for (;;) {
    const r = it.next();
    if (r.done) return { frames, summary: r.value };
    frames.push(r.value);
  }
}

/** Reads a whole file's frames. */
export async function readG3File(path: string, opts: G3ReaderOptions = {}): Promise<{ frames: G3Frame[]; summary: StreamSummary }> {
  const reader = await G3Reader.open(path, opts);
  const frames: G3Frame[] = [];
  for await (const f of reader) frames.push(f);
  return { frames, summary: reader.summary() };
}

/**
 * Random access to the frames of one plain (uncompressed) file, by the byte
 * offsets a scan recorded. Keeps the file open between reads.
 */
export class G3FrameFile {
  private constructor(
    private readonly fh: Awaited<ReturnType<typeof open>>,
    readonly path: string,
  ) {}

  static async open(path: string): Promise<G3FrameFile> {
    if (compressionOf(path) !== 'none') throw new Error(`${path}: frames of compressed files cannot be read by offset; read the stream instead`);
    return new G3FrameFile(await open(path, 'r'), path);
  }

  /**
   * The frame at `offset`; `length` (from a scan) makes it one read. Throws
   * G3FormatError if no complete frame is there. The CRC is checked: see `crcOk`.
   */
  async frameAt(offset: number, length?: number, verifyCrc = true): Promise<G3Frame> {
    let size = length ?? 1 << 16;
    for (;;) {
      const buf = Buffer.allocUnsafeSlow(size);
      const { bytesRead } = await this.fh.read(buf, 0, size, offset);
      const res = parseFrame(buf.subarray(0, bytesRead), 0, offset, verifyCrc);
      if (res.kind === 'frame') return res.frame;
      if (res.kind === 'corrupt') throw new G3FormatError(`${this.path}: no frame at offset ${offset}: ${res.reason}`, res.at);
      if (bytesRead < size) throw new G3FormatError(`${this.path}: frame at offset ${offset} is incomplete: ${res.reason}`, offset);
      size = Math.max(res.need, size * 2);
    }
  }

  /**
   * Several frames by (offset, length), reading adjacent frames in one go.
   * Frames come back in the order asked.
   */
  async framesAt(refs: readonly { offset: number; length: number }[], verifyCrc = true, maxRead = 1 << 26): Promise<G3Frame[]> {
    const order = refs.map((r, i) => ({ ...r, i })).sort((a, b) => a.offset - b.offset);
    const out = new Array<G3Frame>(refs.length);
    let k = 0;
    while (k < order.length) {
      // Extend a run while the next frame starts where this one ends (or overlaps: the same frame twice).
      const start = order[k]!.offset;
      let end = start + order[k]!.length;
      let j = k + 1;
      while (j < order.length && order[j]!.offset <= end && order[j]!.offset + order[j]!.length - start <= maxRead) {
        end = Math.max(end, order[j]!.offset + order[j]!.length);
        j++;
      }
      const buf = Buffer.allocUnsafeSlow(end - start);
      const { bytesRead } = await this.fh.read(buf, 0, end - start, start);
      for (let m = k; m < j; m++) {
        const ref = order[m]!;
        const res = parseFrame(buf.subarray(0, bytesRead), ref.offset - start, start, verifyCrc);
        if (res.kind === 'frame') out[ref.i] = res.frame;
        else out[ref.i] = await this.frameAt(ref.offset, undefined, verifyCrc);
      }
      k = j;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** The frame at `offset` of a file. Compressed files are read from their start. */
export async function readFrameAt(path: string, offset: number, length?: number): Promise<G3Frame> {
  if (compressionOf(path) === 'none') {
    const f = await G3FrameFile.open(path);
    try {
      return await f.frameAt(offset, length);
    } finally {
      await f.close();
    }
  }
  const reader = await G3Reader.open(path, { startOffset: offset, resync: false });
  for await (const frame of reader) {
    await reader.close();
    return frame;
  }
  const s = reader.summary();
  throw new G3FormatError(`${path}: no complete frame at offset ${offset}${s.tail ? `: ${s.tail.reason}` : ''}`, offset);
}
