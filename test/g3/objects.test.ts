// Object encoding details that the reference files do not exercise: every
// class round-trips, shared objects and null pointers, integer widths, the
// class-version rules, typed-array views versus copies, and how undecodable
// content is kept as raw bytes without failing the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ArchiveEncoder,
  decodeArchive,
  encodeArchive,
  encodeFrame,
  g3Bool,
  g3Double,
  g3Int,
  g3String,
  g3Time,
  G3Frame,
  intStoreBits,
  mapFrameObject,
  splitFrames,
  timesampleMap,
  vectorBool,
  vectorDouble,
  vectorFrameObject,
  vectorInt,
  vectorString,
  vectorTime,
  type G3Object,
} from '../../src/g3/index.js';

function roundTrip(o: G3Object | null): G3Object | null {
  const bytes = encodeArchive(o);
  const back = decodeArchive(bytes);
  assert.ok(Buffer.from(encodeArchive(back)).equals(bytes), 'encoding is stable');
  return back;
}

test('every class round-trips through encode and decode', () => {
  const objects: G3Object[] = [
    g3Bool(true),
    g3Bool(false),
    g3Int(-(2n ** 63n)),
    g3Int(2n ** 63n - 1n),
    g3Double(NaN),
    g3Double(-0),
    g3String('ñandú — ☁'),
    g3String(''),
    g3Time(170406720229744192n),
    vectorDouble([1.5, NaN, Infinity, -Infinity]),
    vectorInt([0, 127, -128]),
    vectorInt([2 ** 40, -(2 ** 40)]),
    vectorInt([1, 2, 3], 1),
    vectorBool([true, false, true]),
    vectorString(['a', '', 'ü']),
    vectorTime([1n, -1n, 2n ** 62n]),
    vectorTime([]),
    mapFrameObject([
      ['b', g3Int(1)],
      ['a', vectorString(['x'])],
      ['nothing', null],
    ]),
    timesampleMap(BigInt64Array.from([10n, 20n]), [
      ['y', vectorInt([1, 2])],
      ['x', vectorDouble([0.5, 0.25])],
    ]),
  ];
  for (const o of objects) assert.deepStrictEqual(roundTrip(o), o);
  assert.equal(roundTrip(null), null);
});

test('G3VectorTime writes the G3Time version only when it has elements and G3Time is new to the archive', () => {
  const empty = encodeArchive(vectorTime([]));
  const one = encodeArchive(vectorTime([5n]));
  // flag, class record (4 + 8 + 12), object id, 2 versions, count, [G3Time version], ticks
  assert.equal(empty.length, 1 + 4 + 8 + 12 + 4 + 8 + 8);
  assert.equal(one.length, 1 + 4 + 8 + 12 + 4 + 8 + 8 + 4 + 8);
  // Inside a vector that already wrote a G3Time, no version is repeated.
  const v = encodeArchive(vectorFrameObject([g3Time(1n), vectorTime([7n, 8n])]));
  const back = decodeArchive(v);
  assert.deepStrictEqual(back, vectorFrameObject([g3Time(1n), vectorTime([7n, 8n])]));
});

test('an object stored twice is written once and comes back as the same object', () => {
  const shared = vectorDouble([1, 2, 3]);
  const v = vectorFrameObject([shared, shared, null, g3Int(4)]);
  const bytes = encodeArchive(v);
  const back = decodeArchive(bytes);
  assert.equal(back?.class, 'G3VectorFrameObject');
  assert.equal(back.value[0], back.value[1]);
  assert.equal(back.value[2], null);
  assert.ok(bytes.length < encodeArchive(vectorFrameObject([shared, vectorDouble([1, 2, 3]), null, g3Int(4)])).length);
  assert.ok(Buffer.from(encodeArchive(back)).equals(bytes));
});

test('G3VectorInt picks the narrowest width, as spt3g does', () => {
  assert.equal(intStoreBits([]), 8);
  assert.equal(intStoreBits([0]), 8);
  assert.equal(intStoreBits([127, -128]), 8);
  assert.equal(intStoreBits([128]), 16);
  assert.equal(intStoreBits([-129]), 16);
  assert.equal(intStoreBits([32767, -32768]), 16);
  assert.equal(intStoreBits([32768]), 32);
  assert.equal(intStoreBits([2 ** 31 - 1, -(2 ** 31)]), 32);
  assert.equal(intStoreBits([2 ** 31]), 64);
  assert.equal(intStoreBits([-(2n ** 63n)]), 64);
  const wide = vectorInt([1650001801051008303n, -5n]);
  assert.equal(wide.storeBits, 64);
  assert.deepStrictEqual(roundTrip(wide), wide);
  assert.throws(() => vectorInt([2 ** 31], 1), /int32 only/);
});

test('aligned vectors are views of the input, unaligned ones one copy, same values', () => {
  const v = vectorDouble([1.25, 2.5, 3.75, 5]);
  const bytes = encodeArchive(v);
  for (let shift = 0; shift < 8; shift++) {
    const buf = new Uint8Array(bytes.length + 16);
    buf.set(bytes, shift);
    const back = decodeArchive(buf.subarray(shift, shift + bytes.length));
    assert.equal(back?.class, 'G3VectorDouble');
    assert.deepEqual(Array.from(back.value), [1.25, 2.5, 3.75, 5]);
    const dataAt = shift + bytes.length - 32;
    assert.equal(back.value.buffer === buf.buffer, dataAt % 8 === 0, `shift ${shift}`);
  }
});

