// Decoding of one cereal "portable binary" archive: a frame blob or a nested
// G3MapFrameObject value (FORMAT sections 4 and 5). An archive carries state
// from its first byte to its last: the class-name table, the object table and
// the set of classes whose version was already written; this decoder keeps
// the same so that shared classes and back-references resolve as written.
import { ByteReader } from './bytes.js';
import { G3FormatError, G3UnknownClassError } from './errors.js';
import {
  CLASS_VERSIONS,
  type G3Object,
  type G3VectorInt,
  type IntStorage,
  type IntStoreBits,
  type OpaqueObject,
} from './objects.js';

/** What the pointer record of a polymorphic object said. */
export interface PointerHeader {
  className: string;
  objectId: number;
  /** True if the body follows; false for a back-reference to an earlier object. */
  isNew: boolean;
}

type BodyDecoder = (d: ArchiveDecoder) => G3Object;

/** Deepest nesting of objects accepted (HK data nests 3 deep). */
const MAX_DEPTH = 64;
let depth = 0;

/** Copies or views `n` elements of `size` bytes at `pos` as the given typed array. */
function typedAt<T>(
  bytes: Uint8Array,
  pos: number,
  n: number,
  size: number,
  Ctor: { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; new (length: number): T },
): T {
  const offset = bytes.byteOffset + pos;
  if (offset % size === 0) return new Ctor(bytes.buffer as ArrayBuffer, offset, n);
  const out = new Ctor(n);
  new Uint8Array((out as unknown as { buffer: ArrayBuffer }).buffer).set(bytes.subarray(pos, pos + n * size));
  return out;
}

/**
 * Decodes the objects of one archive. Numeric vectors come back as typed
 * arrays that view the input bytes when aligned (no copy) and are copied
 * once otherwise; treat them as read-only.
 */
