// The order in which spt3g stores a frame's keys (FORMAT 3.4). spt3g keeps
// keys in a std::unordered_map and writes them in its iteration order, which
// with GCC's libstdc++ follows from the keys' hashes and the order of
// insertions and deletions. Modelling that container lets the writer produce
// frames byte for byte as the reference library does. Readers never depend
// on key order.
import { encodeUtf8 } from './bytes.js';

const MASK = (1n << 64n) - 1n;
const MUL = 0xc6a4a7935bd1e995n;
const SEED = 0xc70f6907n;

function shiftMix(v: bigint): bigint {
  return v ^ (v >> 47n);
}

/** libstdc++'s std::hash<std::string> on x86-64 (_Hash_bytes, a MurmurHash2 variant). */
export function libstdcxxHash(key: string | Uint8Array): bigint {
  const b = typeof key === 'string' ? encodeUtf8(key) : key;
  const len = b.length;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let h = (SEED ^ ((BigInt(len) * MUL) & MASK)) & MASK;
  const aligned = len & ~7;
  for (let p = 0; p < aligned; p += 8) {
    const w = view.getBigUint64(p, true);
    const data = (shiftMix((w * MUL) & MASK) * MUL) & MASK;
    h = ((h ^ data) * MUL) & MASK;
  }
  if (len & 7) {
    let data = 0n;
    for (let i = len - 1; i >= aligned; i--) data = (data << 8n) | BigInt(b[i]!);
    h = ((h ^ data) * MUL) & MASK;
  }
  h = (shiftMix(h) * MUL) & MASK;
  return shiftMix(h);
}

// libstdc++'s table of bucket counts (the part of its __prime_list a map
// walks through when it doubles from 13).
const PRIMES = [
  13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 103, 109, 113, 127, 137, 139, 149,
  157, 167, 179, 193, 199, 211, 227, 241, 257, 277, 293, 313, 337, 359, 383, 409, 439, 467, 503, 541, 577, 619, 661,
  709, 761, 823, 887, 953, 1031, 1109, 1193, 1289, 1381, 1493, 1613, 1741, 1879, 2029, 2179, 2357, 2549, 2753, 2971,
  3209, 3469, 3739, 4027, 4349, 4703, 5087,
];

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function nextBucketCount(atLeast: number): number {
  for (const p of PRIMES) if (p >= atLeast) return p;
  // Beyond the modelled table (more than 5087 keys in one frame): the next
  // prime, which libstdc++'s sparser table may not match. No HK frame comes near.
  let n = atLeast;
  while (!isPrime(n)) n++;
  return n;
}

const hashCache = new Map<string, bigint>();

function cachedHash(key: string): bigint {
  let h = hashCache.get(key);
  if (h === undefined) {
    h = libstdcxxHash(key);
    if (hashCache.size < 10000) hashCache.set(key, h);
  }
  return h;
}

/**
 * The iteration order of a libstdc++ std::unordered_map<std::string, ...>
 * under a sequence of insertions and deletions.
 */
export class UnorderedMapOrder {
  private order: string[] = [];
  private bucketOf = new Map<string, number>();
  private buckets = 1;

  constructor(keys: Iterable<string> = []) {
    for (const k of keys) this.insert(k);
  }

  has(key: string): boolean {
    return this.bucketOf.has(key);
  }

  get size(): number {
    return this.order.length;
  }

  /** Inserts a key (no effect if present, as std::unordered_map::insert). */
  insert(key: string): void {
    if (this.bucketOf.has(key)) return;
    const n = this.order.length + 1;
    if (this.buckets === 1) this.rehash(13);
    else if (n > this.buckets) this.rehash(nextBucketCount(2 * this.buckets));
    this.place(key);
  }

  delete(key: string): void {
    if (!this.bucketOf.delete(key)) return;
    this.order.splice(this.order.indexOf(key), 1);
  }

  /** The keys in iteration (and so storage) order. */
  keys(): string[] {
    return [...this.order];
  }

  private place(key: string): void {
    const b = Number(cachedHash(key) % BigInt(this.buckets));
    const first = this.order.findIndex((k) => this.bucketOf.get(k) === b);
    this.bucketOf.set(key, b);
    if (first >= 0) this.order.splice(first, 0, key);
    else this.order.unshift(key);
  }

  private rehash(buckets: number): void {
    const old = this.order;
    this.order = [];
    this.bucketOf.clear();
    this.buckets = buckets;
    for (const k of old) this.place(k);
  }
}

/** The order spt3g (libstdc++ build) stores keys that were inserted in `insertionOrder`. */
export function libstdcxxKeyOrder(insertionOrder: Iterable<string>): string[] {
  return new UnorderedMapOrder(insertionOrder).keys();
}
