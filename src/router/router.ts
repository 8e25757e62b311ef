// The router: realms and listeners. It creates a session for each new
// connection, owns the set of session ids, and shuts down gracefully
// (GOODBYE to every client) when asked.
import type { Logger } from 'pino';
import { silentLogger } from '../log/logger.js';
import { DEFAULT_LIMITS, type PathService, type RouterConfig, type RouterLimits } from './config.js';
import type { Connection } from './connection.js';
import { freshId } from './ids.js';
import { Realm } from './realm.js';
import { RouterSession, type ServiceContext, type SessionHost } from './session.js';
import { WebSocketListener, type HttpHandler, type ListenerAddress, type TransportHost } from './transport/websocket.js';
import { WampErrors } from '../wamp/messages.js';
import { httpBridgeService } from './http-bridge.js';

export interface RouterOptions {
  logger?: Logger;
  /** makes the HTTP handler of a non-WebSocket path service; default: the HTTP bridge (http-bridge.ts) */
  httpServices?: (router: Router, service: PathService, path: string) => HttpHandler | undefined;
}

export class Router implements SessionHost, TransportHost {
  readonly log: Logger;
  readonly limits: RouterLimits;
  private readonly realms = new Map<string, Realm>();
  private readonly sessionIds = new Set<number>();
  private readonly sessions = new Set<RouterSession>();
  private readonly listeners: WebSocketListener[] = [];
  private addresses: ListenerAddress[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    readonly config: RouterConfig,
    options: RouterOptions = {},
  ) {
    this.log = options.logger ?? silentLogger;
    this.limits = { ...DEFAULT_LIMITS, ...config.limits };
    for (const r of config.realms) {
      if (this.realms.has(r.name)) throw new Error(`realm '${r.name}' is configured twice`);
      this.realms.set(r.name, new Realm(r, this.log));
    }
    const factory = options.httpServices ?? httpBridgeService;
    for (const l of config.listeners) {
      this.listeners.push(new WebSocketListener(l, this, factory && ((service, path) => factory(this, service, path))));
    }
  }

  get maxMessageSize(): number {
    return this.limits.maxMessageSize;
  }

  realm(name: string): Realm | undefined {
    return this.realms.get(name);
  }

  allocateSessionId(): number {
    const id = freshId(this.sessionIds);
    this.sessionIds.add(id);
    return id;
  }

  releaseSessionId(id: number): void {
    this.sessionIds.delete(id);
  }

  openSession(connection: Connection, service: ServiceContext): { receive(data: Buffer, binaryFrame: boolean): void; closed(): void } {
    const session = new RouterSession(this, connection, service);
    this.sessions.add(session);
    return {
      receive: (data, binaryFrame) => session.receive(data, binaryFrame),
      closed: () => {
        this.sessions.delete(session);
        session.transportClosed();
      },
    };
  }

  /** Opens every listener; resolves to where each one listens. */
  async start(): Promise<ListenerAddress[]> {
    try {
      this.addresses = [];
      for (const l of this.listeners) this.addresses.push(await l.listen());
    } catch (err) {
      await Promise.all(this.listeners.map((l) => l.close()));
      throw err;
    }
    for (const a of this.addresses) this.log.info({ listener: a.name, urls: a.urls }, 'listening');
    return this.addresses;
  }

  listening(): ListenerAddress[] {
    return this.addresses;
  }

  /**
   * Graceful shutdown: stop accepting, send GOODBYE (wamp.close.system_shutdown)
   * to every session, wait for the answers (at most the goodbye timeout),
   * then drop what is left.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.log.info({ sessions: this.sessions.size }, 'router shutting down');
    const stopped = Promise.all(this.listeners.map((l) => l.stopAccepting()));
    for (const s of this.sessions) s.kill(WampErrors.systemShutdown, 'the router is shutting down');
    const deadline = Date.now() + this.limits.goodbyeTimeout + 200;
    while (this.listeners.some((l) => l.openConnections > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(this.listeners.map((l) => l.close()));
    await stopped;
    this.log.info('router stopped');
  }
}
