// Output columns of archive queries, filled straight from the bytes of HK
// blocks (one copy from the file buffer into the column). A column's type is
// set by the first block read, as so3g's get_data does with numpy; later
// blocks of another vector type are converted the way numpy assignment would.
import { decodeUtf8 } from '../bytes.js';
import { dataViewOf } from '../views.js';
import type { BlockLayout, FieldLayout } from './blocks.js';

/** int64 values: a Float64Array while every value is exact as a double (|v| < 2^53), else a BigInt64Array. */
export type Int64Values = Float64Array | BigInt64Array;

export type Column =
  | { dtype: 'float64'; values: Float64Array }
  | { dtype: 'int64'; values: Int64Values }
  /** 0 or 1 per sample. */
  | { dtype: 'bool'; values: Uint8Array }
  | { dtype: 'str'; values: string[] };

export type Dtype = Column['dtype'];

/** The column type numpy gives a vector class (so3g: `np.array(block[f]).dtype`). */
export function dtypeOf(cls: string): Dtype | undefined {
  switch (cls) {
    case 'G3VectorDouble':
      return 'float64';
    case 'G3VectorInt':
      return 'int64';
    case 'G3VectorBool':
      return 'bool';
    case 'G3VectorString':
      return 'str';
    default:
      return undefined;
  }
}

function aligned(bytes: Uint8Array, pos: number, size: number): boolean {
  return (bytes.byteOffset + pos) % size === 0;
}

/** A view (or aligned copy) of stored narrow integers. */
function narrowInts(f: FieldLayout, n: number): Int8Array | Int16Array | Int32Array {
  const { bytes, dataPos: p } = f;
  const size = f.storeBits / 8;
  let src = bytes;
  let off = bytes.byteOffset + p;
  if (!aligned(bytes, p, size)) {
    // A fresh copy (not Buffer#slice, which would be a view).
    src = new Uint8Array(n * size);
    src.set(bytes.subarray(p, p + n * size));
    off = 0;
  }
  if (size === 1) return new Int8Array(src.buffer, off, n);
  if (size === 2) return new Int16Array(src.buffer, off, n);
  return new Int32Array(src.buffer, off, n);
}

/** Absolute offset of a field's first element in its buffer's whole-buffer DataView. */
function at(f: FieldLayout): number {
  return f.bytes.byteOffset + f.dataPos;
}

const TWO32 = 4294967296;

/** Accumulates one field's values over the blocks of a query. */
export class ColumnBuilder {
  readonly dtype: Dtype;
  private f64: Float64Array | undefined;
  /** Byte view of `f64`, made once for the memcpy path. */
  private f64Bytes: Uint8Array | undefined;
  private i64: BigInt64Array | undefined;
  private u8: Uint8Array | undefined;
  private str: string[] | undefined;
  /** Set for a field whose first vector was of no known type (filled with NaN). */
  readonly unknownClass: string | undefined;

  constructor(firstClass: string, size: number) {
    const dt = dtypeOf(firstClass);
    this.dtype = dt ?? 'float64';
    this.unknownClass = dt ? undefined : firstClass;
    // Every row gets written by fill(), so no initial fill.
    if (this.dtype === 'float64' || this.dtype === 'int64') {
      this.f64 = new Float64Array(size);
      this.f64Bytes = new Uint8Array(this.f64.buffer);
    } else if (this.dtype === 'bool') this.u8 = new Uint8Array(size);
    else this.str = new Array<string>(size).fill('');
  }

  /**
   * Copies `n` values of a field into rows [offset, offset + n). Returns a
   * problem description when the field is missing, short or unreadable
   * (rows without a value then hold NaN, 0, false or "").
   */
  fill(f: FieldLayout | undefined, offset: number, n: number): string | undefined {
    if (!f || f.error) {
      this.fillDefault(offset, n);
      return f ? f.error : 'field missing from block';
    }
    const k = Math.min(n, f.count);
    let problem: string | undefined;
    switch (this.dtype) {
      case 'float64':
        problem = this.fillF64(f, offset, k);
        break;
      case 'int64':
        problem = this.fillI64(f, offset, k);
        break;
      case 'bool':
        problem = this.fillBool(f, offset, k);
        break;
      case 'str':
        this.fillStr(f, offset, k);
        break;
    }
    if (problem) {
      this.fillDefault(offset, n);
      return problem;
    }
    if (k < n) {
      this.fillDefault(offset + k, n - k);
      return `field has ${f.count} values for ${n} samples`;
    }
    return undefined;
  }

