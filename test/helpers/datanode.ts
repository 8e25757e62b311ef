// Data nodes in tests: a real router in this process, data
// nodes put on it with the real DataNodeServer, consumers that call them
// through the router like any client would.
import { WampClient } from '../../src/client/client.js';
import { DataNodeServer } from '../../src/datanode/server.js';
import type { DataNodeSource } from '../../src/datanode/source.js';
import type { DataReply, FieldsReply } from '../../src/protocol/types.js';
import { dataNodeProcedures } from '../../src/protocol/uris.js';
import { startRouter, TEST_TLS, type RouterUnderTest } from './router.js';

export { startRouter, TEST_TLS, type RouterUnderTest };

/** Puts `source` on the router as a data node (secure port, WAMP-CRA user server). */
export async function serveNode(router: RouterUnderTest, source: DataNodeSource, maxPoints: number | null = null): Promise<DataNodeServer> {
  const server = new DataNodeServer({
    source,
    connection: { url: router.tlsUrl, realm: router.realm, ca: router.ca, auth: { method: 'wampcra', authid: 'server', secret: router.secrets.server }, reconnect: false },
    maxPoints,
    claimTimeout: 0,
    announceRetry: 60_000,
  });
  await server.start();
  return server;
}

/** An anonymous consumer on the open port. */
export async function consumer(router: RouterUnderTest): Promise<WampClient> {
  const c = new WampClient({ url: router.openUrl, realm: router.realm, reconnect: false });
  await c.start();
  return c;
}

export async function getFields(c: WampClient, node: string, start: number, end: number): Promise<FieldsReply> {
  const r = await c.call(dataNodeProcedures(node).getFields, [start, end], undefined, { timeout: 20_000 });
  return r.args[0] as FieldsReply;
}

export async function getData(
  c: WampClient,
  node: string,
  fields: string[],
  start: number,
  end: number,
  minStride?: number,
  asKeyword = false,
): Promise<DataReply> {
  const args: unknown[] = [fields, start, end];
  if (minStride !== undefined && !asKeyword) args.push(minStride);
  const kwargs = minStride !== undefined && asKeyword ? { min_stride: minStride } : undefined;
  const r = await c.call(dataNodeProcedures(node).getData, args, kwargs, { timeout: 20_000 });
  return r.args[0] as DataReply;
}

/** the points bound that min_stride sets (span / stride, plus the library's bucket-edge allowance) */
export function strideBound(t: number[], minStride: number): number {
  return t.length < 2 ? t.length : Math.ceil((t[t.length - 1]! - t[0]!) / minStride) + 1 + 8;
}
