// WebSocket transport: one HTTP or HTTPS server per listener, with services
// by path. WebSocket paths negotiate a WAMP subprotocol and hand each
// connection to the router as a session; HTTP paths (the bridge services)
// are handed to their handlers. This module moves frames; it knows nothing
// of routing.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from 'pino';
import { SERIALIZERS, type Serializer } from '../../wamp/serializers.js';
import { authMethods } from '../auth/index.js';
import { DEFAULT_WEBSOCKET_OPTIONS, type ListenerConfig, type PathService, type WebSocketOptions, type WebSocketService } from '../config.js';
import type { Connection, TransportInfo } from '../connection.js';
import type { ServiceContext } from '../session.js';

/** What the transport needs from the router. */
export interface TransportHost {
  readonly log: Logger;
  readonly maxMessageSize: number;
  /** a new connection: returns the callbacks for its messages and its end */
  openSession(connection: Connection, service: ServiceContext): { receive(data: Buffer, binaryFrame: boolean): void; closed(): void };
}

/** An HTTP service on a path (the bridge services register here). */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface WsService {
  subprotocols: readonly string[];
  context: ServiceContext;
  wss: WebSocketServer;
  /** the largest message taken from a peer, and so sent to one */
  maxPayload: number;
}

const TEXT = { binary: false, compress: false } as const;
const BINARY = { binary: true, compress: false } as const;

/** The socket under a ws WebSocket (ws keeps it in a private field). */
function socketOf(ws: WebSocket): Socket | undefined {
  return (ws as unknown as { _socket?: Socket })._socket;
}

