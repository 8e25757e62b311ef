// A G3 frame: a type code and a table of named objects (FORMAT 3.1). Objects
// stay as their raw archive bytes until a key is read, so a frame can be
// listed, checked and copied without decoding anything. A frame read from a
// stream remembers where it came from and keeps its stored key order; a
// frame built here orders its keys as spt3g's libstdc++ build would.
import { decodeArchive } from './archive-decoder.js';
import { encodeArchive } from './archive-encoder.js';
import { encodeUtf8 } from './bytes.js';
import { UnorderedMapOrder } from './key-order.js';
import type { G3Object } from './objects.js';

/** Frame type codes (an ASCII letter in the low byte). */
export const FrameType = {
  Timepoint: 0x54,
  Housekeeping: 0x48,
  Observation: 0x4f,
  Scan: 0x53,
  Map: 0x4d,
  InstrumentStatus: 0x49,
  Wiring: 0x57,
  Calibration: 0x43,
  GcpSlow: 0x47,
  PipelineInfo: 0x50,
  Ephemeris: 0x45,
  LightCurve: 0x4c,
  Statistics: 0x52,
  EndProcessing: 0x5a,
  None: 0x4e,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]));

/** The name of a frame type code; unknown codes print as spt3g does (their ASCII bytes) or as a number. */
export function frameTypeName(code: number): string {
  const known = TYPE_NAMES.get(code);
  if (known) return known;
  let s = '';
  for (let v = code >>> 0; v > 0; v >>>= 8) {
    const c = v & 0xff;
    if (c < 0x20 || c > 0x7e) return String(code >>> 0);
    s += String.fromCharCode(c);
  }
  return s || String(code >>> 0);
}

/** One key of a frame and its object, raw and/or decoded. */
export interface FrameEntry {
  key: string;
  /** UTF-8 bytes of the key (made on demand for frames read from a stream). */
  keyBytes: Uint8Array | undefined;
  /** The object's archive bytes; made on demand, or encoded for an object set in code. */
  blob: Uint8Array | undefined;
  /** For frames read from a stream: the bytes holding key and blob, and where. */
  src: Uint8Array | undefined;
  keyAt: number;
  keyLength: number;
  blobAt: number;
  blobLength: number;
  /** Stream offset of the blob's first byte, or -1. */
  blobOffset: number;
  decoded: boolean;
  object: G3Object | null;
}

function blobOf(e: FrameEntry): Uint8Array | undefined {
  if (e.blob === undefined && e.src !== undefined) e.blob = e.src.subarray(e.blobAt, e.blobAt + e.blobLength);
  return e.blob;
}

function keyBytesOf(e: FrameEntry): Uint8Array {
  if (e.keyBytes === undefined) e.keyBytes = e.src !== undefined ? e.src.subarray(e.keyAt, e.keyAt + e.keyLength) : encodeUtf8(e.key);
  return e.keyBytes;
}

/** Where a frame was found in its stream and what its checksum said. */
export interface FrameOrigin {
  /** Byte offset of the frame's first byte in the stream. */
  offset: number;
  /** Bytes from the first byte to the end of the CRC. */
  length: number;
  crcStored: number;
  /** Undefined when the reader was told not to check. */
  crcComputed: number | undefined;
}

export class G3Frame {
  private frameType: number;
  /** Set for frames read from a stream. */
  readonly origin: FrameOrigin | undefined;
  private readonly list: FrameEntry[];
  /** Built on first use for frames with many keys; small frames are searched. */
  private index: Map<string, FrameEntry> | undefined;
  /** Models spt3g's key container for frames built in code; null keeps stored order. */
  private readonly order: UnorderedMapOrder | null;

  /**
   * A new, empty frame whose keys will be stored in libstdc++ order; or, with
   * `stored`, a frame as read from a stream (stored key order, raw blobs that
   * view the stream's bytes).
   */
  /** The frame's bytes as read, while it is unchanged: the window and where the frame starts in it. */
  private stored: { bytes: Uint8Array; start: number } | undefined;

  constructor(type: number = FrameType.Housekeeping, stored?: { entries: FrameEntry[]; origin: FrameOrigin; bytes?: Uint8Array; start?: number }) {
    this.frameType = type;
    this.origin = stored?.origin;
    this.list = stored?.entries ?? [];
    this.order = stored ? null : new UnorderedMapOrder();
    if (stored?.bytes) this.stored = { bytes: stored.bytes, start: stored.start ?? 0 };
  }

