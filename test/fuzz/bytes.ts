// Raw byte mutations shared by every fuzzer: bit flips, byte overwrites,
// insertions, deletions, cuts, repeated chunks and splices of two inputs,
// as AFL-style fuzzers do. Each returns a new buffer and a note saying what
// was done, so a failing case can be described.
import type { Rng } from './random.js';

export interface Mutated {
  data: Buffer;
  note: string;
}

const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x22, 0x5b, 0x5d, 0x7b, 0x7d, 0x2c, 0x3a, 0x0a, 0x23, 0x1e, 0xc0, 0xc1, 0xd9, 0xdb];

function flip(rng: Rng, b: Buffer): Mutated {
  const out = Buffer.from(b);
  const n = rng.int(1, 5);
  for (let i = 0; i < n && out.length > 0; i++) out[rng.int(0, out.length)]! ^= 1 << rng.int(0, 8);
  return { data: out, note: `flipped ${n} bit(s)` };
}

function overwrite(rng: Rng, b: Buffer): Mutated {
  const out = Buffer.from(b);
  if (out.length === 0) return { data: out, note: 'nothing to overwrite' };
  const at = rng.int(0, out.length);
  out[at] = rng.chance(0.5) ? rng.pick(INTERESTING) : rng.int(0, 256);
  return { data: out, note: `byte ${at} overwritten` };
}

function insert(rng: Rng, b: Buffer): Mutated {
  const at = rng.int(0, b.length + 1);
  const chunk = rng.chance(0.5) ? Buffer.from([rng.pick(INTERESTING)]) : rng.bytes(rng.size(64));
  return { data: Buffer.concat([b.subarray(0, at), chunk, b.subarray(at)]), note: `${chunk.length} byte(s) inserted at ${at}` };
}

function remove(rng: Rng, b: Buffer): Mutated {
  if (b.length === 0) return { data: b, note: 'nothing to delete' };
  const at = rng.int(0, b.length);
  const n = Math.min(rng.size(32), b.length - at);
  return { data: Buffer.concat([b.subarray(0, at), b.subarray(at + n)]), note: `${n} byte(s) deleted at ${at}` };
}

function cut(rng: Rng, b: Buffer): Mutated {
  const at = rng.int(0, Math.max(1, b.length));
  return { data: Buffer.from(b.subarray(0, at)), note: `cut to ${at} of ${b.length} bytes` };
}

function repeat(rng: Rng, b: Buffer): Mutated {
  if (b.length === 0) return { data: b, note: 'nothing to repeat' };
  const at = rng.int(0, b.length);
  const n = Math.min(rng.size(64), b.length - at);
  const times = rng.int(2, 20);
  const chunk = b.subarray(at, at + n);
  return {
    data: Buffer.concat([b.subarray(0, at + n), ...Array.from({ length: times - 1 }, () => chunk), b.subarray(at + n)]),
    note: `${n} byte(s) at ${at} repeated ${times} times`,
  };
}

/** Applies one to `rounds` random mutations. */
export function mutateBytes(rng: Rng, input: Buffer, rounds = 3): Mutated {
  let data = input;
  const notes: string[] = [];
  const n = rng.int(1, rounds + 1);
  for (let i = 0; i < n; i++) {
    const m = rng.pick([flip, flip, overwrite, overwrite, insert, remove, cut, repeat])(rng, data);
    data = m.data;
    notes.push(m.note);
  }
  return { data, note: notes.join(', ') };
}

/** The head of `a` joined to the tail of `b`, at random points. */
export function splice(rng: Rng, a: Buffer, b: Buffer): Mutated {
  const i = rng.int(0, a.length + 1);
  const j = rng.int(0, b.length + 1);
  return { data: Buffer.concat([a.subarray(0, i), b.subarray(j)]), note: `first ${i} bytes of one input + bytes from ${j} of another` };
}
