// The baseline: a bare `ws` server that relays frames without parsing them,
// the least work any router can do. Paths: /caller <-> /callee (frames go
// across as they are), /pub -> every /sub. Run as its own process; prints
// its port on stdout.
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false, handleProtocols: (p) => [...p][0] ?? false });
let caller: WebSocket | undefined;
let callee: WebSocket | undefined;
const subscribers = new Set<WebSocket>();

// Writes are batched per tick exactly as the router batches them (one writev
// for all frames sent while handling one read), so the baseline is not
// slowed by system calls the router avoids.
const corked = new Set<Socket>();
const flush = (): void => {
  for (const s of corked) s.uncork();
  corked.clear();
};
function relay(to: WebSocket | undefined, data: Buffer, binary: boolean): void {
  if (to === undefined) return;
  const socket = (to as unknown as { _socket: Socket })._socket;
  if (!corked.has(socket)) {
    if (corked.size === 0) process.nextTick(flush);
    corked.add(socket);
    socket.cork();
  }
  to.send(data, { binary });
}

wss.on('connection', (ws, req) => {
  const path = req.url ?? '/';
  ws.on('message', (data: Buffer, isBinary) => {
    if (path === '/caller') relay(callee, data, isBinary);
    else if (path === '/callee') relay(caller, data, isBinary);
    else if (path === '/pub') for (const s of subscribers) relay(s, data, isBinary);
  });
  if (path === '/caller') caller = ws;
  else if (path === '/callee') callee = ws;
  else if (path === '/sub') {
    subscribers.add(ws);
    ws.on('close', () => subscribers.delete(ws));
  }
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`relay listening on ${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => process.exit(0));
