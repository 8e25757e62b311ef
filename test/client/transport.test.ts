import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { webSocketClass } from '../../src/client/transport.js';

/** A server that sends each new client a text message and a binary one. */
async function server(): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.send('[1,"é"]');
    ws.send(Buffer.from([1, 2, 3]));
  });
  const { port } = wss.address() as { port: number };
  return { url: `ws://127.0.0.1:${port}`, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

/** The data of the first two messages `onmessage` sees on a socket of `Socket`. */
async function firstTwo(Socket: ReturnType<typeof webSocketClass>, url: string): Promise<unknown[]> {
  const ws = new Socket(url);
  const seen: unknown[] = [];
  await new Promise<void>((resolve) => {
    ws.onmessage = (event) => {
      seen.push(event.data);
      if (seen.length === 2) resolve();
    };
  });
  ws.close();
  return seen;
}

test('text messages reach onmessage as the bytes that arrived when asked, as strings otherwise; binary ones alike', async () => {
  const s = await server();
  try {
    const [text, binary] = await firstTwo(webSocketClass({ textAsBytes: true }), s.url);
    assert.ok(Buffer.isBuffer(text));
    assert.equal((text as Buffer).toString('utf8'), '[1,"é"]');
    assert.deepEqual([...(binary as Buffer)], [1, 2, 3]);
    const [plain, binary2] = await firstTwo(webSocketClass({}), s.url);
    assert.equal(plain, '[1,"é"]');
    assert.deepEqual([...(binary2 as Buffer)], [1, 2, 3]);
  } finally {
    await s.close();
  }
});

test('onmessage set again replaces the handler, and null removes it', async () => {
  const s = await server();
  try {
    const Socket = webSocketClass({ textAsBytes: true });
    const ws: WebSocket = new Socket(s.url);
    const calls: string[] = [];
    const first = (): void => void calls.push('first');
    ws.onmessage = first;
    assert.equal(ws.onmessage, first);
    await new Promise<void>((resolve) => {
      ws.onmessage = () => {
        calls.push('second');
        if (calls.length === 2) resolve();
      };
    });
    assert.deepEqual(calls, ['second', 'second']);
    ws.onmessage = null;
    assert.equal(ws.onmessage, null);
    assert.equal(ws.listenerCount('message'), 0);
    ws.close();
  } finally {
    await s.close();
  }
});
