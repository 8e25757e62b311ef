// Reading .g3 streams: frame by frame from a file (plain, .gz or .bz2) or
// from bytes in memory, each frame with its byte offset, and single frames
// at a known offset (what an index records to come back later).
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { G3FormatError } from './errors.js';
import type { G3Frame } from './frame.js';
import { parseFrame } from './frame-parser.js';
import { compressionOf, openSource, StreamSource, type ByteSource, type Compression } from './source.js';
import { allocBytes } from './views.js';
import { FrameSplitter, type G3StreamProblem, type SplitterOptions, type StreamStatus, type TruncatedTail } from './splitter.js';

export type { G3StreamProblem, StreamStatus, TruncatedTail } from './splitter.js';

/** Size of one read; the reader keeps one read in flight ahead of the parser. */
const READ_SIZE = 1 << 21;

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
 * reader's buffers (no copy) and may be kept, unless `reuseBuffers` was
 * asked for. After the loop, `summary()` says whether the stream was
 * complete, truncated or damaged. The file is closed when the loop ends,
 * also early.
 */
export class G3Reader implements AsyncIterable<G3Frame> {
  private readonly splitter: FrameSplitter;
  private compressionProblem: G3StreamProblem | undefined;
  private closed = false;
  /** A read ahead in flight, into the splitter's spare space. */
  private pending: Promise<number> | undefined;

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

  /**
   * Calls `fn` for every frame, awaiting it only when it returns a promise.
   * Cheaper than `for await` when there are many small frames.
   */
  async forEach(fn: (frame: G3Frame) => void | Promise<void>): Promise<void> {
    const s = this.splitter;
    try {
      for (;;) {
        const step = s.next();
        if (step.kind === 'frame') {
          const r = fn(step.frame);
          if (r) await r;
        } else if (step.kind === 'end') break;
        else await this.fill(step.bytes);
      }
    } finally {
      await this.close();
    }
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
      let n: number;
      if (this.pending) {
        n = await this.pending;
        this.pending = undefined;
      } else {
        // Ask for the missing part, in steps, so a damaged length cannot make
        // us allocate more than the stream really holds.
        const missing = Math.min(need - s.available, 1 << 26);
        const space = s.reserve(Math.max(missing, READ_SIZE));
        n = await this.source.read(space.subarray(0, Math.max(missing, READ_SIZE)));
      }
      if (n === 0) {
        this.noteSourceError();
        s.end();
        return;
      }
      s.commit(n);
    }
    // Read on into the free space while the frames held are parsed (the
    // parser looks only at bytes already committed).
    const spare = s.spare();
    if (spare.length >= READ_SIZE) this.pending = this.source.read(spare.subarray(0, READ_SIZE));
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
    if (this.pending) await this.pending.catch(() => 0);
    this.pending = undefined;
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

export interface FramesAtOptions {
  verifyCrc?: boolean;
  /** Largest single read (bytes) when reading adjacent frames together. */
  maxRead?: number;
  /**
   * Read into this scratch buffer (grown as needed and kept in the object):
   * the frames returned, and typed arrays decoded from them, are then valid
   * only until the scratch is used again.
   */
  scratch?: { bytes?: Uint8Array };
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
      const buf = allocBytes(size);
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
   * Frames come back in the order asked; a frame that cannot be read makes
   * the call throw.
   */
  async framesAt(refs: readonly { offset: number; length: number }[], opts: FramesAtOptions = {}): Promise<G3Frame[]> {
    const verifyCrc = opts.verifyCrc ?? true;
    const maxRead = opts.maxRead ?? 1 << 26;
    const order = refs.map((r, i) => ({ offset: r.offset, length: r.length, i })).sort((a, b) => a.offset - b.offset);
    // Runs of adjacent (or repeated) frames, each read at once.
    const runs: { start: number; end: number; from: number; to: number }[] = [];
    for (let k = 0; k < order.length; ) {
      const start = order[k]!.offset;
      let end = start + order[k]!.length;
      let j = k + 1;
      while (j < order.length && order[j]!.offset <= end && order[j]!.offset + order[j]!.length - start <= maxRead) {
        end = Math.max(end, order[j]!.offset + order[j]!.length);
        j++;
      }
      runs.push({ start, end, from: k, to: j });
      k = j;
    }
    let area: Uint8Array | undefined;
    if (opts.scratch) {
      const total = runs.reduce((s, r) => s + r.end - r.start, 0);
      const old = opts.scratch.bytes;
      if (!old || old.length < total) opts.scratch.bytes = allocBytes(Math.max(total, old ? old.length * 2 : 0));
      area = opts.scratch.bytes;
    }
    const out = new Array<G3Frame>(refs.length);
    // All reads are started at once (they run while earlier results are parsed).
    let at = 0;
    const reads = runs.map((run) => {
      const size = run.end - run.start;
      const buf = area ? area.subarray(at, at + size) : allocBytes(size);
      at += size;
      return this.fh.read(buf, 0, size, run.start).then(({ bytesRead }) => (bytesRead === size ? buf : buf.subarray(0, bytesRead)));
    });
    // Wait for every read before anything can throw, so none is left writing into the scratch.
    const settled = await Promise.allSettled(reads);
    for (let k = 0; k < runs.length; k++) {
      const run = runs[k]!;
      const got = settled[k]!;
      if (got.status === 'rejected') throw got.reason;
      const bytes = got.value;
      for (let m = run.from; m < run.to; m++) {
        const ref = order[m]!;
        const res = parseFrame(bytes, ref.offset - run.start, run.start, verifyCrc);
        out[ref.i] = res.kind === 'frame' ? res.frame : await this.frameAt(ref.offset, undefined, verifyCrc);
      }
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
