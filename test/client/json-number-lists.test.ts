import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonNumberList, parseKeepingNumberLists } from '../../src/client/json-number-lists.js';

/** The value with every JsonNumberList replaced by what JSON.parse gives for its text. */
function expand(v: unknown): unknown {
  if (v instanceof JsonNumberList) return v.values();
  if (Array.isArray(v)) return v.map(expand);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, k, { value: expand(x), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}

/** Every list kept as text in v. */
function lists(v: unknown, out: JsonNumberList[] = []): JsonNumberList[] {
  if (v instanceof JsonNumberList) out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => lists(x, out));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => lists(x, out));
  return out;
}

const range = (n: number, f: (i: number) => unknown): unknown[] => Array.from({ length: n }, (_, i) => f(i));

test('long lists of numbers and nulls are kept as their text; the rest reads as JSON.parse reads it', () => {
  const values = range(40, (i) => (i % 7 === 3 ? null : Math.sin(i) * 10 ** (i % 9)));
  const times = range(40, (i) => 1764547200 + i * 0.1);
  const text = JSON.stringify([50, 12, {}, [{ data: { a: values, s: ['x', 'y'], short: [1, 2, 3] }, timeline: { a: { t: times, finalized_until: 5 } } }]]);
  const parsed = parseKeepingNumberLists(text, 32);
  assert.deepEqual(expand(parsed), JSON.parse(text));
  const kept = lists(parsed);
  assert.equal(kept.length, 2);
  const [a, t] = kept as [JsonNumberList, JsonNumberList];
  assert.equal(a.text, JSON.stringify(values));
  assert.equal(a.length, 40);
  assert.equal(a.copyable, true);
  assert.deepEqual(a.values(), values);
  assert.equal(a.values(), a.values(), 'parsed once');
  assert.equal(t.length, 40);
  const reply = (parsed as unknown[])[3] as { data: { short: unknown; s: unknown } }[];
  assert.deepEqual(reply[0]?.data.short, [1, 2, 3], 'a short list is an array');
  assert.deepEqual(reply[0]?.data.s, ['x', 'y']);
});

test('lists with blanks or numbers beyond a double are kept but not copyable; mixed lists are arrays', () => {
  const spaced = `[${range(5, (i) => i).join(' , ')} ]`;
  const huge = `[1e400,${range(4, (i) => i).join(',')}]`;
  const longInteger = `[${'9'.repeat(201)}e99,1,2]`; // 1e299 x 1e99 would overflow
  const mixed = `[1,2,3,"4",5]`;
  const parsed = parseKeepingNumberLists(`{"spaced":${spaced},"huge":${huge},"long":${longInteger},"mixed":${mixed},"nested":[[1,2],[3,4]]}`, 1) as Record<string, unknown>;
  for (const k of ['spaced', 'huge', 'long']) {
    const list = parsed[k];
    assert.ok(list instanceof JsonNumberList, k);
    assert.equal(list.copyable, false, k);
  }
  assert.equal((parsed.spaced as JsonNumberList).length, 5);
  assert.deepEqual((parsed.huge as JsonNumberList).values()[0], Infinity);
  assert.deepEqual(parsed.mixed, [1, 2, 3, '4', 5]);
  const nested = parsed.nested as unknown[];
  assert.ok(nested[0] instanceof JsonNumberList && nested[1] instanceof JsonNumberList);
  assert.equal(parseKeepingNumberLists('[1e99,-0,0.5E-7,null]', 1) instanceof JsonNumberList, true);
  assert.equal((parseKeepingNumberLists('[1e99,-0,0.5E-7,null]', 1) as JsonNumberList).copyable, true);
  const largest = parseKeepingNumberLists(`[${'9'.repeat(200)}.5e99]`, 1) as JsonNumberList;
  assert.equal(largest.copyable, true);
  assert.ok(Number.isFinite(largest.values()[0]));
});

