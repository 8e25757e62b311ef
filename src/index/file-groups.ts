// so3g's per-file bookkeeping (FORMAT 9.2: sessions, providers announced and
// dropped by status frames, blocks turned into field groups), in a form that
// can stop where a file ends today and go on from there when the file grows.
//
// so3g flushes every provider at the end of each file, so every file makes
// its own field groups. A file still being written is indexed as if it
// ended where it ends now: the groups still open are listed after the
// closed ones, in the order that end-of-file flush would give; when the file
// grows they stay open and take the new frames, exactly as a scan of the
// whole file would. The state needed to go on (session, providers, their
// open blocks) is plain data an index stores beside the groups.
//
// Damage: 'skip' (the default, as the g3 library's scanner) leaves out only
// damaged frames; 'stop' ignores everything from the first damaged frame
// on, as the reference reader does.
import { compareBytes, ticksToSeconds, type HkBlockInfo, type HkFrameInfo, type ScanIssue, type ScannedFrame } from '../g3/index.js';

export type DamagePolicy = 'skip' | 'stop';

/** Where one block of one frame holds samples of a group. */
export interface GroupEntry {
  offset: number;
  length: number;
  blockIndex: number;
  count: number;
  /** First and last sample time, Unix seconds. */
  first: number;
  last: number;
}

/** A field group of one file (so3g's FieldGroup), finished or still open. */
export interface GroupRecord {
  /** Number of the group in its file, in order of creation (stable as the file grows). */
  n: number;
  /** Provider description: the prefix of the full field names. */
  prefix: string;
  /** Field names, sorted as so3g sorts them. */
  fields: string[];
  /** Vector class of each field in the first block. */
  classes: string[];
  /** Covered span [start, end): first sample to last sample + 1 s. */
  start: number;
  end: number;
  entries: GroupEntry[];
  /** Closed: its provider was flushed inside the file; it cannot grow any more. */
  closed: boolean;
  /** Position among the file's groups in archive order (so3g's flush order). */
  seq: number;
}

/** What must be kept between scans of a growing file. */
export interface BookkeepingState {
  /** Current session id (an int64, as a decimal string), or null. */
  sessionId: string | null;
  /** Tracked providers in so3g's order, each with its open blocks (block name, group number). */
  providers: { provId: number; prefix: string; blocks: [string, number][] }[];
  /** Number the next group gets. */
  nextGroup: number;
  /** Closed groups so far (they hold seq 0 .. closed - 1). */
  closed: number;
  /** Set under the 'stop' policy once damage was met: nothing after it counts. */
  stopped: boolean;
}

export function emptyState(): BookkeepingState {
  return { sessionId: null, providers: [], nextGroup: 0, closed: 0, stopped: false };
}

/** A block of a frame taken into a group (summaries are built from these). */
export interface AcceptedBlock {
  blockIndex: number;
  group: GroupRecord;
  /** The block's samples per second, when it has two or more. */
  rate: number | undefined;
}

/** so3g's buffer after a block's last sample, so the half-open cover includes it. */
const SPAN_BUFFER_SECONDS = 1.0;

interface Provider {
  prefix: string;
  blocks: Map<string, GroupRecord>;
}

/**
 * The bookkeeping of one file. Feed it the frames of a scan in order
 * (`frame`), then call `finish`. `open` gives the groups a previous scan
 * left open (with their entries), keyed by group number.
 */
export class FileGroupBuilder {
  readonly issues: ScanIssue[] = [];
  /** Groups this scan created or changed, by number. */
  readonly touched = new Map<number, GroupRecord>();
  private sessionId: bigint | null;
  private readonly providers = new Map<number, Provider>();
  private nextGroup: number;
  private closed: number;
  private stopped: boolean;
  private expectedOffset: number | undefined;

  constructor(
    private readonly file: string,
    private readonly policy: DamagePolicy = 'skip',
    prior?: { state: BookkeepingState; open: Map<number, GroupRecord>; startOffset: number },
  ) {
    const state = prior?.state ?? emptyState();
    this.sessionId = state.sessionId === null ? null : BigInt(state.sessionId);
    this.nextGroup = state.nextGroup;
    this.closed = state.closed;
    this.stopped = state.stopped;
    this.expectedOffset = prior?.startOffset;
    for (const p of state.providers) {
      const blocks = new Map<string, GroupRecord>();
      for (const [name, n] of p.blocks) {
        const g = prior!.open.get(n);
        if (!g) throw new Error(`${file}: the stored state names group ${n}, which is not among the open groups`);
        blocks.set(name, g);
      }
      this.providers.set(p.provId, { prefix: p.prefix, blocks });
    }
  }

