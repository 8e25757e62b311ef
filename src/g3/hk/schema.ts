// The Simons Observatory HK schema (FORMAT section 8): what a session,
// status or data frame holds, read from a G3Frame of type 'H' without
// decoding any sample. Schema v0 and v1 frames are described as so3g's
// HKTranslator would present them in v2 (block names made up from the first
// field name, v0 float times truncated to ticks).
import { G3FormatError } from '../errors.js';
import { decodeName } from '../bytes.js';
import { FrameType, type FrameEntry, type G3Frame } from '../frame.js';
import { compareBytes, type G3Object } from '../objects.js';
import { dataViewOf } from '../views.js';
import { tickAt, walkBlocks, type BlockLayout } from './blocks.js';

export const HkaggType = { session: 0, status: 1, data: 2 } as const;

/** A problem with an HK frame's content (missing key, wrong type, unreadable blocks). */
export class HkSchemaError extends Error {
  override name = 'HkSchemaError';
}

export interface HkProviderEntry {
  provId: number;
  description: string;
}

export interface HkFieldInfo {
  readonly name: string;
  /** Vector class after translation to v2. */
  readonly class: string;
}

export interface HkBlockInfo {
  index: number;
  /** The name so3g uses: `block_names[i]` (v2) or `block_for_<first field>` (v0, v1); undefined past the end of `block_names`. */
  name: string | undefined;
  class: 'G3TimesampleMap' | 'IrregBlockDouble';
  /** Samples in the block. */
  count: number;
  /** First and last sample time in ticks (undefined for an empty block). */
  first: bigint | undefined;
  last: bigint | undefined;
  /** Fields in stored (sorted) order; the same (shared, read-only) list for blocks with the same fields. */
  fields: readonly HkFieldInfo[];
  /** Element count of each field, present only when some field's differs from `count`. */
  fieldCounts?: number[];
  /** Fields whose vector cannot be read (unknown class, damage), and why. */
  unreadable?: { name: string; reason: string }[];
}

interface HkCommon {
  /** hkagg_version as stored (0 when absent). */
  version: number;
  sessionId: bigint;
}

export interface HkSessionInfo extends HkCommon {
  kind: 'session';
  startTime: number;
  description: string | undefined;
}

export interface HkStatusInfo extends HkCommon {
  kind: 'status';
  timestamp: number;
  providers: HkProviderEntry[];
}

export interface HkDataInfo extends HkCommon {
  kind: 'data';
  provId: number;
  timestamp: number;
  address: string | undefined;
  providerSessionId: string | undefined;
  blocks: HkBlockInfo[];
}

export interface HkOtherInfo extends HkCommon {
  kind: 'other';
  hkaggType: number;
}

export type HkFrameInfo = HkSessionInfo | HkStatusInfo | HkDataInfo | HkOtherInfo;

function want<C extends G3Object['class']>(frame: G3Frame, key: string, cls: C): Extract<G3Object, { class: C }> {
  const o = frame.get(key);
  if (o === undefined) throw new HkSchemaError(`missing key '${key}'`);
  if (o === null || o.class !== cls) {
    const found = o === null ? 'null' : o.class === 'opaque' ? `undecodable ${o.className ?? 'object'} (${o.reason})` : o.class;
    throw new HkSchemaError(`key '${key}' is ${found}, expected ${cls}`);
  }
  return o as Extract<G3Object, { class: C }>;
}

const G3INT_NAME = new TextEncoder().encode('G3Int');
const G3DOUBLE_NAME = new TextEncoder().encode('G3Double');

/**
 * Where the payload of a scalar blob starts, when the blob is the plain
 * one-object archive spt3g writes (flag, class 1 named `name`, object 1,
 * versions 1 and 1); -1 otherwise. Saves a full decode per HK scalar.
 */
function scalarPayload(frame: G3Frame, key: string, name: Uint8Array, size: number): { dv: DataView; at: number } | undefined {
  const e = frame.entry(key);
  if (!e || e.decoded || !e.src || e.blobLength !== 1 + 4 + 8 + name.length + 12 + size) return undefined;
  const b = e.src;
  const p = e.blobAt;
  const dv = dataViewOf(b.buffer);
  const o = b.byteOffset + p;
  if (b[p] !== 1 || dv.getUint32(o + 1, true) !== 0x80000001 || dv.getUint32(o + 5, true) !== name.length || dv.getUint32(o + 9, true) !== 0) return undefined;
  for (let i = 0; i < name.length; i++) if (b[p + 13 + i] !== name[i]) return undefined;
  const q = o + 13 + name.length;
  if (dv.getUint32(q, true) !== 0x80000001 || dv.getUint32(q + 4, true) !== 1 || dv.getUint32(q + 8, true) !== 1) return undefined;
  return { dv, at: q + 12 };
}

