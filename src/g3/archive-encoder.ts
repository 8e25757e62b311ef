// Encoding of frame objects as cereal "portable binary" archives, exactly as
// spt3g writes them (FORMAT sections 4 and 5): class names and versions on
// first use within the archive, object ids in order of first use, and an
// object met twice written once and referred to afterwards.
import { ByteWriter } from './bytes.js';
import { CLASS_VERSIONS, type G3Object, type G3VectorInt } from './objects.js';

export class ArchiveEncoder {
  readonly w: ByteWriter;
  private readonly classIds = new Map<string, number>();
  private readonly objectIds = new Map<object, number>();
  private readonly versions = new Map<string, number>();

  constructor(w = new ByteWriter()) {
    this.w = w;
  }

  flag(): void {
    this.w.u8(1);
  }

  version(cls: keyof typeof CLASS_VERSIONS, v = CLASS_VERSIONS[cls][CLASS_VERSIONS[cls].length - 1]!): void {
    const prev = this.versions.get(cls);
    if (prev === undefined) {
      this.versions.set(cls, v);
      this.w.u32(v);
    } else if (prev !== v) {
      throw new Error(`one archive cannot hold ${cls} of versions ${prev} and ${v}`);
    }
  }

  pointer(obj: G3Object | null): void {
    const w = this.w;
    if (obj === null) {
      w.u32(0);
      return;
    }
    if (obj.class === 'opaque') {
      throw new Error(`cannot re-encode an undecoded ${obj.className ?? 'object'} inside another object (${obj.reason})`);
    }
    const cid = this.classIds.get(obj.class);
    if (cid !== undefined) w.u32(cid);
    else {
      const id = this.classIds.size + 1;
      this.classIds.set(obj.class, id);
      w.u32((id | 0x80000000) >>> 0);
      w.str(obj.class);
    }
    const oid = this.objectIds.get(obj);
    if (oid !== undefined) {
      w.u32(oid);
      return;
    }
    const id = this.objectIds.size + 1;
    this.objectIds.set(obj, id);
    w.u32((id | 0x80000000) >>> 0);
    this.body(obj);
  }

  private body(obj: Exclude<G3Object, { class: 'opaque' }>): void {
    const w = this.w;
    switch (obj.class) {
      case 'G3Bool':
        this.classHeader('G3Bool');
        w.u8(obj.value ? 1 : 0);
        return;
      case 'G3Int':
        this.classHeader('G3Int');
        w.i64(obj.value);
        return;
      case 'G3Double':
        this.classHeader('G3Double');
        w.f64(obj.value);
        return;
      case 'G3String':
        this.classHeader('G3String');
        w.str(obj.value);
        return;
      case 'G3Time':
        this.classHeader('G3Time');
        w.i64(obj.value);
        return;
      case 'G3VectorDouble':
        this.f64Vector(obj.value);
        return;
      case 'G3VectorInt':
        this.intVector(obj);
        return;
      case 'G3VectorBool':
        this.classHeader('G3VectorBool');
        w.u64(obj.value.length);
        if (obj.value.every((b) => b <= 1)) w.raw(obj.value);
        else for (let i = 0; i < obj.value.length; i++) w.u8(obj.value[i] ? 1 : 0);
        return;
      case 'G3VectorString':
        this.classHeader('G3VectorString');
        w.u64(obj.value.length);
        for (const s of obj.value) w.str(s);
        return;
      case 'G3VectorTime':
        this.timeVector(obj.value);
        return;
      case 'G3VectorFrameObject':
        this.classHeader('G3VectorFrameObject');
        w.u64(obj.value.length);
        for (const o of obj.value) this.pointer(o);
        return;
      case 'G3MapFrameObject':
        this.frameObjectMap(obj.value);
        return;
      case 'G3TimesampleMap':
        this.version('G3TimesampleMap');
        this.frameObjectMap(obj.fields);
        this.timeVector(obj.times);
        return;
      case 'IrregBlockDouble':
        this.version('IrregBlockDouble');
        this.version('G3FrameObject');
        w.str(obj.prefix);
        this.f64Vector(obj.t);
        this.version('G3MapVectorDouble');
        this.version('G3FrameObject');
        w.u64(obj.data.size);
        for (const [k, v] of obj.data) {
          w.str(k);
          w.u64(v.length);
          w.typed(v);
        }
        return;
    }
  }

  private classHeader(cls: keyof typeof CLASS_VERSIONS): void {
    this.version(cls);
    this.version('G3FrameObject');
  }

  private f64Vector(v: Float64Array): void {
    this.classHeader('G3VectorDouble');
    this.w.u64(v.length);
    this.w.typed(v);
  }

  private timeVector(v: BigInt64Array): void {
    this.classHeader('G3VectorTime');
    this.w.u64(v.length);
    if (v.length > 0) this.version('G3Time');
    this.w.typed(v);
  }

  private intVector(obj: G3VectorInt): void {
    this.version('G3VectorInt', obj.version);
    this.version('G3FrameObject');
    const v = obj.value;
    const bytes = { 8: 1, 16: 2, 32: 4, 64: 8 }[obj.storeBits];
    if (v.BYTES_PER_ELEMENT !== bytes) throw new Error(`G3VectorInt storeBits ${obj.storeBits} does not match its ${v.constructor.name}`);
    if (obj.version === 1 && obj.storeBits !== 32) throw new Error('G3VectorInt version 1 stores 32-bit elements only');
    if (obj.version === 2) this.w.i32(obj.storeBits);
    this.w.u64(v.length);
    this.w.typed(v);
  }

  private frameObjectMap(m: Map<string, G3Object | null>): void {
    this.classHeader('G3MapFrameObject');
    this.w.u32(m.size);
    for (const [k, v] of m) {
      this.w.str(k);
      if (v !== null && v.class === 'opaque') {
        this.w.lengthPrefixed(v.bytes);
        continue;
      }
      // Each value is an independent archive with fresh tables.
      const at = this.w.reserveLength();
      const nested = new ArchiveEncoder(this.w);
      nested.flag();
      nested.pointer(v);
      this.w.patchLength(at);
    }
  }
}

/** Encodes one object as a whole archive (a frame blob). An opaque object gives back its bytes. */
export function encodeArchive(obj: G3Object | null): Uint8Array {
  if (obj !== null && obj.class === 'opaque') return obj.bytes;
  const e = new ArchiveEncoder();
  e.flag();
  e.pointer(obj);
  return e.w.bytes().slice();
}