  /** True once the 'stop' policy met damage. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Takes one scanned frame; returns the blocks it added to groups. */
  frame(rec: ScannedFrame): AcceptedBlock[] {
    // Bytes skipped before this frame (unreadable, resynchronised) are damage.
    const gap = this.expectedOffset !== undefined && rec.offset !== this.expectedOffset;
    this.expectedOffset = rec.offset + rec.length;
    if (this.stopped) return [];
    if (this.policy === 'stop' && (gap || !rec.crcOk)) {
      this.stopped = true;
      return [];
    }
    if (!rec.crcOk) return [];
    for (const note of rec.notes ?? []) this.issue('undecoded', rec, note);
    if (rec.hkError !== undefined) {
      this.fail(rec, `HK frame not understood: ${rec.hkError}`);
      return [];
    }
    return rec.hk ? this.process(rec.hk, rec) : [];
  }

  private issue(kind: ScanIssue['kind'], rec: ScannedFrame, message: string): void {
    this.issues.push({ file: this.file, kind, offset: rec.offset, frameIndex: rec.index, message });
  }

  private fail(rec: ScannedFrame, message: string): void {
    this.issue('hk', rec, message);
    if (this.policy === 'stop') this.stopped = true;
  }

  private process(hk: HkFrameInfo, rec: ScannedFrame): AcceptedBlock[] {
    switch (hk.kind) {
      case 'session':
        if (this.sessionId !== null && this.sessionId !== hk.sessionId) this.flush();
        if (this.sessionId === null) this.sessionId = hk.sessionId;
        return [];
      case 'status': {
        const gone = new Set(this.providers.keys());
        for (const p of hk.providers) {
          if (gone.has(p.provId)) gone.delete(p.provId);
          else this.providers.set(p.provId, { prefix: p.description, blocks: new Map() });
        }
        for (const id of gone) this.flush([id]);
        return [];
      }
      case 'data': {
        const prov = this.providers.get(hk.provId);
        if (!prov) {
          this.fail(rec, `data frame of provider ${hk.provId}, which no status frame announced`);
          return [];
        }
        const accepted: AcceptedBlock[] = [];
        for (const b of hk.blocks) {
          if (this.stopped) break;
          if (b.name === undefined) continue; // beyond block_names, as zip() drops it
          if (b.count === 0) {
            this.fail(rec, `block ${b.index} ('${b.name}') has no samples`);
            continue;
          }
          accepted.push(this.addBlock(prov, b, rec));
        }
        return accepted;
      }
      case 'other':
        this.issue('hk', rec, `unknown hkagg_type ${hk.hkaggType}`);
        return [];
    }
  }

  private addBlock(prov: Provider, b: HkBlockInfo, rec: ScannedFrame): AcceptedBlock {
    const first = ticksToSeconds(b.first!);
    const last = ticksToSeconds(b.last!);
    let g = prov.blocks.get(b.name!);
    if (!g) {
      const fields = [...b.fields].sort((x, y) => compareBytes(x.name, y.name));
      g = {
        n: this.nextGroup++,
        prefix: prov.prefix,
        fields: fields.map((f) => f.name),
        classes: fields.map((f) => f.class),
        start: first,
        end: 0,
        entries: [],
        closed: false,
        seq: -1,
      };
      prov.blocks.set(b.name!, g);
    }
    g.end = last + SPAN_BUFFER_SECONDS;
    g.entries.push({ offset: rec.offset, length: rec.length, blockIndex: b.index, count: b.count, first, last });
    this.touched.set(g.n, g);
    const rate = b.count > 1 && last > first ? (b.count - 1) / (last - first) : undefined;
    return { blockIndex: b.index, group: g, rate };
  }

  /** so3g's flush: the blocks of these providers (all, ending the session, when none are given) become closed groups. */
  private flush(provIds?: number[]): void {
    if (provIds === undefined) {
      provIds = [...this.providers.keys()];
      this.sessionId = null;
    }
    for (const id of provIds) {
      const prov = this.providers.get(id);
      if (!prov) continue;
      this.providers.delete(id);
      for (const g of prov.blocks.values()) {
        g.closed = true;
        g.seq = this.closed++;
        this.touched.set(g.n, g);
      }
    }
  }

  /**
   * Ends this scan: the groups still open get their places after the closed
   * ones (as so3g's end-of-file flush would order them), and the state to go
   * on from is returned. `open` lists every open group in order.
   */
  finish(): { state: BookkeepingState; open: GroupRecord[] } {
    const open: GroupRecord[] = [];
    let seq = this.closed;
    for (const prov of this.providers.values()) {
      for (const g of prov.blocks.values()) {
        if (g.seq !== seq) this.touched.set(g.n, g);
        g.seq = seq++;
        open.push(g);
      }
    }
    return {
      state: {
        sessionId: this.sessionId === null ? null : this.sessionId.toString(),
        providers: [...this.providers].map(([provId, p]) => ({ provId, prefix: p.prefix, blocks: [...p.blocks].map(([name, g]) => [name, g.n] as [string, number]) })),
        nextGroup: this.nextGroup,
        closed: this.closed,
        stopped: this.stopped,
      },
      open,
    };
  }
}