  /** What rows without a readable value hold: NaN, 0, false or "". */
  private fillDefault(offset: number, n: number): void {
    if (this.f64) this.f64.fill(this.dtype === 'float64' ? NaN : 0, offset, offset + n);
    else if (this.i64) this.i64.fill(0n, offset, offset + n);
    else if (this.u8) this.u8.fill(0, offset, offset + n);
    else this.str!.fill('', offset, offset + n);
  }

  private fillF64(f: FieldLayout, offset: number, n: number): string | undefined {
    const out = this.f64!;
    switch (f.class) {
      case 'G3VectorDouble':
        this.f64Bytes!.set(f.bytes.subarray(f.dataPos, f.dataPos + n * 8), offset * 8);
        return undefined;
      case 'G3VectorInt':
        if (f.storeBits === 64) {
          const dv = dataViewOf(f.bytes.buffer);
          for (let i = 0, p = at(f); i < n; i++, p += 8) out[offset + i] = Number(dv.getBigInt64(p, true));
        } else out.set(narrowInts(f, n), offset);
        return undefined;
      case 'G3VectorBool':
        for (let i = 0; i < n; i++) out[offset + i] = f.bytes[f.dataPos + i] ? 1 : 0;
        return undefined;
      default:
        return `cannot convert ${f.class} to float64`;
    }
  }

  private fillI64(f: FieldLayout, offset: number, n: number): string | undefined {
    switch (f.class) {
      case 'G3VectorInt':
        if (f.storeBits === 64) this.fillWideInts(f, offset, n);
        else if (this.i64) {
          const src = narrowInts(f, n);
          for (let i = 0; i < n; i++) this.i64[offset + i] = BigInt(src[i]!);
        } else this.f64!.set(narrowInts(f, n), offset);
        return undefined;
      case 'G3VectorDouble': {
        // numpy's float -> int64 assignment truncates toward zero.
        const dv = dataViewOf(f.bytes.buffer);
        for (let i = 0, p = at(f); i < n; i++, p += 8) {
          const x = Math.trunc(dv.getFloat64(p, true));
          this.setInt(offset + i, Number.isFinite(x) ? x : -9223372036854775808n);
        }
        return undefined;
      }
      case 'G3VectorBool':
        for (let i = 0; i < n; i++) this.setInt(offset + i, f.bytes[f.dataPos + i] ? 1 : 0);
        return undefined;
      default:
        return `cannot convert ${f.class} to int64`;
    }
  }

  /** 64-bit stored integers: exact as doubles while they fit in 53 bits. */
  private fillWideInts(f: FieldLayout, offset: number, n: number): void {
    const dv = dataViewOf(f.bytes.buffer);
    if (!this.i64) {
      const out = this.f64!;
      for (let i = 0, p = at(f); i < n; i++, p += 8) {
        const hi = dv.getInt32(p + 4, true);
        if (hi < -0x200000 || hi >= 0x200000) {
          this.widen();
          this.fillWideIntsBig(dv, p, offset + i, n - i);
          return;
        }
        out[offset + i] = hi * TWO32 + dv.getUint32(p, true);
      }
      return;
    }
    this.fillWideIntsBig(dv, at(f), offset, n);
  }

  private fillWideIntsBig(dv: DataView, pos: number, offset: number, n: number): void {
    const out = this.i64!;
    for (let i = 0, p = pos; i < n; i++, p += 8) out[offset + i] = dv.getBigInt64(p, true);
  }

  private setInt(i: number, v: number | bigint): void {
    if (this.i64) {
      this.i64[i] = BigInt(v);
      return;
    }
    if (typeof v === 'bigint' || !Number.isSafeInteger(v)) {
      this.widen();
      this.i64![i] = BigInt(v);
      return;
    }
    this.f64![i] = v;
  }

  /** Switches the column to BigInt64Array once a value passes 2^53. */
  private widen(): void {
    const f = this.f64!;
    const out = new BigInt64Array(f.length);
    for (let i = 0; i < f.length; i++) out[i] = BigInt(f[i]!);
    this.i64 = out;
    this.f64 = undefined;
    this.f64Bytes = undefined;
  }

