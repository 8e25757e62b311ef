// Crossbar's HTTP bridge services, for clients that speak HTTP instead of
// WebSocket (OCS's client_http):
// - caller: POST {"procedure", "args", "kwargs"} -> 200 {"args", "kwargs"},
//   or 200 {"error", "args", "kwargs"} when the call fails with a WAMP error;
// - publisher: POST {"topic", "args", "kwargs", "options"} -> 200 {"id"}.
// Each service runs one WAMP session inside the router, with the realm and
// role of its configuration, so authorization applies as for any client.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MessageType } from '../wamp/messages.js';
import { jsonSerializer, type IncomingMessage as WampMessageIn } from '../wamp/serializers.js';
import { isDict, ProtocolViolation, validateMessage } from '../wamp/validation.js';
import { DEFAULT_WEBSOCKET_OPTIONS, type CallerService, type PathService, type PublisherService } from './config.js';
import type { Connection, TransportInfo } from './connection.js';
import type { Router } from './router.js';
import { RouterSession } from './session.js';
import type { HttpHandler } from './transport/websocket.js';

type Reply = (status: number, body: unknown) => void;

/** A connection whose peer is this process: messages from the router go to a callback. */
class LocalConnection implements Connection {
  readonly serializer = jsonSerializer;
  readonly bufferedAmount = 0;
  closed = false;
  constructor(
    readonly info: TransportInfo,
    private readonly deliver: (message: unknown[]) => void,
  ) {}
  send(payload: string | Buffer): void {
    // JSON text, binary as NUL+base64 strings: exactly what goes back over HTTP
    this.deliver(JSON.parse(payload.toString()) as unknown[]);
  }
  close(): void {
    this.closed = true;
  }
  terminate(): void {
    this.closed = true;
  }
}

class BridgeSession {
  private session: RouterSession | undefined;
  private connection: LocalConnection | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, Reply>();

  constructor(
    private readonly router: Router,
    private readonly service: CallerService | PublisherService,
    private readonly path: string,
  ) {}

  /** The bridge's session, opened (again) when needed. */
  private current(): RouterSession | undefined {
    if (this.session !== undefined && this.connection !== undefined && !this.connection.closed && this.session.state === 'established') return this.session;
    for (const reply of this.pending.values()) reply(503, { error: 'wamp.error.unavailable', args: ['the bridge session was closed'], kwargs: {} });
    this.pending.clear();
    const realm = this.router.realm(this.service.realm);
    if (realm === undefined || !realm.authorizer.hasRole(this.service.role)) return undefined;
    const info: TransportInfo = { type: 'http', protocol: 'http', peer: 'internal', tls: false, listener: `/${this.path}` };
    this.connection = new LocalConnection(info, (m) => this.onMessage(m));
    this.session = new RouterSession(this.router, this.connection, { authMethods: new Map(), options: DEFAULT_WEBSOCKET_OPTIONS });
    this.session.openInternal(realm, { authid: `http-${this.service.type}`, authrole: this.service.role, authmethod: 'http', authprovider: 'static' });
    return this.session;
  }

  private onMessage(m: unknown[]): void {
    const code = m[0];
    if (code === MessageType.RESULT) {
      const reply = this.take(m[1]);
      reply?.(200, { args: m[3] ?? [], kwargs: m[4] ?? {} });
    } else if (code === MessageType.PUBLISHED) {
      this.take(m[1])?.(200, { id: m[2] });
    } else if (code === MessageType.ERROR) {
      this.take(m[2])?.(200, { error: m[4], args: m[5] ?? [], kwargs: m[6] ?? {} });
    }
  }

  private take(id: unknown): Reply | undefined {
    const reply = this.pending.get(id as number);
    this.pending.delete(id as number);
    return reply;
  }

