// so3g's HKArchiveScanner (FORMAT 9.2): replays the frames of scanned files
// through the aggregator's session/provider bookkeeping and turns each
// provider's blocks into field groups: a prefix (the provider description),
// field names, a covered time span and the frames holding the data.
//
// Damage: with `onError: 'stop'` a file is handled exactly as the reference
// does (the frames before the first bad one count, the file's end-of-file
// flush is skipped); the default `'skip'` leaves out only what is damaged
// and keeps every good frame, so the rest of a damaged file is still served.
import { compareBytes } from '../objects.js';
import { HKArchive, type HKArchiveOptions } from './archive.js';
import { scanG3File, type FileScan, type ScanOptions, type ScannedFrame } from './scan.js';
import type { HkBlockInfo, HkFrameInfo } from './schema.js';
import { ticksToSeconds } from './blocks.js';

/** Where one block of one frame holds data of a field group. */
export interface IndexEntry {
  filename: string;
  byteOffset: number;
  /** Length of the frame (not in so3g: lets a reader fetch it in one read). */
  frameLength: number;
  blockIndex: number;
  count: number;
  /** First and last sample time, Unix seconds. */
  timeRange: [number, number];
}

/** Fields of one provider's block over one provider session. */
export interface FieldGroup {
  /** The provider description (feed address). */
  prefix: string;
  /** Field names, sorted. */
  fields: string[];
  /** Vector class of each field in the first block seen. */
  classes: string[];
  /** Covered span [start, end): first sample to last sample + 1 s. */
  start: number;
  end: number;
  indexInfo: IndexEntry[];
}

export interface ScanIssue {
  file: string;
  /**
   * 'crc', 'corrupt' (unreadable bytes), 'truncated' (file ends inside a
   * frame), 'hk' (HK content not understood), 'undecoded' (content kept as
   * raw bytes: unknown classes; the rest of the frame is used).
   */
  kind: 'crc' | 'corrupt' | 'truncated' | 'hk' | 'undecoded';
  offset: number | undefined;
  frameIndex: number | undefined;
  message: string;
}

export type ErrorPolicy = 'skip' | 'stop';

export interface ScannerOptions {
  /** What a damaged frame does to the rest of its file (default 'skip'). */
  onError?: ErrorPolicy;
}

interface BlockRecord {
  fields: string[];
  classes: string[];
  start: number;
  end: number;
  indexInfo: IndexEntry[];
}

interface ProviderState {
  prefix: string;
  blocks: Map<string, BlockRecord>;
}

/** so3g's buffer after a block's last sample, so the half-open cover includes it. */
const SPAN_BUFFER_SECONDS = 1.0;

class StopFile extends Error {}

export class HKArchiveScanner {
  readonly fieldGroups: FieldGroup[] = [];
  /** Damage and misunderstandings met, in order. Truncated files appear as kind 'truncated'. */
  readonly issues: ScanIssue[] = [];
  private sessionId: bigint | null = null;
  private readonly providers = new Map<number, ProviderState>();
  private readonly policy: ErrorPolicy;

  constructor(opts: ScannerOptions = {}) {
    this.policy = opts.onError ?? 'skip';
  }

  /** Scans a file and adds it; resolves to the scan (for an index to keep). */
  async processFile(path: string, opts: ScanOptions & { flushAfter?: boolean } = {}): Promise<FileScan> {
    const scan = await scanG3File(path, opts);
    this.processScan(scan, opts);
    return scan;
  }

