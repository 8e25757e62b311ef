// The frame objects found in housekeeping .g3 files (FORMAT section 5), as
// plain TypeScript values. Numeric vectors are typed arrays; 64-bit integers
// are bigint (session ids and nanosecond stamps pass 2^53). Every object
// carries its registered class name in `class`.

export interface G3Bool {
  class: 'G3Bool';
  value: boolean;
}
export interface G3Int {
  class: 'G3Int';
  value: bigint;
}
export interface G3Double {
  class: 'G3Double';
  value: number;
}
export interface G3String {
  class: 'G3String';
  value: string;
}
/** A time: 64-bit count of 10 ns ticks since the Unix epoch. */
export interface G3Time {
  class: 'G3Time';
  value: bigint;
}
export interface G3VectorDouble {
  class: 'G3VectorDouble';
  value: Float64Array;
}

export type IntStoreBits = 8 | 16 | 32 | 64;
export type IntStorage = Int8Array | Int16Array | Int32Array | BigInt64Array;

/**
 * A vector of int64. `value` is the storage as found on disk (version 2 picks
 * the narrowest of 8/16/32/64 bits; version 1 is always 32-bit); each element
 * means the same int64 whatever the width.
 */
export interface G3VectorInt {
  class: 'G3VectorInt';
  value: IntStorage;
  /** Class version: 2 (spt3g from 2020-11) or 1 (before, int32 layout). */
  version: 1 | 2;
  storeBits: IntStoreBits;
}
/** Booleans as bytes, 0 or 1. */
export interface G3VectorBool {
  class: 'G3VectorBool';
  value: Uint8Array;
}
export interface G3VectorString {
  class: 'G3VectorString';
  value: string[];
}
/** Times in ticks (see G3Time). */
export interface G3VectorTime {
  class: 'G3VectorTime';
  value: BigInt64Array;
}
export interface G3VectorFrameObject {
  class: 'G3VectorFrameObject';
  value: (G3Object | null)[];
}
/** A map whose every value was stored as its own nested archive (keys sorted). */
export interface G3MapFrameObject {
  class: 'G3MapFrameObject';
  value: Map<string, G3Object | null>;
}
/** An HK block of schema v1/v2: co-sampled field vectors and their times. */
export interface G3TimesampleMap {
  class: 'G3TimesampleMap';
  times: BigInt64Array;
  fields: Map<string, G3Object | null>;
}
/** so3g's HK block of schema v0: float seconds and vectors of doubles. */
export interface IrregBlockDouble {
  class: 'IrregBlockDouble';
  prefix: string;
  /** Unix seconds. */
  t: Float64Array;
  data: Map<string, Float64Array>;
}
/**
 * An object this library cannot decode (unknown class, unsupported class
 * version or byte order, or bytes that do not parse). `bytes` is the whole
 * archive that held it (a blob or a nested map value), so it can be written
 * back unchanged.
 */
export interface OpaqueObject {
  class: 'opaque';
  /** The class named in the archive, when it got that far. */
  className: string | undefined;
  reason: string;
  bytes: Uint8Array;
}

export type G3Object =
  | G3Bool
  | G3Int
  | G3Double
  | G3String
  | G3Time
  | G3VectorDouble
  | G3VectorInt
  | G3VectorBool
  | G3VectorString
  | G3VectorTime
  | G3VectorFrameObject
  | G3MapFrameObject
  | G3TimesampleMap
  | IrregBlockDouble
  | OpaqueObject;

export type G3ClassName = Exclude<G3Object['class'], 'opaque'>;

/** Class versions this library reads and writes (FORMAT 4.2). */
export const CLASS_VERSIONS: Record<G3ClassName | 'G3FrameObject' | 'G3MapVectorDouble', readonly number[]> = {
  G3FrameObject: [1],
  G3Bool: [1],
  G3Int: [1],
  G3Double: [1],
  G3String: [1],
  G3Time: [1],
  G3VectorDouble: [1],
  G3VectorInt: [1, 2],
  G3VectorBool: [1],
  G3VectorString: [1],
  G3VectorTime: [1],
  G3VectorFrameObject: [1],
  G3MapFrameObject: [1],
  G3TimesampleMap: [0],
  IrregBlockDouble: [0],
  G3MapVectorDouble: [1],
};

// ---- constructors -------------------------------------------------------