  /** Sends one WAMP request (built from its request id) and replies when answered. */
  request(build: (requestId: number) => unknown[], reply: Reply): void {
    const session = this.current();
    if (session === undefined) {
      reply(500, { error: 'wamp.error.no_such_role', args: [`realm '${this.service.realm}' or role '${this.service.role}' of this bridge service does not exist`], kwargs: {} });
      return;
    }
    const id = (this.nextId = this.nextId >= 2 ** 53 ? 1 : this.nextId + 1);
    let data: Buffer;
    try {
      data = Buffer.from(JSON.stringify(build(id)));
    } catch {
      // JSON.parse takes nesting that JSON.stringify cannot write back
      reply(400, badRequest('the arguments cannot be passed on: nested too deep'));
      return;
    }
    // what the router refuses as a protocol violation (a payload nested too deep, ...) would
    // end this session, shared by every HTTP client of the path: it is this request's error alone
    let messages: WampMessageIn[];
    try {
      messages = jsonSerializer.decodeIncoming(data);
      for (const { message, payload } of messages) validateMessage(message, payload?.count);
    } catch (err) {
      if (!(err instanceof ProtocolViolation)) throw err;
      reply(400, badRequest(`the request cannot be passed on: ${err.message}`));
      return;
    }
    this.pending.set(id, reply);
    session.receiveDecoded(messages);
  }

  forget(reply: Reply): void {
    for (const [id, r] of this.pending) if (r === reply) this.pending.delete(id);
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        // answer at once; keep draining so the client can finish sending and read the answer
        if (chunks.length > 0) chunks.length = 0;
        resolve('too large');
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const badRequest = (message: string): unknown => ({ error: 'wamp.error.invalid_argument', args: [message], kwargs: {} });

/** The HTTP handler of a caller or publisher path service; undefined for other services. */
export function httpBridgeService(router: Router, service: PathService, path: string): HttpHandler | undefined {
  if (service.type !== 'caller' && service.type !== 'publisher') return undefined;
  const bridge = new BridgeSession(router, service, path);
  const limit = Math.min(service.options?.postBodyLimit || Infinity, router.limits.maxMessageSize);
  const callTimeout = service.type === 'caller' ? (service.options?.callTimeout ?? 0) : 0;
  return (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      send(res, 405, badRequest(`use POST with a JSON body`));
      return;
    }
    void readBody(req, limit).then(
      (body) => {
        if (body === 'too large') {
          res.setHeader('connection', 'close');
          send(res, 413, badRequest(`request body over ${limit} bytes`));
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch (err) {
          send(res, 400, badRequest(`the body is not JSON: ${(err as Error).message}`));
          return;
        }
        if (!isDict(json)) {
          send(res, 400, badRequest('the body must be a JSON object'));
          return;
        }
        const args = json.args ?? [];
        const kwargs = json.kwargs ?? {};
        if (!Array.isArray(args)) return send(res, 400, badRequest("'args' must be a list"));
        if (!isDict(kwargs)) return send(res, 400, badRequest("'kwargs' must be an object"));
        const uriKey = service.type === 'caller' ? 'procedure' : 'topic';
        const uri = json[uriKey];
        // a string that starts with NUL is binary in WAMP's JSON: as a URI it would be a protocol
        // violation that aborts the bridge's session, shared by every HTTP client of this path
        if (typeof uri !== 'string' || uri.startsWith('\u0000')) return send(res, 400, badRequest(`'${uriKey}' must be a URI string`));
        const reply: Reply = (status, out) => send(res, status, out);
        res.on('close', () => bridge.forget(reply));
        if (service.type === 'caller') {
          const options = callTimeout > 0 ? { timeout: callTimeout } : {};
          bridge.request((id) => [MessageType.CALL, id, options, uri, args, kwargs], reply);
        } else {
          const extra = isDict(json.options) ? json.options : {};
          bridge.request((id) => [MessageType.PUBLISH, id, { ...extra, acknowledge: true }, uri, args, kwargs], reply);
        }
        return undefined;
      },
      (err: Error) => {
        router.log.info({ err: err.message, path }, 'HTTP bridge request failed');
      },
    ).catch((err: unknown) => {
      // a bug of ours: answer and log it, keep the router running
      router.log.error({ err, path }, 'HTTP bridge request handling failed');
      send(res, 500, { error: 'wamp.error.runtime_error', args: ['internal router error'], kwargs: {} });
    });
  };
}