  /**
   * The exact bytes the frame was read from (its recorded CRC included, even
   * a wrong one), as long as nothing in it was changed; undefined otherwise.
   */
  storedBytes(): Uint8Array | undefined {
    if (!this.stored || !this.origin) return undefined;
    const { bytes, start } = this.stored;
    return bytes.subarray(start, start + this.origin.length);
  }

  /** The frame type code (see FrameType). */
  get type(): number {
    return this.frameType;
  }

  set type(code: number) {
    if (code !== this.frameType) this.stored = undefined;
    this.frameType = code;
  }

  /** True when the stored CRC matched the computed one (or was not checked). */
  get crcOk(): boolean {
    return this.origin === undefined || this.origin.crcComputed === undefined || this.origin.crcComputed === this.origin.crcStored;
  }

  get typeName(): string {
    return frameTypeName(this.type);
  }

  get size(): number {
    return this.list.length;
  }

  private find(key: string): FrameEntry | undefined {
    const list = this.list;
    if (list.length <= 16) {
      // From the end: with a duplicated key (never written by spt3g) the last one wins, as in spt3g.
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.key === key) return list[i];
      return undefined;
    }
    if (!this.index) this.index = new Map(list.map((e) => [e.key, e]));
    return this.find(key);
  }

  /** Keys in the order the frame stores (or will store) them. */
  keys(): string[] {
    if (this.order) return this.order.keys();
    return this.list.map((e) => e.key);
  }

  has(key: string): boolean {
    return this.find(key) !== undefined;
  }

  /** The object under `key`, decoded on first access; undefined if absent. */
  get(key: string): G3Object | null | undefined {
    const e = this.find(key);
    if (!e) return undefined;
    if (!e.decoded) {
      e.object = decodeArchive(blobOf(e)!);
      e.decoded = true;
    }
    return e.object;
  }

  /** The archive bytes of `key` (encoding a value set in code). */
  raw(key: string): Uint8Array | undefined {
    const e = this.find(key);
    if (!e) return undefined;
    if (blobOf(e) === undefined) e.blob = encodeArchive(e.object);
    return e.blob;
  }

  /** The entry of `key`, with its blob position for frames read from a stream. */
  entry(key: string): Readonly<FrameEntry> | undefined {
    return this.find(key);
  }

  /**
   * Sets `key`. A key already present keeps its place; a new key goes where
   * spt3g would put it (frames built in code) or last (frames read from a stream).
   */
  set(key: string, object: G3Object | null): this {
    this.stored = undefined;
    const e = this.find(key);
    if (e) {
      e.object = object;
      e.decoded = true;
      e.blob = undefined;
      e.src = undefined;
      e.blobOffset = -1;
      return this;
    }
    const entry: FrameEntry = {
      key,
      keyBytes: encodeUtf8(key),
      blob: undefined,
      src: undefined,
      keyAt: 0,
      keyLength: 0,
      blobAt: 0,
      blobLength: 0,
      blobOffset: -1,
      decoded: true,
      object,
    };
    this.list.push(entry);
    this.index?.set(key, entry);
    this.order?.insert(key);
    return this;
  }

  /** Sets `key` to archive bytes as they are (e.g. copied from another frame). */
  setRaw(key: string, blob: Uint8Array): this {
    this.set(key, null);
    const e = this.find(key)!;
    e.blob = blob;
    e.decoded = false;
    return this;
  }

  delete(key: string): boolean {
    const e = this.find(key);
    if (!e) return false;
    this.stored = undefined;
    this.index?.delete(key);
    this.list.splice(this.list.indexOf(e), 1);
    this.order?.delete(key);
    return true;
  }

  /** Entries in storage order (raw blobs encoded on demand). */
  storedEntries(): { key: string; keyBytes: Uint8Array; blob: Uint8Array }[] {
    return this.keys().map((k) => {
      const e = this.find(k)!;
      return { key: k, keyBytes: keyBytesOf(e), blob: this.raw(k)! };
    });
  }

  /**
   * A copy ordered as spt3g (libstdc++) would store it after reading this
   * frame: keys inserted in the current order. Blobs are shared, not copied.
   */
  reordered(): G3Frame {
    const f = new G3Frame(this.type);
    for (const k of this.keys()) {
      const e = this.find(k)!;
      const blob = blobOf(e);
      if (blob !== undefined) f.setRaw(k, blob);
      else f.set(k, e.object);
    }
    return f;
  }
}
