// Shared by the g3 tests: where the reference files and their truth are, and
// how a decoded object reads in the truth's JSON encoding (FORMAT 10:
// NaN/Infinity as strings, int64 as numbers when exact else strings, ticks
// as strings).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Column, G3Object } from '../../src/g3/index.js';

/** test/fixtures/g3 in the source tree (tests run from dist/test/g3). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/g3/', import.meta.url));
export const REFERENCE = join(FIXTURES, 'reference');
export const COMPRESSED = join(FIXTURES, 'compressed');

export function truth<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(REFERENCE, 'truth', name), 'utf8')) as T;
}

export interface IndexEntryTruth {
  file: string;
  truth: string;
  size: number;
  sha256: string;
  status: 'ok' | 'truncated' | 'corrupt';
  frames_total: number;
  complete_frames: number;
  errors: { frame_index: number; offset: number; spt3g_error: string }[];
}

export const INDEX = truth<{ files: IndexEntryTruth[] }>('index.json').files;

export function referencePath(file: string): string {
  return join(REFERENCE, file);
}

export function num(x: number): number | string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  return x;
}

export function int(x: number | bigint): number | string {
  if (typeof x === 'number') return x;
  return x >= -9007199254740991n && x <= 9007199254740991n ? Number(x) : String(x);
}

/** An object's value as the truth files write it. */
export function truthValue(o: G3Object | null): unknown {
  if (o === null) return null;
  switch (o.class) {
    case 'G3Int':
      return int(o.value);
    case 'G3Double':
      return num(o.value);
    case 'G3String':
    case 'G3Bool':
      return o.value;
    case 'G3Time':
      return String(o.value);
    case 'G3VectorDouble':
      return Array.from(o.value, num);
    case 'G3VectorInt':
      return Array.from(o.value as ArrayLike<number | bigint>, int);
    case 'G3VectorBool':
      return Array.from(o.value, (v) => v !== 0);
    case 'G3VectorString':
      return o.value;
    case 'G3VectorTime':
      return Array.from(o.value, String);
    case 'G3VectorFrameObject':
      return o.value.map(wrapped);
    case 'G3MapFrameObject':
      return Object.fromEntries([...o.value].map(([k, v]) => [k, wrapped(v)]));
    case 'G3TimesampleMap':
      return { times: Array.from(o.times, String), fields: Object.fromEntries([...o.fields].map(([k, v]) => [k, wrapped(v)])) };
    case 'IrregBlockDouble':
      return { prefix: o.prefix, t: Array.from(o.t, num), data: Object.fromEntries([...o.data].map(([k, v]) => [k, Array.from(v, num)])) };
    case 'opaque':
      return { opaque: o.className, reason: o.reason };
  }
}

export function wrapped(o: G3Object | null): unknown {
  return o === null ? null : { class: o.class, value: truthValue(o) };
}

/** A query column as the archive truth writes it. */
export function truthColumn(c: Column): { dtype: string; values: unknown[] } {
  switch (c.dtype) {
    case 'float64':
      return { dtype: c.dtype, values: Array.from(c.values, num) };
    case 'int64':
      return { dtype: c.dtype, values: Array.from(c.values as ArrayLike<number | bigint>, int) };
    case 'bool':
      return { dtype: c.dtype, values: Array.from(c.values, (v) => v !== 0) };
    case 'str':
      return { dtype: c.dtype, values: c.values };
  }
}
