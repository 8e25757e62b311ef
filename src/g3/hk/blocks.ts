// The layout of the `blocks` of an HK data frame, found by walking its
// archive once without copying any sample: per block its sample count and
// where its times are, per field its class, length and where its values
// start. Scanning reads only counts and first/last times from it; loading
// data copies the values straight from there into output columns.
import { ArchiveDecoder } from '../archive-decoder.js';
import { G3FormatError } from '../errors.js';
import { dataViewOf } from '../views.js';

/** One field of a block: its vector class and where its elements are. */
export interface FieldLayout {
  /** Vector class after translation to schema v2 (IrregBlockDouble data are G3VectorDouble). */
  class: string;
  /** Number of elements; -1 when the class is not a vector this library knows. */
  count: number;
  /** The bytes holding the elements (the frame's `blocks` blob). */
  bytes: Uint8Array;
  /** Offset of the first element in `bytes`. */
  dataPos: number;
  /** G3VectorInt element width. */
  storeBits: number;
  /** Why the field could not be read, if it could not. */
  error?: string;
}

export interface BlockLayout {
  class: 'G3TimesampleMap' | 'IrregBlockDouble';
  /** Number of samples (length of `times`). */
  count: number;
  /** Where the sample times are: int64 ticks (schema v1/v2) or float64 Unix seconds (schema v0). */
  timesKind: 'ticks' | 'seconds';
  timesBytes: Uint8Array;
  timesPos: number;
  /** Fields in stored order (sorted by name). */
  fields: Map<string, FieldLayout>;
  /** IrregBlockDouble prefix ("" in OCS data). */
  prefix?: string;
}

const VECTOR_CLASSES = ['G3VectorDouble', 'G3VectorInt', 'G3VectorBool', 'G3VectorString', 'G3VectorTime'];
const VECTOR_NAME_BYTES = VECTOR_CLASSES.map((c) => new TextEncoder().encode(c));

/** The known vector class named by bytes [at, at + n), without making a string. */
function vectorClassAt(bytes: Uint8Array, at: number, n: number): string | undefined {
  outer: for (let c = 0; c < VECTOR_CLASSES.length; c++) {
    const name = VECTOR_NAME_BYTES[c]!;
    if (name.length !== n) continue;
    for (let i = 0; i < n; i++) if (bytes[at + i] !== name[i]) continue outer;
    return VECTOR_CLASSES[c];
  }
  return undefined;
}

function elementSize(cls: string, storeBits: number): number {
  return cls === 'G3VectorBool' ? 1 : cls === 'G3VectorInt' ? storeBits / 8 : 8;
}

/**
 * The layout of the vector held by the nested archive at bytes [start, end)
 * (a G3MapFrameObject value). A fresh archive holding one vector has a fixed
 * header, read here in place; anything else goes through the full decoder.
 */
export function vectorLayout(bytes: Uint8Array, start = 0, end = bytes.length): FieldLayout {
  const dv = dataViewOf(bytes.buffer);
  const o = bytes.byteOffset;
  let p = start;
  if (end - p >= 13 && bytes[p] === 1 && dv.getUint32(o + p + 1, true) === 0x80000001 && dv.getUint32(o + p + 9, true) === 0) {
    const nameLength = dv.getUint32(o + p + 5, true);
    const cls = nameLength <= 16 && p + 13 + nameLength + 12 <= end ? vectorClassAt(bytes, p + 13, nameLength) : undefined;
    p += 13 + nameLength;
    if (cls !== undefined && dv.getUint32(o + p, true) === 0x80000001 && dv.getUint32(o + p + 8, true) === 1) {
      const version = dv.getUint32(o + p + 4, true);
      p += 12;
      let storeBits = 0;
      let ok = version === 1;
      if (cls === 'G3VectorInt') {
        ok = version === 1 || version === 2;
        storeBits = 32;
        if (version === 2 && p + 4 <= end) {
          storeBits = dv.getInt32(o + p, true);
          p += 4;
          ok = storeBits === 8 || storeBits === 16 || storeBits === 32 || storeBits === 64;
        }
      }
      if (ok && p + 8 <= end && dv.getUint32(o + p + 4, true) === 0) {
        const count = dv.getUint32(o + p, true);
        p += 8;
        if (cls === 'G3VectorTime' && count > 0) {
          ok = dv.getUint32(o + p, true) === 1;
          p += 4;
        }
        if (ok && p + count * elementSize(cls, storeBits) <= end) return { class: cls, count, bytes, dataPos: p, storeBits };
      }
    }
  }
  return vectorLayoutSlow(bytes.subarray(start, end), bytes, start);
}

/** The general path: any archive the decoder understands, positions mapped back into `outer`. */
function vectorLayoutSlow(nested: Uint8Array, outer: Uint8Array, at: number): FieldLayout {
  const d = new ArchiveDecoder(nested);
  let cls = 'unknown';
  const fail = (error: string): FieldLayout => ({ class: cls, count: -1, bytes: outer, dataPos: 0, storeBits: 0, error });
  try {
    d.readFlag();
    const h = d.pointerHeader();
    if (h === null) return fail('null pointer');
    cls = h.className;
    if (!VECTOR_CLASSES.includes(cls)) return fail(`not a vector: ${cls}`);
    let storeBits = 0;
    if (cls === 'G3VectorInt') {
      const v = d.version('G3VectorInt');
      d.version('G3FrameObject');
      if (v === 2) {
        storeBits = d.r.i32('G3VectorInt store_bits');
        if (storeBits !== 8 && storeBits !== 16 && storeBits !== 32 && storeBits !== 64) throw new G3FormatError(`G3VectorInt store_bits ${storeBits}`, d.r.pos - 4);
      } else storeBits = 32;
    } else {
      d.version(cls as 'G3VectorDouble');
      d.version('G3FrameObject');
    }
    const count = d.r.count('size of', cls === 'G3VectorString' ? 8 : elementSize(cls, storeBits), cls);
    if (cls === 'G3VectorTime' && count > 0) d.version('G3Time');
    return { class: cls, count, bytes: outer, dataPos: at + d.r.pos, storeBits };
  } catch (err) {
    if (!(err instanceof G3FormatError)) throw err;
    return fail(err.message);
  }
}