export class ArchiveDecoder {
  r: ByteReader;
  private readonly classNames: string[] = [];
  private readonly objects: (G3Object | undefined)[] = [];
  private readonly versions = new Map<string, number>();

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.r = new ByteReader(bytes, start, end);
  }

  /** Starts over on another archive (fresh tables), so a decoder can be reused. */
  reset(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.r = new ByteReader(bytes, start, end);
    this.clear();
  }

  /** Forgets the tables (and so the objects they hold). */
  clear(): void {
    this.classNames.length = 0;
    this.objects.length = 0;
    this.versions.clear();
  }

  /** Reads the archive's leading byte-order flag; only little-endian archives are supported. */
  readFlag(): void {
    const at = this.r.pos;
    const flag = this.r.u8('archive flag');
    if (flag === 0) throw new G3FormatError('big-endian archive (flag 00) is not supported', at);
    if (flag !== 1) throw new G3FormatError(`bad archive flag 0x${flag.toString(16).padStart(2, '0')}`, at);
  }

  /** The class version, read the first time a class appears in this archive. */
  version(cls: keyof typeof CLASS_VERSIONS): number {
    let v = this.versions.get(cls);
    if (v === undefined) {
      const at = this.r.pos;
      v = this.r.u32('version of', cls);
      if (!CLASS_VERSIONS[cls].includes(v)) throw new G3UnknownClassError(cls, at, `unsupported version ${v} of class`);
      this.versions.set(cls, v);
    }
    return v;
  }

  /** Reads a polymorphic pointer record up to the body; null for a null pointer. */
  pointerHeader(): PointerHeader | null {
    const r = this.r;
    const at = r.pos;
    const cid = r.u32('class id');
    if (cid === 0) return null;
    let className: string;
    if (cid & 0x80000000) {
      const id = cid & 0x7fffffff;
      className = r.name('class name');
      if (id !== this.classNames.length + 1) throw new G3FormatError(`class id ${id} out of sequence (expected ${this.classNames.length + 1})`, at);
      this.classNames.push(className);
    } else if (cid & 0x40000000) {
      throw new G3FormatError(`class id 0x${cid.toString(16)} has the "exact type" flag, never used for frame objects`, at);
    } else {
      const name = this.classNames[cid - 1];
      if (name === undefined) throw new G3FormatError(`class id ${cid} was never defined`, at);
      className = name;
    }
    const oat = r.pos;
    const oid = r.u32('object id');
    if (oid & 0x80000000) {
      const id = oid & 0x7fffffff;
      if (id !== this.objects.length + 1) throw new G3FormatError(`object id ${id} out of sequence (expected ${this.objects.length + 1})`, oat);
      this.objects.push(undefined);
      return { className, objectId: id, isNew: true };
    }
    if (oid === 0 || oid > this.objects.length) throw new G3FormatError(`object id ${oid} was never defined`, oat);
    return { className, objectId: oid, isNew: false };
  }

  /** Reads a whole polymorphic pointer: the record and, for a new object, its body. */
  pointer(): G3Object | null {
    const at = this.r.pos;
    const h = this.pointerHeader();
    if (h === null) return null;
    if (!h.isNew) {
      const obj = this.objects[h.objectId - 1];
      if (obj === undefined) throw new G3FormatError(`object id ${h.objectId} refers to an object still being read`, at);
      return obj;
    }
    const body = BODIES.get(h.className);
    if (body === undefined) throw new G3UnknownClassError(h.className, at);
    // Objects nest (vectors of objects, maps of archives); bound the depth so
    // crafted input cannot exhaust the stack.
    if (++depth > MAX_DEPTH) {
      depth = 0;
      throw new G3FormatError(`objects nested more than ${MAX_DEPTH} deep`, at);
    }
    try {
      const obj = body(this);
      this.objects[h.objectId - 1] = obj;
      return obj;
    } finally {
      if (depth > 0) depth--;
    }
  }

  f64Vector(cls: 'G3VectorDouble'): Float64Array {
    this.version(cls);
    this.version('G3FrameObject');
    const n = this.r.count('size of', 8, cls);
    const out = typedAt(this.r.bytes, this.r.pos, n, 8, Float64Array);
    this.r.pos += n * 8;
    return out;
  }

  /** The body of a G3VectorTime (also the `times` member of a G3TimesampleMap). */
  timeVector(): BigInt64Array {
    this.version('G3VectorTime');
    this.version('G3FrameObject');
    const n = this.r.count('G3VectorTime size', 8);
    if (n > 0) this.version('G3Time');
    this.r.need(n * 8, 'G3VectorTime ticks');
    const out = typedAt(this.r.bytes, this.r.pos, n, 8, BigInt64Array);
    this.r.pos += n * 8;
    return out;
  }

  /** The body of a G3VectorInt, either layout. */
  intVector(): G3VectorInt {
    const r = this.r;
    const version = this.version('G3VectorInt') as 1 | 2;
    this.version('G3FrameObject');
    let bits: IntStoreBits = 32;
    if (version === 2) {
      const at = r.pos;
      const b = r.i32('G3VectorInt store_bits');
      if (b !== 8 && b !== 16 && b !== 32 && b !== 64) throw new G3FormatError(`G3VectorInt store_bits ${b} is not 8, 16, 32 or 64`, at);
      bits = b;
    }
    const size = bits / 8;
    const n = r.count('G3VectorInt size', size);
    let value: IntStorage;
    if (bits === 8) value = typedAt(r.bytes, r.pos, n, 1, Int8Array);
    else if (bits === 16) value = typedAt(r.bytes, r.pos, n, 2, Int16Array);
    else if (bits === 32) value = typedAt(r.bytes, r.pos, n, 4, Int32Array);
    else value = typedAt(r.bytes, r.pos, n, 8, BigInt64Array);
    r.pos += n * size;
    return { class: 'G3VectorInt', value, version, storeBits: bits };
  }

  /** The entries of a G3MapFrameObject body (also the base of a G3TimesampleMap): each value a nested archive. */
  frameObjectMap(): Map<string, G3Object | null> {
    this.version('G3MapFrameObject');
    this.version('G3FrameObject');
    const n = this.r.u32('G3MapFrameObject size');
    const out = new Map<string, G3Object | null>();
    for (let i = 0; i < n; i++) {
      const key = this.r.name('map key');
      const value = this.r.lengthPrefixed('value of map key', key);
      out.set(key, decodeArchive(value));
    }
    return out;
  }
}