function int64Of(frame: G3Frame, key: string): bigint {
  const s = scalarPayload(frame, key, G3INT_NAME, 8);
  return s ? s.dv.getBigInt64(s.at, true) : want(frame, key, 'G3Int').value;
}

function smallIntOf(frame: G3Frame, key: string): number {
  const s = scalarPayload(frame, key, G3INT_NAME, 8);
  if (s) {
    const hi = s.dv.getInt32(s.at + 4, true);
    if (hi >= -0x200000 && hi < 0x200000) return hi * 4294967296 + s.dv.getUint32(s.at, true);
  }
  return smallInt(want(frame, key, 'G3Int').value, key);
}

function doubleOf(frame: G3Frame, key: string): number {
  const s = scalarPayload(frame, key, G3DOUBLE_NAME, 8);
  return s ? s.dv.getFloat64(s.at, true) : want(frame, key, 'G3Double').value;
}

const G3STRING_NAME = new TextEncoder().encode('G3String');
const G3VECTORSTRING_NAME = new TextEncoder().encode('G3VectorString');

/** Where the body of a plain one-object archive of class `name` starts (after its two versions), or -1. */
function plainBody(e: FrameEntry, name: Uint8Array): number {
  const b = e.src!;
  const p = e.blobAt;
  const end = p + e.blobLength;
  const q = p + 13 + name.length;
  if (q + 12 > end) return -1;
  const dv = dataViewOf(b.buffer);
  const o = b.byteOffset;
  if (b[p] !== 1 || dv.getUint32(o + p + 1, true) !== 0x80000001 || dv.getUint32(o + p + 5, true) !== name.length || dv.getUint32(o + p + 9, true) !== 0) return -1;
  for (let i = 0; i < name.length; i++) if (b[p + 13 + i] !== name[i]) return -1;
  if (dv.getUint32(o + q, true) !== 0x80000001 || dv.getUint32(o + q + 4, true) !== 1 || dv.getUint32(o + q + 8, true) !== 1) return -1;
  return q + 12;
}

/** Reads `count` strings at `at` of an entry's bytes, or undefined if they do not fit exactly. */
function stringsAt(e: FrameEntry, at: number, count: number): string[] | undefined {
  const b = e.src!;
  const end = e.blobAt + e.blobLength;
  const dv = dataViewOf(b.buffer);
  const out = new Array<string>(count);
  let p = at;
  for (let i = 0; i < count; i++) {
    if (p + 8 > end || dv.getUint32(b.byteOffset + p + 4, true) !== 0) return undefined;
    const n = dv.getUint32(b.byteOffset + p, true);
    if (p + 8 + n > end) return undefined;
    out[i] = decodeName(b, p + 8, p + 8 + n);
    p += 8 + n;
  }
  return p === end ? out : undefined;
}

function optionalString(frame: G3Frame, key: string): string | undefined {
  const e = frame.entry(key);
  if (!e) return undefined;
  if (!e.decoded && e.src) {
    const at = plainBody(e, G3STRING_NAME);
    const s = at >= 0 ? stringsAt(e, at, 1) : undefined;
    if (s) return s[0];
  }
  const o = frame.get(key);
  return o && o.class === 'G3String' ? o.value : undefined;
}

function stringVector(frame: G3Frame, key: string): string[] {
  const e = frame.entry(key);
  if (e && !e.decoded && e.src) {
    const at = plainBody(e, G3VECTORSTRING_NAME);
    if (at >= 0 && at + 8 <= e.blobAt + e.blobLength) {
      const dv = dataViewOf(e.src.buffer);
      const n = dv.getUint32(e.src.byteOffset + at, true);
      const s = dv.getUint32(e.src.byteOffset + at + 4, true) === 0 ? stringsAt(e, at + 8, n) : undefined;
      if (s) return s;
    }
  }
  return want(frame, key, 'G3VectorString').value;
}

function smallInt(v: bigint, what: string): number {
  if (v < BigInt(Number.MIN_SAFE_INTEGER) || v > BigInt(Number.MAX_SAFE_INTEGER)) throw new HkSchemaError(`${what} ${v} is out of range`);
  return Number(v);
}

/** The so3g block name of a block without a stored name (schema v0/v1). */
export function translatedBlockName(fieldNames: Iterable<string>): string {
  const sorted = [...fieldNames].sort(compareBytes);
  return `block_for_${sorted[0] ?? ''}`;
}

// Frames of one provider repeat the same field list thousands of times; one
// shared copy keeps scan results small. Lists are found by their first name
// and compared name by name (names are cached strings, so this is cheap).
const fieldLists = new Map<string, (readonly HkFieldInfo[])[]>();