class WsConnection implements Connection {
  private readonly socket: Socket | undefined;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  constructor(
    private readonly ws: WebSocket,
    readonly serializer: Serializer,
    readonly info: TransportInfo,
    readonly maxMessageSize: number,
  ) {
    this.socket = socketOf(ws);
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(payload: string | Buffer): void {
    if (this.ws.readyState !== 1) return;
    // Hold the socket's writes until the end of this tick: every message sent
    // while handling one batch of incoming frames leaves in a single writev
    // instead of one system call each (the main cost under load).
    if (!this.corked && this.socket !== undefined) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(payload, this.serializer.binary ? BINARY : TEXT);
  }

  close(code: number, reason: string): void {
    if (this.ws.readyState <= 1) this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

function peerOf(socket: Socket): string {
  const family = socket.remoteFamily === 'IPv6' ? 'tcp6' : 'tcp4';
  return `${family}:${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
}

export interface ListenerAddress {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  /** WebSocket URLs of this listener, e.g. ws://127.0.0.1:8001/ws */
  urls: string[];
  /** URLs of its HTTP services, e.g. http://127.0.0.1:8001/call */
  httpUrls: string[];
}

export class WebSocketListener {
  private readonly server: Server;
  private readonly wsServices = new Map<string, WsService>();
  private readonly httpServices = new Map<string, HttpHandler>();
  private readonly sockets = new Set<WebSocket>();
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  readonly name: string;

  constructor(
    readonly config: ListenerConfig,
    private readonly host: TransportHost,
    /** makes HTTP handlers for non-WebSocket services; undefined: they are refused */
    httpServiceFactory?: (service: PathService, path: string) => HttpHandler | undefined,
  ) {
    this.name = config.name ?? `${config.tls ? 'wss' : 'ws'}:${config.port}`;
    const tls = config.tls;
    this.server = tls
      ? createHttpsServer({
          key: tls.key,
          cert: tls.cert,
          ...(tls.ca ? { ca: tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
        })
      : createHttpServer();
    for (const [path, service] of Object.entries(config.paths)) {
      if (service.type === 'websocket') this.wsServices.set(path, this.makeWsService(service));
      else {
        const handler = httpServiceFactory?.(service, path);
        if (handler) this.httpServices.set(path, handler);
      }
    }
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('request', (req, res) => this.onRequest(req, res));
    this.server.on('clientError', (err, socket) => {
      this.host.log.debug({ err: err.message, listener: this.name }, 'bad HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server.on('tlsClientError', (err) => this.host.log.info({ err: err.message, listener: this.name }, 'TLS handshake failed'));
  }

  private makeWsService(service: WebSocketService): WsService {
    const options: Required<WebSocketOptions> = { ...DEFAULT_WEBSOCKET_OPTIONS, ...stripUndefined(service.options ?? {}) };
    const maxPayload = options.maxMessageSize > 0 ? options.maxMessageSize : this.host.maxMessageSize;
    const subprotocols = service.subprotocols ?? [...SERIALIZERS.keys()];
    for (const p of subprotocols) if (!SERIALIZERS.has(p)) throw new Error(`unknown WAMP subprotocol '${p}'`);
    const wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
      handleProtocols: (_offered, req) => this.chosen.get(req) ?? false,
    });
    return { subprotocols, context: { authMethods: authMethods(service.auth), options }, wss, maxPayload };
  }

  private pathOf(req: IncomingMessage): string {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return (q >= 0 ? url.slice(0, q) : url).replace(/^\/+/, '').replace(/\/+$/, '');
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = this.pathOf(req);
    const service = this.wsServices.get(path) ?? this.wsServices.get('*');
    if (service === undefined) {
      rejectUpgrade(socket, 404, `no WebSocket service at /${path}`);
      return;
    }
    const header = req.headers['sec-websocket-protocol'];
    const offered = header === undefined ? [] : header.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    let protocol = offered.find((p) => service.subprotocols.includes(p));
    if (protocol === undefined) {
      if (offered.length === 0 && !service.context.options.requireSubprotocol) {
        protocol = 'wamp.2.json';
      } else {
        this.host.log.info({ listener: this.name, offered, peer: peerOf(req.socket) }, 'WebSocket refused: no supported WAMP subprotocol');
        rejectUpgrade(socket, 400, `no supported WAMP subprotocol; this router speaks ${service.subprotocols.join(', ')}`);
        return;
      }
    }
    this.chosen.set(req, protocol);
    const serializer = SERIALIZERS.get(protocol)!;
    service.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, service, serializer));
  }

  private accept(ws: WebSocket, req: IncomingMessage, service: WsService, serializer: Serializer): void {
    this.sockets.add(ws);
    const info: TransportInfo = {
      type: 'websocket',
      protocol: serializer.protocol,
      peer: peerOf(req.socket),
      tls: this.config.tls !== undefined,
      listener: this.name,
    };
    const session = this.host.openSession(new WsConnection(ws, serializer, info, service.maxPayload), service.context);
    const options = service.context.options;
    let pingTimer: NodeJS.Timeout | undefined;
    let pongTimer: NodeJS.Timeout | undefined;
    if (options.autoPingInterval > 0) {
      pingTimer = setInterval(() => {
        if (pongTimer !== undefined) return;
        ws.ping(randomBytes(Math.max(0, Math.min(options.autoPingSize, 125))));
        if (options.autoPingTimeout > 0) {
          pongTimer = setTimeout(() => {
            this.host.log.info({ peer: info.peer }, 'no answer to a WebSocket ping: dropping the connection');
            ws.terminate();
          }, options.autoPingTimeout);
        }
      }, options.autoPingInterval);
      ws.on('pong', () => {
        if (pongTimer !== undefined) clearTimeout(pongTimer);
        pongTimer = undefined;
      });
    }
    ws.on('message', (data: Buffer, isBinary: boolean) => session.receive(data, isBinary));
    ws.on('error', (err) => {
      // e.g. a message over the size limit or a malformed frame: ws closes the connection itself
      this.host.log.warn({ peer: info.peer, err: err.message }, 'WebSocket error: closing the connection');
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (pingTimer !== undefined) clearInterval(pingTimer);
      if (pongTimer !== undefined) clearTimeout(pongTimer);
      session.closed();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = this.pathOf(req);
    const handler = this.httpServices.get(path);
    if (handler !== undefined) {
      handler(req, res);
      return;
    }
    const isWs = this.wsServices.has(path) || this.wsServices.has('*');
    const text = isWs ? 'this path serves WAMP over WebSocket only\n' : 'not found\n';
    res.writeHead(isWs ? 426 : 404, { 'content-type': 'text/plain', ...(isWs ? { upgrade: 'websocket' } : {}) });
    res.end(text);
  }

  listen(): Promise<ListenerAddress> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.config.port, this.config.host, () => {
        this.server.off('error', onError);
        resolve(this.address());
      });
    });
  }

  address(): ListenerAddress {
    const addr = this.server.address() as AddressInfo;
    const scheme = this.config.tls ? 'wss' : 'ws';
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const paths = [...this.wsServices.keys()].map((p) => (p === '*' ? 'ws' : p));
    return {
      name: this.name,
      host: addr.address,
      port: addr.port,
      tls: this.config.tls !== undefined,
      urls: paths.map((p) => `${scheme}://${host}:${addr.port}/${p}`),
      httpUrls: [...this.httpServices.keys()].map((p) => `${this.config.tls ? 'https' : 'http'}://${host}:${addr.port}/${p}`),
    };
  }

  private serverClosed: Promise<void> | undefined;

  /** Stops accepting connections; resolves once the server has no connection left. */
  stopAccepting(): Promise<void> {
    this.serverClosed ??= new Promise<void>((resolve) => this.server.close(() => resolve()));
    return this.serverClosed;
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Drops whatever is still connected and closes the server. */
  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    const closed = this.stopAccepting();
    this.server.closeAllConnections();
    await closed;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