export const g3Int = (value: bigint | number): G3Int => ({ class: 'G3Int', value: BigInt(value) });
export const g3Double = (value: number): G3Double => ({ class: 'G3Double', value });
export const g3String = (value: string): G3String => ({ class: 'G3String', value });
export const g3Bool = (value: boolean): G3Bool => ({ class: 'G3Bool', value });
export const g3Time = (ticks: bigint): G3Time => ({ class: 'G3Time', value: ticks });
export const vectorDouble = (value: Float64Array | ArrayLike<number>): G3VectorDouble => ({
  class: 'G3VectorDouble',
  value: value instanceof Float64Array ? value : Float64Array.from(value),
});
export const vectorString = (value: string[]): G3VectorString => ({ class: 'G3VectorString', value });
export const vectorBool = (value: ArrayLike<boolean | number>): G3VectorBool => ({
  class: 'G3VectorBool',
  value: Uint8Array.from(value as ArrayLike<number>, (v) => (v ? 1 : 0)),
});
export const vectorTime = (ticks: BigInt64Array | bigint[]): G3VectorTime => ({
  class: 'G3VectorTime',
  value: ticks instanceof BigInt64Array ? ticks : BigInt64Array.from(ticks),
});
export const vectorFrameObject = (value: (G3Object | null)[]): G3VectorFrameObject => ({ class: 'G3VectorFrameObject', value });
export const mapFrameObject = (entries: Iterable<[string, G3Object | null]>): G3MapFrameObject => ({
  class: 'G3MapFrameObject',
  value: new Map([...entries].sort((a, b) => compareBytes(a[0], b[0]))),
});
export const timesampleMap = (times: BigInt64Array, fields: Iterable<[string, G3Object | null]>): G3TimesampleMap => ({
  class: 'G3TimesampleMap',
  times,
  fields: new Map([...fields].sort((a, b) => compareBytes(a[0], b[0]))),
});
export const irregBlockDouble = (t: Float64Array, data: Iterable<[string, Float64Array]>, prefix = ''): IrregBlockDouble => ({
  class: 'IrregBlockDouble',
  prefix,
  t,
  data: new Map([...data].sort((a, b) => compareBytes(a[0], b[0]))),
});

/**
 * The storage width spt3g (from 2020-11) picks for a G3VectorInt: the
 * narrowest two's-complement width holding every value (FORMAT 5.3).
 */
export function intStoreBits(values: ArrayLike<number | bigint>): IntStoreBits {
  let m = 0n;
  let small = true;
  let mSmall = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (small && typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= 0x7fffffff) {
      mSmall |= v >= 0 ? v : ~v;
      continue;
    }
    small = false;
    const b = BigInt(v);
    m |= b >= 0n ? b : ~b;
  }
  m |= BigInt(mSmall >>> 0);
  const significant = m === 0n ? 0 : m.toString(2).length;
  const n = Math.min(significant + 1, 64);
  return n <= 8 ? 8 : n <= 16 ? 16 : n <= 32 ? 32 : 64;
}

/** A G3VectorInt of the given int64 values, stored as spt3g would (version 2, narrowest width). */
export function vectorInt(values: ArrayLike<number | bigint>, version: 1 | 2 = 2): G3VectorInt {
  if (version === 1) {
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = Number(values[i]!);
      if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw new RangeError(`G3VectorInt version 1 holds int32 only, got ${String(values[i])}`);
      out[i] = v;
    }
    return { class: 'G3VectorInt', value: out, version: 1, storeBits: 32 };
  }
  const bits = intStoreBits(values);
  let value: IntStorage;
  if (bits === 64) value = BigInt64Array.from(values as ArrayLike<number | bigint>, (v) => BigInt(v));
  else {
    value = bits === 8 ? new Int8Array(values.length) : bits === 16 ? new Int16Array(values.length) : new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) value[i] = Number(values[i]!);
  }
  return { class: 'G3VectorInt', value, version: 2, storeBits: bits };
}

/** Element i of a G3VectorInt as a number when exact, else as a bigint. */
export function intAt(v: G3VectorInt, i: number): number | bigint {
  const x = v.value[i]!;
  if (typeof x === 'number') return x;
  return x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : x;
}

/** Orders keys as std::map<std::string> does: by bytes (UTF-8), not UTF-16 units. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  // Plain comparison agrees with byte order unless surrogate pairs meet
  // characters in U+E000..U+FFFF; fall back to bytes only then.
  if (!hasHighUnits(a) && !hasHighUnits(b)) return a < b ? -1 : 1;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

function hasHighUnits(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return true;
  return false;
}