  /** Adds a file from its scan (fresh or stored), as so3g's process_file does. */
  processScan(scan: FileScan, opts: { flushAfter?: boolean } = {}): void {
    const file = scan.name;
    for (const p of scan.problems) {
      this.issues.push({ file, kind: p.kind, offset: p.offset, frameIndex: p.frameIndex, message: p.message });
    }
    if (scan.tail) {
      const t = scan.tail;
      this.issues.push({
        file,
        kind: 'truncated',
        offset: t.offset,
        frameIndex: scan.frames.length > 0 ? scan.frames[scan.frames.length - 1]!.index + 1 : 0,
        message: `file ends inside a frame (still being written?): ${t.reason}`,
      });
    }
    // In 'stop' mode nothing from the first damage on counts, as with the reference reader.
    const firstDamage = Math.min(...scan.problems.map((p) => p.frameIndex), Infinity);
    try {
      for (const rec of scan.frames) {
        if (this.policy === 'stop' && rec.index >= firstDamage) throw new StopFile();
        if (!rec.crcOk) continue;
        for (const note of rec.notes ?? []) this.issues.push({ file, kind: 'undecoded', offset: rec.offset, frameIndex: rec.index, message: note });
        if (rec.hkError !== undefined) {
          this.fail(file, rec, `HK frame not understood: ${rec.hkError}`);
          continue;
        }
        if (rec.hk) this.processFrame(rec.hk, rec, file);
      }
      if (this.policy === 'stop' && (firstDamage < Infinity || scan.tail)) throw new StopFile();
    } catch (err) {
      if (err instanceof StopFile) return;
      throw err;
    }
    if (opts.flushAfter ?? true) this.flush();
  }

  /** Records a problem; in 'stop' mode it also ends the file. */
  private fail(file: string, rec: ScannedFrame, message: string): void {
    this.issues.push({ file, kind: 'hk', offset: rec.offset, frameIndex: rec.index, message });
    if (this.policy === 'stop') throw new StopFile();
  }

  /** One frame's effect on the bookkeeping (so3g HKArchiveScanner.Process). */
  processFrame(hk: HkFrameInfo, rec: ScannedFrame, file: string): void {
    switch (hk.kind) {
      case 'session':
        if (this.sessionId !== null && this.sessionId !== hk.sessionId) this.flush();
        if (this.sessionId === null) this.sessionId = hk.sessionId;
        return;
      case 'status': {
        const gone = new Set(this.providers.keys());
        for (const p of hk.providers) {
          if (gone.has(p.provId)) gone.delete(p.provId);
          else this.providers.set(p.provId, { prefix: p.description, blocks: new Map() });
        }
        for (const id of gone) this.flush([id]);
        return;
      }
      case 'data': {
        const prov = this.providers.get(hk.provId);
        if (!prov) {
          this.fail(file, rec, `data frame of provider ${hk.provId}, which no status frame announced`);
          return;
        }
        for (const b of hk.blocks) {
          if (b.name === undefined) continue; // beyond block_names, as zip() drops it
          if (b.count === 0) {
            this.fail(file, rec, `block ${b.index} ('${b.name}') has no samples`);
            continue;
          }
          this.addBlock(prov, b, rec, file);
        }
        return;
      }
      case 'other':
        this.issues.push({ file, kind: 'hk', offset: rec.offset, frameIndex: rec.index, message: `unknown hkagg_type ${hk.hkaggType}` });
        return;
    }
  }

  private addBlock(prov: ProviderState, b: HkBlockInfo, rec: ScannedFrame, file: string): void {
    const first = ticksToSeconds(b.first!);
    const last = ticksToSeconds(b.last!);
    let record = prov.blocks.get(b.name!);
    if (!record) {
      const fields = [...b.fields].sort((x, y) => compareBytes(x.name, y.name));
      record = { fields: fields.map((f) => f.name), classes: fields.map((f) => f.class), start: first, end: 0, indexInfo: [] };
      prov.blocks.set(b.name!, record);
    }
    record.end = last + SPAN_BUFFER_SECONDS;
    record.indexInfo.push({
      filename: file,
      byteOffset: rec.offset,
      frameLength: rec.length,
      blockIndex: b.index,
      count: b.count,
      timeRange: [first, last],
    });
  }

  /**
   * Turns the blocks of the given providers (all, and then the session ends,
   * when none are given) into field groups.
   */
  flush(provIds?: number[]): void {
    if (provIds === undefined) {
      provIds = [...this.providers.keys()];
      this.sessionId = null;
    }
    for (const id of provIds) {
      const prov = this.providers.get(id);
      if (!prov) continue;
      this.providers.delete(id);
      for (const r of prov.blocks.values()) {
        this.fieldGroups.push({ prefix: prov.prefix, fields: r.fields, classes: r.classes, start: r.start, end: r.end, indexInfo: r.indexInfo });
      }
    }
  }

  /** Flushes what is left and returns the archive view. */
  finalize(opts: HKArchiveOptions = {}): HKArchive {
    this.flush();
    return new HKArchive(this.fieldGroups, opts);
  }
}