  private fillBool(f: FieldLayout, offset: number, n: number): string | undefined {
    const out = this.u8!;
    switch (f.class) {
      case 'G3VectorBool':
        for (let i = 0; i < n; i++) out[offset + i] = f.bytes[f.dataPos + i] ? 1 : 0;
        return undefined;
      case 'G3VectorDouble': {
        const dv = dataViewOf(f.bytes.buffer);
        for (let i = 0, p = at(f); i < n; i++, p += 8) out[offset + i] = dv.getFloat64(p, true) !== 0 ? 1 : 0;
        return undefined;
      }
      case 'G3VectorInt':
        if (f.storeBits === 64) {
          const dv = dataViewOf(f.bytes.buffer);
          for (let i = 0, p = at(f); i < n; i++, p += 8) out[offset + i] = dv.getBigInt64(p, true) !== 0n ? 1 : 0;
        } else {
          const src = narrowInts(f, n);
          for (let i = 0; i < n; i++) out[offset + i] = src[i] !== 0 ? 1 : 0;
        }
        return undefined;
      default:
        return `cannot convert ${f.class} to bool`;
    }
  }

  private fillStr(f: FieldLayout, offset: number, n: number): void {
    const out = this.str!;
    const dv = dataViewOf(f.bytes.buffer);
    const o = f.bytes.byteOffset;
    let p = f.dataPos;
    for (let i = 0; i < n; i++) {
      switch (f.class) {
        case 'G3VectorString': {
          const len = dv.getUint32(o + p, true) + dv.getUint32(o + p + 4, true) * TWO32;
          out[offset + i] = decodeUtf8(f.bytes, p + 8, p + 8 + len);
          p += 8 + len;
          break;
        }
        case 'G3VectorDouble':
          out[offset + i] = pythonFloatRepr(dv.getFloat64(o + p, true));
          p += 8;
          break;
        case 'G3VectorBool':
          out[offset + i] = f.bytes[p] ? 'True' : 'False';
          p += 1;
          break;
        case 'G3VectorInt': {
          const size = f.storeBits / 8;
          const q = o + p;
          const v = size === 1 ? dv.getInt8(q) : size === 2 ? dv.getInt16(q, true) : size === 4 ? dv.getInt32(q, true) : dv.getBigInt64(q, true);
          out[offset + i] = String(v);
          p += size;
          break;
        }
        default:
          return;
      }
    }
  }

  /** The column, with rows outside `keep` (sorted, disjoint [from, to) ranges) dropped if given. */
  finish(keep?: [number, number][]): Column {
    const pick = <T extends { subarray(a: number, b: number): T; length: number }>(a: T, make: (n: number) => T, set: (dst: T, src: T, at: number) => void): T => {
      if (!keep) return a;
      const total = keep.reduce((s, [x, y]) => s + y - x, 0);
      const out = make(total);
      let to = 0;
      for (const [x, y] of keep) {
        set(out, a.subarray(x, y), to);
        to += y - x;
      }
      return out;
    };
    switch (this.dtype) {
      case 'float64':
        return { dtype: 'float64', values: pick(this.f64!, (n) => new Float64Array(n), (d, s, i) => d.set(s, i)) };
      case 'int64':
        if (this.i64) return { dtype: 'int64', values: pick(this.i64, (n) => new BigInt64Array(n), (d, s, i) => d.set(s, i)) };
        return { dtype: 'int64', values: pick(this.f64!, (n) => new Float64Array(n), (d, s, i) => d.set(s, i)) };
      case 'bool':
        return { dtype: 'bool', values: pick(this.u8!, (n) => new Uint8Array(n), (d, s, i) => d.set(s, i)) };
      case 'str': {
        const s = this.str!;
        return { dtype: 'str', values: keep ? keep.flatMap(([x, y]) => s.slice(x, y)) : s };
      }
    }
  }
}

/** Fills rows [offset, offset + n) of `t` with a block's sample times in Unix seconds (ticks / 1e8). */
export function fillTimes(block: BlockLayout, t: Float64Array, offset: number, n: number): void {
  const b = block.timesBytes;
  const dv = dataViewOf(b.buffer);
  let p = b.byteOffset + block.timesPos;
  if (block.timesKind === 'ticks') {
    // hi * 2^32 + lo is one correctly rounded addition: the same double as
    // Number(ticks), without the cost of a BigInt.
    for (let i = 0; i < n; i++, p += 8) t[offset + i] = (dv.getInt32(p + 4, true) * TWO32 + dv.getUint32(p, true)) / 1e8;
  } else {
    for (let i = 0; i < n; i++, p += 8) t[offset + i] = Math.trunc(dv.getFloat64(p, true) * 1e8) / 1e8;
  }
}

/** Python's repr of a float, near enough for the rare float-to-str conversion. */
function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  return String(x);
}
