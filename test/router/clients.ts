// WAMP clients we did not write (autobahn-js 22, wampy 8), connected the way
// the router tests need, plus a raw WebSocket for sending garbage.
import { Agent } from 'node:https';
import autobahn from 'autobahn';
import { Wampy } from 'wampy';
import { JsonSerializer } from 'wampy/JsonSerializer.js';
import { MsgpackSerializer } from 'wampy/MsgpackSerializer.js';
import { CborSerializer } from 'wampy/CborSerializer.js';
import { sign as wampcraSign } from 'wampy/wampcra.js';
import WebSocket from 'ws';
import { createRequire } from 'node:module';

// autobahn-js warns on the console about every closed connection; tests close many on purpose
(createRequire(import.meta.url)('autobahn/lib/log.js') as { warn: (...a: unknown[]) => void }).warn = () => undefined;

export type SerializerName = 'json' | 'msgpack' | 'cbor';

export interface AutobahnOptions {
  url: string;
  realm: string;
  serializer?: SerializerName;
  authid?: string;
  authmethods?: string[];
  /** WAMP-CRA secret (salted challenges are answered with derive_key) */
  secret?: string;
  /** ticket for ticket auth */
  ticket?: string;
  /** a signature to send whatever the challenge (bad-signature tests) */
  signature?: string;
  /** PEM CA to trust for wss */
  ca?: string;
}

export interface AutobahnClient {
  session: autobahn.Session;
  connection: autobahn.Connection;
  /** WELCOME details as autobahn reports them */
  details: Record<string, unknown>;
  /** resolves with (reason, details) when the connection closes */
  closed: Promise<{ reason: string; details: Record<string, unknown> }>;
  close(): Promise<void>;
}

function autobahnSerializer(name: SerializerName): unknown {
  const s = autobahn as unknown as { serializer: Record<string, new () => unknown> };
  if (name === 'msgpack') return new s.serializer.MsgpackSerializer!();
  if (name === 'cbor') return new s.serializer.CBORSerializer!();
  return new s.serializer.JSONSerializer!();
}

/** Connects with autobahn-js; rejects with the ABORT reason (e.g. wamp.error.not_authorized) when refused. */
export function connectAutobahn(o: AutobahnOptions): Promise<AutobahnClient> {
  const serializer = o.serializer ?? 'json';
  const options = {
    url: o.url,
    realm: o.realm,
    protocols: [`wamp.2.${serializer}`],
    serializers: [autobahnSerializer(serializer)],
    max_retries: 0,
    retry_if_unreachable: false,
    autoping_interval: 60_000,
    // autobahn passes `agent` to ws only from a transport's own options
    transports: [{ type: 'websocket', url: o.url, ...(o.ca ? { agent: new Agent({ ca: o.ca }) } : {}) }],
    ...(o.authid ? { authid: o.authid } : {}),
    ...(o.authmethods ? { authmethods: o.authmethods } : {}),
    onchallenge: (_session: autobahn.Session, method: string, extra: { challenge?: string; salt?: string; iterations?: number; keylen?: number }) => {
      if (o.signature !== undefined) return o.signature;
      if (method === 'ticket') return o.ticket ?? '';
      let key = o.secret ?? '';
      if (extra.salt) key = autobahn.auth_cra.derive_key(key, extra.salt, extra.iterations ?? 1000, extra.keylen ?? 32);
      return autobahn.auth_cra.sign(key, extra.challenge ?? '');
    },
  } as autobahn.IConnectionOptions;
  const connection = new autobahn.Connection(options);
  return new Promise((resolve, reject) => {
    let resolveClosed!: (v: { reason: string; details: Record<string, unknown> }) => void;
    const closed = new Promise<{ reason: string; details: Record<string, unknown> }>((r) => (resolveClosed = r));
    let opened = false;
    connection.onopen = (session, details: Record<string, unknown>) => {
      opened = true;
      resolve({
        session,
        connection,
        details,
        closed,
        close: async () => {
          if (connection.isOpen) connection.close();
          await closed;
        },
      });
    };
    connection.onclose = (reason, details: Record<string, unknown>) => {
      resolveClosed({ reason, details });
      if (!opened) {
        const err = new Error(`${String(details?.reason ?? reason)}: ${String(details?.message ?? '')}`) as Error & { reason?: unknown };
        err.reason = details?.reason ?? reason;
        reject(err);
      }
      return true; // no reconnect
    };
    connection.open();
  });
}

export interface WampyOptions {
  url: string;
  realm: string;
  serializer?: SerializerName;
  authid?: string;
  secret?: string;
  ca?: string;
  ticket?: string;
}

/** `ws` with the constructor signature wampy expects in Node. */
function wsFor(ca: string | undefined): unknown {
  return class extends WebSocket {
    constructor(url: string, protocols?: string[], _origin?: null, headers?: Record<string, string>, requestOptions?: Record<string, unknown>) {
      super(url, protocols, { ...(headers ? { headers } : {}), ...requestOptions, ...(ca ? { ca } : {}) });
    }
  };
}

/** Connects with wampy 8; rejects when the router refuses the session. */
export async function connectWampy(o: WampyOptions): Promise<Wampy> {
  const serializer =
    o.serializer === 'msgpack' ? new MsgpackSerializer() : o.serializer === 'cbor' ? new CborSerializer() : new JsonSerializer();
  const options: Record<string, unknown> = {
    realm: o.realm,
    ws: wsFor(o.ca),
    serializer,
    autoReconnect: false,
    uriValidation: 'loose',
  };
  if (o.secret !== undefined) {
    options.authid = o.authid;
    options.authmethods = ['wampcra'];
    options.onChallenge = wampcraSign(o.secret);
  } else if (o.ticket !== undefined) {
    options.authid = o.authid;
    options.authmethods = ['ticket'];
    options.onChallenge = () => o.ticket;
  }
  const client = new Wampy(o.url, options as ConstructorParameters<typeof Wampy>[1]);
  await client.connect();
  return client;
}

/** A raw WebSocket speaking a WAMP subprotocol, for sending what no library would. */
export class RawClient {
  readonly ws: WebSocket;
  private readonly queue: unknown[] = [];
  private waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(url: string, protocol: string | string[] = 'wamp.2.json', options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, protocol, options);
    this.ws.on('message', (data: Buffer, isBinary) => {
      const text = isBinary ? '' : data.toString('utf8');
      // batched JSON (record separators) stays text
      this.queue.push(isBinary ? data : text.includes('\u001e') ? text : JSON.parse(text));
      for (const w of this.waiters.splice(0)) w();
    });
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const w of this.waiters.splice(0)) w();
      });
    });
  }

  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.ws.readyState === WebSocket.OPEN) resolve();
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
  }

  send(data: unknown): void {
    this.ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data));
  }

  /** Next message received (parsed JSON for text frames); undefined when the connection closed. */
  async next(timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length === 0) {
      if (this.ws.readyState === WebSocket.CLOSED) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no message in time');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.queue.shift();
  }

  /** Opens a session: HELLO, expects WELCOME; returns the session id. */
  async hello(realm: string, details: Record<string, unknown> = {}): Promise<number> {
    this.send([1, realm, { roles: { caller: {}, callee: { features: { call_canceling: true, progressive_call_results: true } }, publisher: {}, subscriber: {} }, ...details }]);
    const welcome = (await this.next()) as unknown[];
    if (welcome?.[0] !== 2) throw new Error(`expected WELCOME, got ${JSON.stringify(welcome)}`);
    return welcome[1] as number;
  }

  close(): void {
    this.ws.close();
  }
}