test('strings, escapes, literals, __proto__ and blanks read exactly as JSON.parse reads them', () => {
  const samples = [
    '{"a":"plain","b":"esc \\" \\\\ \\/ \\n \\u00e9 \\ud83d\\ude00","c":true,"d":false,"e":null,"f":-0,"g":1.5e-7}',
    ' \n\t{ "x" : [ 1 , 2 ] , "y" : { } , "z" : [ ] } \r\n',
    '{"__proto__":{"polluted":true},"k":[1,2,3]}',
    '"just a string"',
    '12345678901234567890',
    '[[],[[]],{"a":[{"b":[null]}]}]',
    '"é ü \u2028"',
  ];
  for (const text of samples) {
    const ours = parseKeepingNumberLists(text, 1);
    assert.deepEqual(expand(ours), expand(JSON.parse(text)), text);
  }
  const proto = parseKeepingNumberLists(samples[2] as string, 100) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(proto, '__proto__'));
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test("text that is not JSON fails with JSON.parse's own error", () => {
  for (const text of ['', '[1,2', '[1,,2]', '{"a" 1}', '[01]', '[1.]', '[-]', '"unterminated', '"ctl \u0001"', '[1] x', '{"a":[1,2,3]]', 'nul', '[NaN]', "['a']"]) {
    let expected: unknown;
    try {
      JSON.parse(text);
    } catch (err) {
      expected = err;
    }
    assert.ok(expected instanceof SyntaxError, `JSON.parse takes ${JSON.stringify(text)}?`);
    assert.throws(() => parseKeepingNumberLists(text, 1), (err: unknown) => err instanceof SyntaxError && err.message === (expected as Error).message, text);
  }
});

test('random JSON documents read as JSON.parse reads them, and every kept list is valid JSON of its length', () => {
  let seed = 7;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const number = (): number => {
    const r = random();
    if (r < 0.2) return Math.round(random() * 1e6);
    if (r < 0.3) return -random() * 10 ** Math.round(random() * 40 - 20);
    return (random() - 0.5) * 10 ** Math.round(random() * 20 - 10);
  };
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.3) return r < 0.1 ? null : r < 0.15 ? 'text "q" é' : number();
    if (r < 0.6) return range(Math.floor(random() * 50), () => (random() < 0.05 ? null : number()));
    if (r < 0.8) return range(Math.floor(random() * 5), () => value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = 0; i < 4; i++) o[`k${i}`] = value(depth + 1);
    return o;
  };
  for (let i = 0; i < 300; i++) {
    const doc = value(0);
    const text = JSON.stringify(doc);
    const ours = parseKeepingNumberLists(text, 8);
    assert.deepEqual(expand(ours), JSON.parse(text));
    for (const list of lists(ours)) {
      assert.equal((JSON.parse(list.text) as unknown[]).length, list.length);
      assert.equal(list.copyable, true);
    }
  }
});

test('nesting deeper than the reader goes is left to JSON.parse', () => {
  const depth = 100_000;
  const text = '['.repeat(depth) + ']'.repeat(depth);
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch (err) {
    expected = err;
  }
  if (expected instanceof Error) assert.throws(() => parseKeepingNumberLists(text));
  else assert.ok(Array.isArray(parseKeepingNumberLists(text)));
});

test('numbers() gives the doubles JSON.parse gives (NaN for null), by the fast way or the general one', () => {
  const expected = (text: string): number[] => (JSON.parse(text) as (number | null)[]).map((x) => (x === null ? NaN : x));
  const check = (text: string): void => {
    const list = parseKeepingNumberLists(text, 1);
    assert.ok(list instanceof JsonNumberList, text);
    const got = Array.from(list.numbers());
    const want = expected(text);
    assert.equal(got.length, want.length, text);
    want.forEach((w, i) => assert.ok(Object.is(got[i], w), `${text}: element ${i} is ${got[i]}, JSON.parse says ${w}`));
  };
  // plain decimals (the fast way), and lists that need the general one
  check('[1764547200.1,1764547200.2,null,0,-0,-0.0,0.000123,123456789012345,-7.25]');
  check('[9007199254740991,9007199254740993,1.5]'); // digits beyond 2^53
  check('[1e5,2.5E-3,1764547200.1]'); // exponents
  check('[0.1234567890123456789012345]'); // more decimals than exact powers of ten
  check('[ 1 , 2 ]'); // blanks: not copyable
  let seed = 3;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let n = 0; n < 200; n++) {
    const scale = 10 ** Math.floor(random() * 10);
    const values = Array.from({ length: 50 }, () => (random() < 0.05 ? null : Math.round((random() - 0.4) * 2e9 * scale) / scale));
    check(JSON.stringify(values));
    check(JSON.stringify(values.map((v) => (v === null ? v : v + random() * 1e-3)))); // float noise: 16-17 digits
  }
  const list = parseKeepingNumberLists('[1.5,2.5]', 1) as JsonNumberList;
  assert.equal(list.numbers(), list.numbers(), 'read once');
});

test('bytes read as TextDecoder and JSON.parse read them: any UTF-8, bytes that are not, a BOM; kept lists are views of them', () => {
  const decoder = new TextDecoder();
  const docs = [
    Buffer.from('{"a":"é ✓ 😀","b":[1,2,3,4],"c":"\\u00e9\\ud83d\\ude00"}'),
    Buffer.concat([Buffer.from('{"bad":"'), Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82]), Buffer.from('","k":[5,6,7,8]}')]),
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('[1,2,3,4]')]), // a BOM, which TextDecoder drops
    Buffer.concat([Buffer.from('{"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('":[1,2,3,4]}')]), // an encoded lone surrogate as a key
  ];
  for (const bytes of docs) {
    const ours = parseKeepingNumberLists(bytes, 4);
    assert.deepEqual(expand(ours), JSON.parse(decoder.decode(bytes)), bytes.toString('hex'));
  }
  const message = Buffer.from('[50,7,{},[{"t":[1.5,2.5,3.5,4.5]}]]');
  const list = ((parseKeepingNumberLists(message, 4) as unknown[])[3] as { t: JsonNumberList }[])[0]!.t;
  assert.equal(list.bytes.buffer, message.buffer, 'a view of the message, not a copy');
  assert.equal(list.text, '[1.5,2.5,3.5,4.5]');
  assert.throws(() => parseKeepingNumberLists(Buffer.from('[1,2')), SyntaxError);
});
