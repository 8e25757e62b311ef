// Ports for servers that a test restarts on the same address. An ephemeral
// port (listen on 0) is a poor choice there: while the server is down, the
// kernel may hand the same number to an outgoing connection of any process
// (or to a client reconnecting to it, which then connects to itself), and
// the restart fails with EADDRINUSE. Ports below the kernel's ephemeral
// range are never handed out that way.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The kernel's range for ephemeral ports (Linux's default where it cannot be read). */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high)) return [low!, high!];
  } catch {
    // not Linux: fall through
  }
  return [32768, 60999];
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port of 127.0.0.1 that is free now and below the ephemeral range (so no
 * outgoing connection takes it), picked at random so that tests running in
 * parallel rarely pick the same one; 0 when the range leaves no room below.
 */
export async function restartablePort(exclude: number[] = []): Promise<number> {
  const low = 10_000;
  const high = Math.min(ephemeralRange()[0], 65_536);
  if (high - low < 1000) return 0;
  for (let tries = 0; tries < 50; tries++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (!exclude.includes(port) && (await isFree(port))) return port;
  }
  return 0;
}
