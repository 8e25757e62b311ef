// The loopback floor: a bare TCP server that echoes what it reads, in its
// own process, so the bench can time a round trip between two Node
// processes with no WebSocket and no WAMP at all. Prints its port on stdout.
import { createServer } from 'node:net';

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('data', (data) => socket.write(data));
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  console.log(`echo listening on ${typeof addr === 'object' && addr ? addr.port : 0}`);
});
process.on('SIGTERM', () => process.exit(0));
