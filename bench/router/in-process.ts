// The router's own work per call, without sockets or WebSocket: a caller
// and a callee session fed pre-encoded frames in this process (CALL in,
// INVOCATION out, YIELD in, RESULT out). Machine load barely moves it, so it
// shows what the router code itself costs, apart from the kernel and `ws`.
import { pino } from 'pino';
import { Router } from '../../src/router/index.js';
import { authMethods } from '../../src/router/auth/index.js';
import { DEFAULT_WEBSOCKET_OPTIONS } from '../../src/router/config.js';
import type { Connection } from '../../src/router/connection.js';
import { SERIALIZERS } from '../../src/wamp/serializers.js';
import { frameMaker, readHead } from './wire-client.js';

const PROCEDURE = 'observatory.bench.echo';

/** Nanoseconds of CPU time the router spends per call (best of `rounds` rounds of `calls` calls), with the given subprotocol and payload. */
export function routerWorkPerCall(protocol: string, payload: unknown[], calls = 100_000, rounds = 3): number {
  const serializer = SERIALIZERS.get(protocol)!;
  const router = new Router(
    {
      realms: [{ name: 'bench', roles: [{ name: 'anonymous', permissions: [{ uri: '', match: 'prefix', allow: { call: true, register: true } }] }] }],
      listeners: [],
    },
    { logger: pino({ level: 'warn' }) },
  );
  const context = { authMethods: authMethods(undefined), options: DEFAULT_WEBSOCKET_OPTIONS };
  const asBuffer = (x: string | Buffer): Buffer => (typeof x === 'string' ? Buffer.from(x) : x);
  let toCallee: Buffer = Buffer.alloc(0);
  let toCaller: Buffer = Buffer.alloc(0);
  const connection = (deliver: (b: Buffer) => void): Connection => ({
    serializer,
    info: { type: 'bench', protocol, peer: 'in-process', tls: false },
    bufferedAmount: 0,
    send: (p) => deliver(asBuffer(p)),
    close: () => undefined,
    terminate: () => undefined,
  });
  const callee = router.openSession(connection((b) => (toCallee = b)), context);
  const caller = router.openSession(connection((b) => (toCaller = b)), context);
  const binary = serializer.binary;
  callee.receive(asBuffer(serializer.encode([1, 'bench', { roles: { callee: {} } }])), binary);
  caller.receive(asBuffer(serializer.encode([1, 'bench', { roles: { caller: {} } }])), binary);
  callee.receive(asBuffer(serializer.encode([64, 1, {}, PROCEDURE])), binary);
  // frames are made by patching ids into templates; that cost is measured apart and taken off
  const callFrame = frameMaker(serializer, [48, 0, {}, PROCEDURE, payload]);
  const yieldFrame = frameMaker(serializer, [70, 0, {}, payload]);
  let requestId = 0;
  const one = (): void => {
    caller.receive(asBuffer(callFrame(++requestId)), binary);
    callee.receive(asBuffer(yieldFrame(readHead(binary, toCallee)[1])), binary);
    if (readHead(binary, toCaller)[0] !== 50) throw new Error(`no RESULT: ${toCaller.toString('hex', 0, 40)}`);
  };
  const harness = (): void => {
    asBuffer(callFrame(++requestId));
    asBuffer(yieldFrame(readHead(binary, toCallee)[1]));
    readHead(binary, toCaller);
  };
  // CPU time, not wall time: other work on the machine then barely moves the figure
  const time = (f: () => void): number => {
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) f();
    const used = process.cpuUsage(before);
    return ((used.user + used.system) * 1000) / calls;
  };
  for (let i = 0; i < calls / 5; i++) one(); // warm-up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) best = Math.min(best, time(one) - time(harness));
  void router.close();
  return best;
}