/** An archive holding an object of a class this library does not know. */
function unknownClassArchive(name: string): Uint8Array {
  const e = new ArchiveEncoder();
  e.flag();
  e.w.u32(0x80000001);
  e.w.str(name);
  e.w.u32(0x80000001);
  e.w.u32(1);
  e.w.u32(1);
  e.w.f64(42);
  return e.w.bytes().slice();
}

test('an unknown class is kept as raw bytes with its name; a map around it still decodes', () => {
  const alone = decodeArchive(unknownClassArchive('G3MapDouble'));
  assert.equal(alone?.class, 'opaque');
  assert.equal(alone.className, 'G3MapDouble');
  assert.match(alone.reason, /unknown class: G3MapDouble/);
  // Inside a G3MapFrameObject the value is its own archive: only it is opaque.
  const map = mapFrameObject([
    ['known', g3Int(7)],
    ['other', { class: 'opaque', className: 'G3MapDouble', reason: 'test', bytes: unknownClassArchive('G3MapDouble') }],
  ]);
  const bytes = encodeArchive(map);
  const back = decodeArchive(bytes);
  assert.equal(back?.class, 'G3MapFrameObject');
  assert.deepStrictEqual(back.value.get('known'), g3Int(7));
  const other = back.value.get('other');
  assert.equal(other?.class, 'opaque');
  assert.equal(other.className, 'G3MapDouble');
  assert.ok(Buffer.from(encodeArchive(back)).equals(bytes));
  // As an element of a vector nothing says where it ends: the whole blob is kept.
  const e = new ArchiveEncoder();
  e.flag();
  e.pointer(vectorFrameObject([]));
  const blob = Buffer.from(e.w.bytes());
  blob.writeBigUInt64LE(2n, blob.length - 8);
  const tail = new ArchiveEncoder();
  tail.w.u32(0x80000002); // class 2, new: "Foo"
  tail.w.str('Foo');
  tail.w.u32(0x80000002);
  tail.w.u32(1);
  tail.w.f64(1);
  tail.pointer(g3Int(3)); // a known element after it, never reached
  const vec = decodeArchive(Buffer.concat([blob, tail.w.bytes()]));
  assert.equal(vec?.class, 'opaque');
  assert.equal(vec.className, 'G3VectorFrameObject');
  assert.match(vec.reason, /unknown class: Foo/);
  // Names such as "constructor" are just unknown classes.
  assert.equal(decodeArchive(unknownClassArchive('constructor'))?.class, 'opaque');
});

test('a frame with undecodable objects still reads, lists its keys and writes back unchanged', () => {
  const f = new G3Frame();
  f.set('fine', g3Double(1));
  f.setRaw('strange', unknownClassArchive('SomethingNew'));
  const bytes = encodeFrame(f);
  const back = splitFrames(bytes).frames[0]!;
  assert.ok(back.crcOk);
  assert.deepEqual(back.get('fine'), g3Double(1));
  const o = back.get('strange');
  assert.equal(o?.class, 'opaque');
  assert.equal(o.className, 'SomethingNew');
  assert.ok(Buffer.from(encodeFrame(back)).equals(bytes));
});

test('unsupported versions, byte order, truncation and leftovers make an object opaque, with the reason', () => {
  const good = encodeArchive(g3Int(5));
  const cases: [Uint8Array, RegExp][] = [];
  const v9 = Buffer.from(good);
  v9.writeUInt32LE(9, 22); // version of G3Int
  cases.push([v9, /unsupported version 9 of class: G3Int/]);
  const be = Buffer.from(good);
  be[0] = 0;
  cases.push([be, /big-endian/]);
  cases.push([good.subarray(0, 30), /need 8 bytes at offset 30, 0 left/]);
  cases.push([Buffer.concat([good, Buffer.from([0])]), /1 bytes left over/]);
  const badInt = encodeArchive(vectorInt([1, 2]));
  const bits = Buffer.from(badInt);
  bits.writeInt32LE(12, 1 + 4 + 8 + 11 + 4 + 8);
  cases.push([bits, /store_bits 12 is not 8, 16, 32 or 64/]);
  for (const [bytes, why] of cases) {
    const o = decodeArchive(bytes);
    assert.equal(o?.class, 'opaque');
    assert.match(o.reason, why);
  }
});

test('new frames store keys in libstdc++ order; deleting keeps the others in place', () => {
  const f = new G3Frame();
  for (const k of ['hkagg_type', 'hkagg_version', 'session_id', 'start_time', 'description']) f.set(k, g3Int(0));
  assert.deepEqual(f.keys(), ['description', 'start_time', 'session_id', 'hkagg_version', 'hkagg_type']);
  f.delete('hkagg_version');
  assert.deepEqual(f.keys(), ['description', 'start_time', 'session_id', 'hkagg_type']);
  const back = splitFrames(encodeFrame(f)).frames[0]!;
  assert.deepEqual(back.keys(), f.keys());
  // What spt3g would write after reading it: keys re-inserted in stored
  // order, which for small frames mostly reverses them (FORMAT 3.4).
  assert.deepEqual(back.reordered().keys(), ['hkagg_type', 'session_id', 'start_time', 'description']);
});

test('objects nested absurdly deep are refused, not a stack overflow', () => {
  let o: G3Object = g3Int(1);
  for (let i = 0; i < 200; i++) o = vectorFrameObject([o]);
  const back = decodeArchive(encodeArchive(o));
  assert.equal(back?.class, 'opaque');
  assert.match(back.reason, /nested more than 64 deep/);
  // And the next decode starts afresh.
  assert.deepStrictEqual(decodeArchive(encodeArchive(vectorFrameObject([g3Int(2)]))), vectorFrameObject([g3Int(2)]));
});