/**
 * Walks a `blocks` blob (a G3VectorFrameObject of G3TimesampleMap or
 * IrregBlockDouble). Throws G3FormatError if it is anything else or damaged.
 */
export function walkBlocks(blob: Uint8Array): BlockLayout[] {
  // One decoder reused for every frame (walking is not reentrant).
  const d = walker;
  d.reset(blob);
  try {
    return walk(d);
  } finally {
    d.clear();
  }
}

const walker = new ArchiveDecoder(new Uint8Array(0));

function walk(d: ArchiveDecoder): BlockLayout[] {
  const r = d.r;
  d.readFlag();
  const top = d.pointerHeader();
  if (top === null || top.className !== 'G3VectorFrameObject') {
    throw new G3FormatError(`blocks: expected G3VectorFrameObject, found ${top === null ? 'null' : top.className}`, 1);
  }
  d.version('G3VectorFrameObject');
  d.version('G3FrameObject');
  const n = r.count('blocks size', 4);
  const out: BlockLayout[] = [];
  const byObject = new Map<number, BlockLayout>();
  for (let i = 0; i < n; i++) {
    const at = r.pos;
    const h = d.pointerHeader();
    if (h === null) throw new G3FormatError(`block ${i} is a null pointer`, at);
    if (!h.isNew) {
      // The same block object stored twice.
      const prev = byObject.get(h.objectId);
      if (!prev) throw new G3FormatError(`block ${i} refers to object ${h.objectId}, which is not a block`, at);
      out.push(prev);
      continue;
    }
    let block: BlockLayout;
    if (h.className === 'G3TimesampleMap') block = timesampleMapLayout(d);
    else if (h.className === 'IrregBlockDouble') block = irregBlockLayout(d);
    else throw new G3FormatError(`block ${i} is a ${h.className}, not an HK block`, at);
    byObject.set(h.objectId, block);
    out.push(block);
  }
  if (r.pos !== r.end) throw new G3FormatError(`blocks: ${r.end - r.pos} bytes left over`, r.pos);
  return out;
}

function timesampleMapLayout(d: ArchiveDecoder): BlockLayout {
  const r = d.r;
  d.version('G3TimesampleMap');
  d.version('G3MapFrameObject');
  d.version('G3FrameObject');
  const m = r.u32('G3TimesampleMap size');
  const fields = new Map<string, FieldLayout>();
  for (let j = 0; j < m; j++) {
    const key = r.name('field name');
    const n = r.length('length of field', undefined, key);
    r.need(n, 'field', key);
    fields.set(key, vectorLayout(r.bytes, r.pos, r.pos + n));
    r.pos += n;
  }
  d.version('G3VectorTime');
  d.version('G3FrameObject');
  const count = r.count('times size', 8);
  if (count > 0) d.version('G3Time');
  const timesPos = r.pos;
  r.pos += count * 8;
  return { class: 'G3TimesampleMap', count, timesKind: 'ticks', timesBytes: r.bytes, timesPos, fields };
}

function irregBlockLayout(d: ArchiveDecoder): BlockLayout {
  const r = d.r;
  d.version('IrregBlockDouble');
  d.version('G3FrameObject');
  const prefix = r.str('IrregBlockDouble prefix');
  d.version('G3VectorDouble');
  d.version('G3FrameObject');
  const count = r.count('IrregBlockDouble t size', 8);
  const timesPos = r.pos;
  r.pos += count * 8;
  d.version('G3MapVectorDouble');
  d.version('G3FrameObject');
  const m = r.count('IrregBlockDouble data size', 16);
  const fields = new Map<string, FieldLayout>();
  for (let j = 0; j < m; j++) {
    const key = r.name('field name');
    const k = r.count('size of field', 8, key);
    fields.set(key, { class: 'G3VectorDouble', count: k, bytes: r.bytes, dataPos: r.pos, storeBits: 0 });
    r.pos += k * 8;
  }
  return { class: 'IrregBlockDouble', count, timesKind: 'seconds', timesBytes: r.bytes, timesPos, fields, prefix };
}

/** Ticks of sample `i` of a block (schema v0 seconds become trunc(t * 1e8), as so3g's translator does). */
export function tickAt(block: BlockLayout, i: number): bigint {
  const b = block.timesBytes;
  const dv = dataViewOf(b.buffer);
  const at = b.byteOffset + block.timesPos + i * 8;
  if (block.timesKind === 'ticks') return dv.getBigInt64(at, true);
  return BigInt(Math.trunc(dv.getFloat64(at, true) * 1e8));
}

/** Unix seconds of sample `i` as so3g computes them (ticks / 1e8 in float64). */
export function secondsAt(block: BlockLayout, i: number): number {
  return ticksToSeconds(tickAt(block, i));
}

export function ticksToSeconds(ticks: bigint): number {
  return Number(ticks) / 1e8;
}
