// One pass over one .g3 file, recording for every frame where it is and
// what HK content it has (providers, blocks, fields, sample counts and time
// spans) without decoding a single sample. The result is plain data that an
// index can store and that the archive scanner replays; `onFrame` lets a
// caller look at the frames (e.g. to build summaries) during the same read.
import { stat } from 'node:fs/promises';
import { KNOWN_CLASSES, peekClassName } from '../archive-decoder.js';
import { FrameType, type G3Frame } from '../frame.js';
import { G3Reader, iterateFrames, type G3StreamProblem, type StreamStatus, type TruncatedTail } from '../reader.js';
import { HkSchemaError, interpretHkFrame, type HkFrameInfo } from './schema.js';

export interface ScannedFrame {
  /** Position of the frame in the file, counting every frame read (bad ones too). */
  index: number;
  /** Byte offset of the frame in the (uncompressed) stream. */
  offset: number;
  /** Bytes from its start to the end of its CRC. */
  length: number;
  type: number;
  crcOk: boolean;
  /** What the frame says, for a readable HK frame with a good CRC. */
  hk?: HkFrameInfo;
  /** Why an HK frame with a good CRC could not be understood. */
  hkError?: string;
  /** Content of an HK frame kept as raw bytes (unknown classes, unreadable fields). */
  notes?: string[];
}

export interface FileScan {
  /** The name index entries refer to the file by (e.g. its path relative to the archive root). */
  name: string;
  path: string;
  /** File size and modification time when the scan started. */
  size: number;
  mtimeMs: number;
  /** Where this scan started (0, or where an earlier scan of a growing file stopped). */
  startOffset: number;
  status: StreamStatus;
  problems: G3StreamProblem[];
  tail: TruncatedTail | undefined;
  /** Offset after the last complete frame: where to resume if the file grows. */
  endOffset: number;
  frames: ScannedFrame[];
}

export interface ScanOptions {
  /** Name recorded for the file (default: the path). */
  name?: string;
  /** Resume at this frame boundary (see FileScan.endOffset). */
  startOffset?: number;
  /** Index of the first frame read (frames already scanned before `startOffset`). */
  firstFrameIndex?: number;
  verifyCrc?: boolean;
  resync?: boolean;
  /** Called for every frame read, with its record; awaited before reading on. */
  onFrame?: (frame: G3Frame, scanned: ScannedFrame) => void | Promise<void>;
  /**
   * Let the reader reuse its buffers: a frame given to `onFrame`, and typed
   * arrays decoded from it, are then valid during the call only. The default
   * is true without `onFrame` and false with it.
   */
  reuseBuffers?: boolean;
}

/** Records one frame (its HK content read from headers and block layouts only). */
export function scanFrame(frame: G3Frame, index: number): ScannedFrame {
  const o = frame.origin!;
  const rec: ScannedFrame = { index, offset: o.offset, length: o.length, type: frame.type, crcOk: frame.crcOk };
  if (!rec.crcOk) return rec;
  try {
    const hk = interpretHkFrame(frame);
    if (hk) rec.hk = hk;
  } catch (err) {
    if (!(err instanceof HkSchemaError)) throw err;
    rec.hkError = err.message;
  }
  if (frame.type === FrameType.Housekeeping) {
    const notes: string[] = [];
    // Keys outside the schema: say if they hold something this library cannot decode.
    for (const k of frame.keys()) {
      if (HK_KEYS.has(k)) continue;
      const cls = peekClassName(frame.raw(k)!);
      if (cls === undefined || !KNOWN_CLASSES.includes(cls)) notes.push(`key '${k}' holds ${cls ? `an object of unknown class ${cls}` : 'an unreadable object'}, kept as raw bytes`);
    }
    if (rec.hk?.kind === 'data') {
      for (const b of rec.hk.blocks) for (const u of b.unreadable ?? []) notes.push(`block ${b.index} field '${u.name}' is not readable: ${u.reason}`);
    }
    if (notes.length > 0) rec.notes = notes;
  }
  return rec;
}

const HK_KEYS = new Set([
  'hkagg_type',
  'hkagg_version',
  'hkagg_version_orig',
  'session_id',
  'start_time',
  'description',
  'timestamp',
  'providers',
  'prov_id',
  'blocks',
  'block_names',
  'address',
  'provider_session_id',
]);

/** Scans a .g3 file (plain or compressed). Never throws for damaged content; I/O errors propagate. */
export async function scanG3File(path: string, opts: ScanOptions = {}): Promise<FileScan> {
  const st = await stat(path);
  const startOffset = opts.startOffset ?? 0;
  const first = opts.firstFrameIndex ?? 0;
  const reuseBuffers = opts.reuseBuffers ?? opts.onFrame === undefined;
  const reader = await G3Reader.open(path, { startOffset, verifyCrc: opts.verifyCrc, resync: opts.resync, reuseBuffers });
  const frames: ScannedFrame[] = [];
  const onFrame = opts.onFrame;
  await reader.forEach((frame) => {
    const rec = scanFrame(frame, first + frames.length);
    frames.push(rec);
    return onFrame?.(frame, rec);
  });
  const s = reader.summary();
  return {
    name: opts.name ?? path,
    path,
    size: st.size,
    mtimeMs: st.mtimeMs,
    startOffset,
    status: s.status,
    problems: s.problems.map((p) => ({ ...p, frameIndex: p.frameIndex + first })),
    tail: s.tail,
    endOffset: s.endOffset,
    frames,
  };
}

/** Scans bytes in memory (a whole stream), synchronously. */
export function scanG3Bytes(bytes: Uint8Array, name: string, onFrame?: (frame: G3Frame, scanned: ScannedFrame) => void): FileScan {
  const it = iterateFrames(bytes);
  const frames: ScannedFrame[] = [];
  for (;;) {
    const r = it.next();
    if (r.done) {
      const s = r.value;
      return { name, path: name, size: bytes.length, mtimeMs: 0, startOffset: 0, status: s.status, problems: s.problems, tail: s.tail, endOffset: s.endOffset, frames };
    }
    const rec = scanFrame(r.value, frames.length);
    frames.push(rec);
    onFrame?.(r.value, rec);
  }
}

// Scans are plain data except for a few int64 values (session ids, ticks),
// which JSON has no type for: they travel as decimal strings.
const BIGINT_KEYS = new Set(['sessionId', 'first', 'last']);

/** A scan as JSON text (int64 values as decimal strings), e.g. to store in an index. */
export function serializeFileScan(scan: FileScan): string {
  return JSON.stringify(scan, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** The scan back from `serializeFileScan`'s text. */
export function parseFileScan(text: string): FileScan {
  return JSON.parse(text, (k, v: unknown) => (BIGINT_KEYS.has(k) && typeof v === 'string' ? BigInt(v) : v)) as FileScan;
}
