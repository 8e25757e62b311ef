// The stream-to-frames state machine shared by every reader: it owns a byte
// window that the caller fills (from a file, a decompressor or a buffer),
// hands out frames that view the window, and decides what a stream's end or
// damage means. A stream that ends inside a frame is "truncated" (a file
// still being written); bytes that cannot be a frame are "corrupt", and with
// `resync` the splitter looks for the next frame whose checksum holds and
// goes on from there. A frame whose checksum fails is handed out all the
// same (spt3g consumes it whole and reads on), flagged and reported.
import { crcHex } from './crc32c.js';
import type { G3Frame } from './frame.js';
import { FRAME_HEADER_SIZE, parseFrame, plausibleFrameStart } from './frame-parser.js';
import { allocBytes } from './views.js';

export interface G3StreamProblem {
  /** `crc`: a whole frame whose checksum fails; `corrupt`: bytes that are not a frame. */
  kind: 'crc' | 'corrupt';
  /** How many frames (good or bad) came before it. */
  frameIndex: number;
  /** Stream offset of the bad frame or of the damage. */
  offset: number;
  message: string;
  /** crc: the frame's length; corrupt: bytes skipped (when reading went on). */
  length?: number;
  /** corrupt: where the next good frame was found, if it was. */
  resumedAt?: number;
}

/** A stream that ends inside a frame. */
export interface TruncatedTail {
  /** Stream offset where the partial frame starts. */
  offset: number;
  /** Bytes of it present. */
  bytesAvailable: number;
  reason: string;
}

export type StreamStatus = 'complete' | 'truncated' | 'corrupt';

export interface SplitterOptions {
  /** Check each frame's CRC (default true). */
  verifyCrc?: boolean;
  /** After damage, look for the next valid frame instead of stopping (default true). */
  resync?: boolean;
  /** Stream offset of the first byte that will be supplied (default 0). */
  startOffset?: number;
  /** Smallest window growth, in bytes. */
  chunkSize?: number;
  /**
   * Reuse the window's memory once the frames in it are passed: a frame (and
   * any typed array decoded from it) is then valid only until the next one is
   * read. For readers that look at each frame and let it go.
   */
  reuseBuffers?: boolean;
}

export type SplitStep = { kind: 'frame'; frame: G3Frame } | { kind: 'need'; bytes: number } | { kind: 'end' };

const EMPTY = new Uint8Array(0);

export class FrameSplitter {
  private buf: Uint8Array = EMPTY;
  /** Stream offset of buf[0]. */
  private base: number;
  private pos = 0;
  private len = 0;
  private ended = false;
  private finished = false;
  private resyncing: { start: number; reason: string; frameIndex: number; tail?: TruncatedTail } | undefined;
  private readonly verifyCrc: boolean;
  private readonly resync: boolean;
  private readonly chunkSize: number;
  private readonly reuse: boolean;

  /** Frames handed out so far (including those with a bad CRC). */
  frameCount = 0;
  readonly problems: G3StreamProblem[] = [];
  tail: TruncatedTail | undefined;

  constructor(opts: SplitterOptions = {}) {
    this.verifyCrc = opts.verifyCrc ?? true;
    this.resync = opts.resync ?? true;
    this.base = opts.startOffset ?? 0;
    this.chunkSize = opts.chunkSize ?? 1 << 24;
    this.reuse = opts.reuseBuffers ?? false;
  }

  /** A splitter over bytes already in memory (no copy); the stream ends with them. */
  static over(bytes: Uint8Array, opts: SplitterOptions = {}): FrameSplitter {
    const s = new FrameSplitter(opts);
    s.buf = bytes;
    s.len = bytes.length;
    s.ended = true;
    return s;
  }

  /** Stream offset of the next byte not yet part of a frame (where a later read can resume). */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes held beyond the current position. */
  get available(): number {
    return this.len - this.pos;
  }

  get status(): StreamStatus {
    if (this.problems.length > 0) return 'corrupt';
    return this.tail ? 'truncated' : 'complete';
  }

  /**
   * A writable view of at least `free` bytes after the data held, keeping
   * the unconsumed bytes. Frames already handed out keep viewing the old
   * window, which is never overwritten, unless `reuseBuffers` was asked for.
   */
  reserve(free: number): Uint8Array {
    if (this.buf.length - this.len >= free) return this.buf.subarray(this.len);
    const keep = this.len - this.pos;
    if (this.reuse && this.buf.length >= keep + free) {
      this.buf.copyWithin(0, this.pos, this.len);
      this.base += this.pos;
      this.pos = 0;
      this.len = keep;
      return this.buf.subarray(keep);
    }
    // Geometric growth keeps a large frame arriving in small pieces linear in cost.
    const size = Math.max(keep + free, keep + this.chunkSize, 2 * keep);
    const next = allocBytes(size);
    next.set(this.buf.subarray(this.pos, this.len));
    this.base += this.pos;
    this.pos = 0;
    this.len = keep;
    this.buf = next;
    return next.subarray(keep);
  }

