// The event-stream parser the monitor reads the bridge's live stream with.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseParser } from '../../web/src/sse.js';

test('events with names and data, comments and unknown fields ignored', () => {
  const p = new SseParser();
  const events = p.push(': sisock live stream\nretry: 3000\n\nevent: hello\ndata: {"a":1}\n\nid: 7\ndata: plain\n\n');
  assert.deepEqual(events, [
    { event: 'hello', data: '{"a":1}' },
    { event: 'message', data: 'plain' },
  ]);
});

test('events split anywhere across chunks, CRLF and CR line ends, multi-line data', () => {
  const text = '\uFEFFevent: samples\r\ndata: one\r\ndata:two\r\n\r\nevent: x\rdata: y\r\r';
  for (let cut = 0; cut <= text.length; cut++) {
    const p = new SseParser();
    const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
    assert.deepEqual(events, [
      { event: 'samples', data: 'one\ntwo' },
      { event: 'x', data: 'y' },
    ], `cut at ${cut}`);
  }
});

test('a block without data dispatches nothing; an empty data line dispatches an empty string', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('event: nothing\n\ndata\n\n'), [{ event: 'message', data: '' }]);
  // an unfinished event waits for its blank line
  assert.deepEqual(p.push('event: later\ndata: 1\n'), []);
  assert.deepEqual(p.push('\n'), [{ event: 'later', data: '1' }]);
});