function internFields(b: BlockLayout): readonly HkFieldInfo[] {
  const fields = b.fields;
  let first = '';
  for (const k of fields.keys()) {
    first = k;
    break;
  }
  let candidates = fieldLists.get(first);
  if (candidates) {
    outer: for (const list of candidates) {
      if (list.length !== fields.size) continue;
      let i = 0;
      for (const [name, f] of fields) {
        const x = list[i++]!;
        if (x.name !== name || x.class !== f.class) continue outer;
      }
      return list;
    }
  }
  const list = Object.freeze([...fields].map(([name, f]) => Object.freeze({ name, class: f.class })));
  if (!candidates) {
    if (fieldLists.size >= 4096) fieldLists.clear();
    fieldLists.set(first, (candidates = []));
  }
  if (candidates.length < 16) candidates.push(list);
  return list;
}

/** Summaries of the blocks of a data frame, from their layout. */
export function blockInfos(layouts: BlockLayout[], storedNames: string[] | undefined): HkBlockInfo[] {
  return layouts.map((b, index) => {
    const name = storedNames ? storedNames[index] : translatedBlockName(b.fields.keys());
    const info: HkBlockInfo = {
      index,
      name,
      class: b.class,
      count: b.count,
      first: b.count > 0 ? tickAt(b, 0) : undefined,
      last: b.count > 0 ? tickAt(b, b.count - 1) : undefined,
      fields: internFields(b),
    };
    for (const f of b.fields.values()) {
      if (f.count !== b.count) {
        info.fieldCounts = [...b.fields.values()].map((x) => x.count);
        break;
      }
    }
    for (const [name, f] of b.fields) if (f.error !== undefined) (info.unreadable ??= []).push({ name, reason: f.error });
    return info;
  });
}

/** The stored block names of a v2 data frame (undefined for v0/v1, which have none). */
export function storedBlockNames(frame: G3Frame): string[] | undefined {
  if (!frame.has('block_names')) return undefined;
  return stringVector(frame, 'block_names');
}

/** The layouts of a data frame's blocks. Throws HkSchemaError if unreadable. */
export function frameBlocks(frame: G3Frame): BlockLayout[] {
  const raw = frame.raw('blocks');
  if (raw === undefined) throw new HkSchemaError("missing key 'blocks'");
  try {
    return walkBlocks(raw);
  } catch (err) {
    if (err instanceof G3FormatError) throw new HkSchemaError(`blocks: ${err.message}`);
    throw err;
  }
}

/**
 * What an HK frame says, or undefined for a frame of another type. Throws
 * HkSchemaError for an 'H' frame that does not follow the schema.
 */
export function interpretHkFrame(frame: G3Frame): HkFrameInfo | undefined {
  if (frame.type !== FrameType.Housekeeping) return undefined;
  const hkaggType = smallIntOf(frame, 'hkagg_type');
  const version = frame.has('hkagg_version') ? smallIntOf(frame, 'hkagg_version') : 0;
  const sessionId = int64Of(frame, 'session_id');
  switch (hkaggType) {
    case HkaggType.session:
      return {
        kind: 'session',
        version,
        sessionId,
        startTime: doubleOf(frame, 'start_time'),
        description: optionalString(frame, 'description'),
      };
    case HkaggType.status: {
      const providers = want(frame, 'providers', 'G3VectorFrameObject').value.map((p, i) => {
        if (p === null || p.class !== 'G3MapFrameObject') throw new HkSchemaError(`providers[${i}] is not a G3MapFrameObject`);
        const id = p.value.get('prov_id');
        const desc = p.value.get('description');
        if (!id || id.class !== 'G3Int') throw new HkSchemaError(`providers[${i}] has no G3Int prov_id`);
        if (!desc || desc.class !== 'G3String') throw new HkSchemaError(`providers[${i}] has no G3String description`);
        return { provId: smallInt(id.value, 'prov_id'), description: desc.value };
      });
      return { kind: 'status', version, sessionId, timestamp: doubleOf(frame, 'timestamp'), providers };
    }
    case HkaggType.data: {
      // so3g's translator replaces whatever names a v0/v1 frame might carry.
      const names = version >= 2 ? storedBlockNames(frame) : undefined;
      return {
        kind: 'data',
        version,
        sessionId,
        provId: smallIntOf(frame, 'prov_id'),
        timestamp: doubleOf(frame, 'timestamp'),
        address: optionalString(frame, 'address'),
        providerSessionId: optionalString(frame, 'provider_session_id'),
        blocks: blockInfos(frameBlocks(frame), names),
      };
    }
    default:
      return { kind: 'other', version, sessionId, hkaggType };
  }
}