  /** The free space after the data held, without moving anything (may be empty). */
  spare(): Uint8Array {
    return this.buf.subarray(this.len);
  }

  /** Declares `n` bytes written into the view from `reserve` (or `spare`). */
  commit(n: number): void {
    this.len += n;
  }

  /** Appends a chunk (copying it). */
  push(chunk: Uint8Array): void {
    this.reserve(chunk.length).set(chunk);
    this.commit(chunk.length);
  }

  /** Declares the end of the stream. */
  end(): void {
    this.ended = true;
  }

  /** The next frame, a request for `bytes` more bytes from the current position, or the end. */
  next(): SplitStep {
    if (this.finished) return { kind: 'end' };
    for (;;) {
      if (this.resyncing) {
        const step = this.resyncStep();
        if (step) return step;
        continue;
      }
      if (this.pos === this.len) {
        if (this.ended) return this.finish();
        return { kind: 'need', bytes: FRAME_HEADER_SIZE };
      }
      const res = parseFrame(this.window(), this.pos, this.base, this.verifyCrc);
      if (res.kind === 'frame') {
        this.pos = res.end;
        return { kind: 'frame', frame: this.handOut(res.frame) };
      }
      if (res.kind === 'incomplete') {
        if (!this.ended) return { kind: 'need', bytes: res.need };
        const tail = { offset: this.offset, bytesAvailable: this.len - this.pos, reason: res.reason };
        if (!this.resync) {
          this.tail = tail;
          return this.finish();
        }
        // A partial frame at the end is a file still being written, unless a
        // good frame follows inside it (then its length fields were damaged).
        this.resyncing = { start: this.offset, reason: res.reason, frameIndex: this.frameCount, tail };
        this.pos++;
        continue;
      }
      this.problems.push({ kind: 'corrupt', frameIndex: this.frameCount, offset: this.offset, message: res.reason });
      if (!this.resync) return this.finish();
      this.resyncing = { start: this.offset, reason: res.reason, frameIndex: this.frameCount };
      this.pos++;
    }
  }

  private window(): Uint8Array {
    return this.len === this.buf.length ? this.buf : this.buf.subarray(0, this.len);
  }

  private handOut(frame: G3Frame): G3Frame {
    const o = frame.origin!;
    if (o.crcComputed !== undefined && o.crcComputed !== o.crcStored) {
      this.problems.push({
        kind: 'crc',
        frameIndex: this.frameCount,
        offset: o.offset,
        length: o.length,
        message: `Recorded CRC (${crcHex(o.crcStored)}) does not match calculated (${crcHex(o.crcComputed)})`,
      });
    }
    this.frameCount++;
    return frame;
  }

  /** Advances the search for a good frame; returns a step to hand out, or undefined to go on. */
  private resyncStep(): SplitStep | undefined {
    const rs = this.resyncing!;
    const bytes = this.window();
    while (this.pos < this.len) {
      if (this.pos + FRAME_HEADER_SIZE > this.len && !this.ended) return { kind: 'need', bytes: FRAME_HEADER_SIZE };
      if (plausibleFrameStart(bytes, this.pos)) {
        const res = parseFrame(bytes, this.pos, this.base, true);
        if (res.kind === 'incomplete' && !this.ended) return { kind: 'need', bytes: res.need };
        if (res.kind === 'frame' && res.frame.crcOk) {
          const skipped = this.offset - rs.start;
          if (rs.tail) {
            this.problems.push({ kind: 'corrupt', frameIndex: rs.frameIndex, offset: rs.start, message: rs.reason });
          }
          const p = this.problems[this.problems.length - 1]!;
          p.length = skipped;
          p.resumedAt = this.offset;
          this.resyncing = undefined;
          this.pos = res.end;
          return { kind: 'frame', frame: this.handOut(res.frame) };
        }
      }
      this.pos++;
    }
    if (!this.ended) return { kind: 'need', bytes: FRAME_HEADER_SIZE };
    // Nothing readable up to the end.
    this.resyncing = undefined;
    if (rs.tail) {
      this.tail = rs.tail;
      this.pos = rs.tail.offset - this.base;
    }
    return this.finish();
  }

  private finish(): SplitStep {
    this.finished = true;
    return { kind: 'end' };
  }
}
