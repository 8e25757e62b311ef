import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerSent, JsonBytes, millisBytes, millisJson } from '../../src/http/json-bytes.js';
import { JsonNumberList, parseKeepingNumberLists } from '../../src/client/json-number-lists.js';
import { answerJson, type SeriesData, type TargetAnswer } from '../../src/http/grafana/answer.js';
import type { FieldInfo } from '../../src/protocol/types.js';

let seed = 11;
const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

/** Times as sisock nodes send them: whole seconds, ms, µs, float noise; and the odd ones. */
function times(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = random();
    const t = 1764547200 + random() * 1e6;
    out.push(r < 0.2 ? Math.round(t) : r < 0.4 ? Math.round(t * 1000) / 1000 : r < 0.5 ? Math.round(t * 1e6) / 1e6 : r < 0.9 ? t : [0, 0.0004, 0.0005, 99999.9995, 1e-9, 12.3456789, 9007199254.740992, 1e13][i % 8]!);
  }
  return out;
}

test('epoch ms are written as JSON.stringify writes Math.round(t * 1000), for every kind of time', () => {
  const t = [...times(5000), -1.5, -1764547200.123, -0.0004, 1e15, 5e15, 1e20, -1e20, NaN, Infinity];
  const expected = JSON.stringify(t.map((x) => Math.round(x * 1000)));
  assert.equal(millisJson(t), expected);
  assert.equal(millisBytes(new Float64Array(t)).toString('latin1'), expected);
  assert.equal(millisJson([]), '[]');
});

test('SimpleJson datapoints pair each value text with its time, as JSON.stringify writes the pairs', () => {
  for (const n of [0, 1, 2, 1000]) {
    const t = times(n);
    const v = Array.from({ length: n }, (_, i) => (i % 11 === 5 ? null : (random() - 0.5) * 10 ** Math.round(random() * 30 - 15)));
    const list = parseKeepingNumberLists(JSON.stringify(v), 1);
    const values = list instanceof JsonNumberList ? list : new JsonNumberList('[]', 0, true);
    const expected = JSON.stringify(v.map((x, i) => [x, Math.round((t[i] as number) * 1000)]));
    assert.equal(new JsonBytes().datapoints(values, t).toBuffer().toString('latin1'), expected);
  }
  // a list shorter than its times gives as many pairs as it has values, never runs past its end
  const short = parseKeepingNumberLists('[1,2]', 1) as JsonNumberList;
  assert.equal(new JsonBytes().datapoints(short, [1, 2, 3]).toBuffer().toString(), '[[1,1000],[2,2000]]');
});

test('pieces of text and bytes join into one buffer of the exact size, any characters', () => {
  const out = new JsonBytes().add('["é ✓ 😀",').add(Buffer.from('[1,2]')).add(',"\u2028"]');
  const b = out.toBuffer();
  assert.equal(b.length, Buffer.byteLength('["é ✓ 😀",[1,2],"\u2028"]'));
  assert.deepEqual(JSON.parse(b.toString('utf8')), ['é ✓ 😀', [1, 2], '\u2028']);
});

test('answers from values kept as text are the same bytes as from the same values read', () => {
  const info: FieldInfo = { description: 'a "quoted" thing', timeline: 't', type: 'number', units: 'K' };
  for (const format of ['timeseries', 'frame', 'table'] as const) {
    const n = 300;
    const t = times(n).sort((a, b) => a - b);
    const v = Array.from({ length: n }, (_, i) => (i % 13 === 0 ? null : (random() - 0.5) * 1e4));
    const vJson = parseKeepingNumberLists(JSON.stringify(v), 1) as JsonNumberList;
    const read: SeriesData = { name: 'n::x', info, samples: { t, v, finalizedUntil: null } };
    const kept: SeriesData = { name: 'n::x', info, samples: { t, v, vJson, finalizedUntil: null } };
    const answer = (s: SeriesData): TargetAnswer[] => [
      { target: { target: 'n::x', refId: 'A', format }, series: [s], notices: ['note'] },
      { target: { target: 'n::missing', refId: 'B', format }, series: [], notices: ['unknown field'] },
    ];
    const a = answerJson(answer(read));
    const b = answerJson(answer(kept));
    assert.equal(b.toString(), a.toString(), format);
    assert.ok(Array.isArray(JSON.parse(a.toString())));
  }
});

test('an answer given back once sent lends its buffer to a later answer; nothing else is taken back', () => {
  const first = new JsonBytes().add('[1,2,3]').toBuffer();
  answerSent(first);
  const second = new JsonBytes().add('["second"]').toBuffer();
  assert.equal(second.buffer, first.buffer, 'the same memory, reused');
  assert.equal(second.toString(), '["second"]');
  // not given back: the next answer writes elsewhere, and the first keeps its bytes
  const third = new JsonBytes().add('[3]').toBuffer();
  assert.notEqual(third.buffer, second.buffer);
  assert.equal(second.toString(), '["second"]');
  // only what JsonBytes handed out comes back, once: a buffer of Node's shared pool is never written into
  const foreign = Buffer.from('[]');
  answerSent(foreign);
  answerSent(third);
  answerSent(third);
  const a = new JsonBytes().add('["a"]').toBuffer();
  const b = new JsonBytes().add('["b"]').toBuffer();
  assert.notEqual(a.buffer, foreign.buffer);
  assert.notEqual(b.buffer, foreign.buffer);
  assert.notEqual(a.buffer, b.buffer, 'given back twice, lent once');
  assert.equal(foreign.toString(), '[]');
});

test('an answer larger than its buffer moves to a larger one, bytes intact; a time column written once is copied', () => {
  const t = times(30_000);
  const out = new JsonBytes().add('[');
  const from = out.end;
  out.millis(t);
  const to = out.end;
  out.add(',').copyOf(from, to).add(']');
  const expected = JSON.stringify(t.map((x) => Math.round(x * 1000)));
  assert.equal(out.toBuffer().toString('latin1'), `[${expected},${expected}]`);
});

test('a huge answer is not kept once sent: its memory goes back to the system', () => {
  const huge = new JsonBytes().add(Buffer.alloc(5_000_000, 0x20)).toBuffer();
  answerSent(huge);
  const next = new JsonBytes().add(Buffer.alloc(4_500_000, 0x20)).toBuffer();
  assert.notEqual(next.buffer, huge.buffer);
  // an everyday one is
  const everyday = new JsonBytes().add(Buffer.alloc(300_000, 0x20)).toBuffer();
  answerSent(everyday);
  assert.equal(new JsonBytes().add(Buffer.alloc(200_000, 0x20)).toBuffer().buffer, everyday.buffer);
});
