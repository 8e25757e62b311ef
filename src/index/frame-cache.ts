// Frames read by their recorded byte offsets, through a cache bounded in
// bytes (least recently used frames go first). Each cached frame owns a copy
// of its bytes, so what the cache holds is exactly what it counts. Entries
// are keyed by the file's index version as well: a file indexed again gets
// fresh entries, and the old ones age out.
import { compressionOf, FileFrameSource, G3FrameFile, parseFrame, type FrameSource, type G3Frame } from '../g3/index.js';

export interface FrameCacheOptions {
  /** Bytes of frames kept at most. */
  maxBytes: number;
  /** Path of a file from the name the index knows it by. */
  resolve: (name: string) => string;
}

export interface FrameCacheStats {
  hits: number;
  misses: number;
  bytes: number;
  frames: number;
}

/** A frame's own copy of its bytes, parsed again (its CRC was checked when read). */
function ownCopy(frame: G3Frame): G3Frame | undefined {
  const bytes = frame.storedBytes();
  if (!bytes) return undefined;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const parsed = parseFrame(copy, 0, frame.origin!.offset, false);
  return parsed.kind === 'frame' ? parsed.frame : undefined;
}

export class FrameCache {
  private readonly entries = new Map<string, { frame: G3Frame; bytes: number }>();
  private held = 0;
  readonly stats: FrameCacheStats = { hits: 0, misses: 0, bytes: 0, frames: 0 };

  constructor(private readonly opts: FrameCacheOptions) {}

  /** A FrameSource for one query; `versionOf` gives each file's index version. */
  view(versionOf: (name: string) => number | undefined): FrameSource {
    return new CacheView(this, versionOf);
  }

  get(key: string): G3Frame | undefined {
    const e = this.entries.get(key);
    if (!e) {
      this.stats.misses++;
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, e);
    this.stats.hits++;
    return e.frame;
  }

  put(key: string, frame: G3Frame): G3Frame {
    const length = frame.origin!.length;
    // A frame larger than a quarter of the cache would push out too much.
    if (length > this.opts.maxBytes / 4) return frame;
    const copy = ownCopy(frame);
    if (!copy) return frame;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.held -= old.bytes;
    }
    this.entries.set(key, { frame: copy, bytes: length });
    this.held += length;
    for (const [k, e] of this.entries) {
      if (this.held <= this.opts.maxBytes) break;
      this.entries.delete(k);
      this.held -= e.bytes;
    }
    this.stats.bytes = this.held;
    this.stats.frames = this.entries.size;
    return copy;
  }

  pathOf(name: string): string {
    return this.opts.resolve(name);
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
    this.stats.bytes = 0;
    this.stats.frames = 0;
  }
}

class CacheView implements FrameSource {
  private readonly files = new Map<string, G3FrameFile>();
  private streams: FileFrameSource | undefined;

  constructor(
    private readonly cache: FrameCache,
    private readonly versionOf: (name: string) => number | undefined,
  ) {}

  async frames(filename: string, refs: readonly { offset: number; length: number }[]): Promise<G3Frame[]> {
    const version = this.versionOf(filename) ?? 0;
    const keyOf = (offset: number): string => `${version}\0${filename}\0${offset}`;
    const out = new Array<G3Frame>(refs.length);
    const missing: number[] = [];
    refs.forEach((r, i) => {
      const hit = this.cache.get(keyOf(r.offset));
      if (hit) out[i] = hit;
      else missing.push(i);
    });
    if (missing.length === 0) return out;
    const want = missing.map((i) => refs[i]!);
    let got: G3Frame[];
    if (compressionOf(filename) === 'none') {
      let file = this.files.get(filename);
      if (!file) this.files.set(filename, (file = await G3FrameFile.open(this.cache.pathOf(filename))));
      got = await file.framesAt(want);
    } else {
      // Compressed: read forward through the stream (asked in increasing offsets).
      this.streams ??= new FileFrameSource((n) => this.cache.pathOf(n));
      got = await this.streams.frames(filename, want);
    }
    missing.forEach((i, k) => {
      const frame = got[k]!;
      // A frame that fails its CRC is passed on (the query reports it), never kept.
      out[i] = frame.crcOk ? this.cache.put(keyOf(refs[i]!.offset), frame) : frame;
    });
    return out;
  }

  async release(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => f.close().catch(() => undefined)));
    await this.streams?.release();
    this.streams = undefined;
  }
}
