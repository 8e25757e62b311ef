// The fuzzer's own reading of CBOR text strings (its model of the router is
// written apart from the router, so it must know which frames are invalid).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Encoder } from 'cbor-x';
import { cborTextIsUtf8, decodeFrame } from './wamp/codec.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true });

test('CBOR text strings are checked for UTF-8 wherever they are: under tags, in chunks, as keys, after other items', () => {
  const bad = [0x62, 0xc3, 0x28]; // text(2): a lead byte and no continuation
  const cases: [string, number[], boolean][] = [
    ['a plain message', [...cbor.encode([16, 1, {}, 'com.x', ['é', 1.5, { k: 'v' }]])], true],
    ['a bad string in a list', [0x83, 0x01, 0x61, 0x61, ...bad], false],
    ['a bad map key', [0xa1, ...bad, 0x01], false],
    // as the fuzzer found it: tag 86 (float64 array) around text that is not UTF-8
    ['a typed-array tag around bad text', [0x82, 0x01, 0xd8, 0x56, 0x78, 0x08, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f], false],
    ['the same tag around bytes', [0x82, 0x01, 0xd8, 0x56, 0x48, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f], true],
    ['an indefinite text whose chunks are UTF-8', [0x7f, 0x61, 0x61, 0x62, 0xc3, 0xa9, 0xff], true],
    ['an indefinite text that splits a character between chunks', [0x7f, 0x61, 0xc3, 0x61, 0xa9, 0xff], false],
    ['an indefinite list, then a bad string', [0x82, 0x9f, 0x01, 0x02, 0xff, ...bad], false],
    ['floats and simple values before a good string', [0x84, 0xfb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xf5, 0xf6, 0x61, 0x7a], true],
  ];
  for (const [what, bytes, ok] of cases) assert.equal(cborTextIsUtf8(Uint8Array.from(bytes)), ok, what);
  // and a frame holding such a string reads as undecodable, as the router refuses it
  const frame = Buffer.from([0x82, 0x01, 0xd8, 0x56, 0x78, 0x08, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f]);
  const decoded = decodeFrame(frame, { name: 'wamp.2.cbor', format: 'cbor', batched: false });
  assert.deepEqual(decoded, { ok: false, why: 'a CBOR text string that is not UTF-8' });
});