const BODY_TABLE: Record<string, BodyDecoder> = {
  G3Bool(d) {
    d.version('G3Bool');
    d.version('G3FrameObject');
    return { class: 'G3Bool', value: d.r.u8('G3Bool') !== 0 };
  },
  G3Int(d) {
    d.version('G3Int');
    d.version('G3FrameObject');
    return { class: 'G3Int', value: d.r.i64('G3Int') };
  },
  G3Double(d) {
    d.version('G3Double');
    d.version('G3FrameObject');
    return { class: 'G3Double', value: d.r.f64('G3Double') };
  },
  G3String(d) {
    d.version('G3String');
    d.version('G3FrameObject');
    return { class: 'G3String', value: d.r.str('G3String') };
  },
  G3Time(d) {
    d.version('G3Time');
    d.version('G3FrameObject');
    return { class: 'G3Time', value: d.r.i64('G3Time') };
  },
  G3VectorDouble(d) {
    return { class: 'G3VectorDouble', value: d.f64Vector('G3VectorDouble') };
  },
  G3VectorInt(d) {
    return d.intVector();
  },
  G3VectorBool(d) {
    d.version('G3VectorBool');
    d.version('G3FrameObject');
    const n = d.r.count('G3VectorBool size', 1);
    return { class: 'G3VectorBool', value: d.r.take(n, 'G3VectorBool') };
  },
  G3VectorString(d) {
    d.version('G3VectorString');
    d.version('G3FrameObject');
    const n = d.r.count('G3VectorString size', 8);
    const value = new Array<string>(n);
    for (let i = 0; i < n; i++) value[i] = d.r.str('G3VectorString element');
    return { class: 'G3VectorString', value };
  },
  G3VectorTime(d) {
    return { class: 'G3VectorTime', value: d.timeVector() };
  },
  G3VectorFrameObject(d) {
    d.version('G3VectorFrameObject');
    d.version('G3FrameObject');
    const n = d.r.count('G3VectorFrameObject size', 4);
    const value = new Array<G3Object | null>(n);
    for (let i = 0; i < n; i++) value[i] = d.pointer();
    return { class: 'G3VectorFrameObject', value };
  },
  G3MapFrameObject(d) {
    return { class: 'G3MapFrameObject', value: d.frameObjectMap() };
  },
  G3TimesampleMap(d) {
    d.version('G3TimesampleMap');
    const fields = d.frameObjectMap();
    const times = d.timeVector();
    return { class: 'G3TimesampleMap', times, fields };
  },
  IrregBlockDouble(d) {
    d.version('IrregBlockDouble');
    d.version('G3FrameObject');
    const prefix = d.r.str('IrregBlockDouble prefix');
    const t = d.f64Vector('G3VectorDouble');
    d.version('G3MapVectorDouble');
    d.version('G3FrameObject');
    const m = d.r.count('G3MapVectorDouble size', 16);
    const data = new Map<string, Float64Array>();
    for (let i = 0; i < m; i++) {
      const key = d.r.name('G3MapVectorDouble key');
      const k = d.r.count('size of G3MapVectorDouble entry', 8, key);
      data.set(key, typedAt(d.r.bytes, d.r.pos, k, 8, Float64Array));
      d.r.pos += k * 8;
    }
    return { class: 'IrregBlockDouble', prefix, t, data };
  },
};

// A Map, so that class names such as "constructor" find nothing.
const BODIES = new Map<string, BodyDecoder>(Object.entries(BODY_TABLE));

/** The class names this library decodes. */
export const KNOWN_CLASSES: readonly string[] = [...BODIES.keys()];

/**
 * Decodes one whole archive (a frame blob or a nested map value). Never
 * throws: what cannot be decoded comes back as an OpaqueObject holding the
 * archive's bytes, its class name if known, and the reason.
 */
export function decodeArchive(bytes: Uint8Array): G3Object | null {
  // Decoders are reused (one per nesting level: map values are archives
  // decoded while their parent is), which spares allocating their tables for
  // every blob of every frame.
  const level = poolLevel++;
  const d = (pool[level] ??= new ArchiveDecoder(bytes));
  d.reset(bytes);
  try {
    d.readFlag();
    const obj = d.pointer();
    if (d.r.pos !== d.r.end) throw new G3FormatError(`${d.r.end - d.r.pos} bytes left over after the object`, d.r.pos);
    return obj;
  } catch (err) {
    if (!(err instanceof G3FormatError)) throw err;
    return opaque(bytes, peekClassName(bytes), err);
  } finally {
    d.clear();
    poolLevel = level;
  }
}

const pool: ArchiveDecoder[] = [];
let poolLevel = 0;

function opaque(bytes: Uint8Array, className: string | undefined, err: G3FormatError): OpaqueObject {
  const where = err instanceof G3UnknownClassError || err.message.includes(' offset ') ? '' : ` at offset ${err.offset}`;
  return { class: 'opaque', className, reason: `${err.message}${where}`, bytes };
}

/** The class name of an archive's top-level object, read from its first record (undefined if none). */
export function peekClassName(bytes: Uint8Array): string | undefined {
  const r = new ByteReader(bytes);
  try {
    if (r.u8() !== 1) return undefined;
    const cid = r.u32();
    if (!(cid & 0x80000000)) return undefined;
    return r.str();
  } catch {
    return undefined;
  }
}
