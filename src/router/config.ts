// The router's configuration model: what the router itself runs on. Files
// (our own format, or crossbar's config.json) are turned into this by the
// loaders in config-file.ts and crossbar-config.ts; the router never reads
// files itself except for what is named here as a path.
import type { MatchPolicy } from '../wamp/uri.js';

export type Action = 'call' | 'register' | 'publish' | 'subscribe';

export interface Permission {
  /** URI or URI pattern; "" with prefix matching matches everything */
  uri: string;
  match: MatchPolicy;
  allow: Partial<Record<Action, boolean>>;
  /** disclose the caller's / publisher's identity to callees / subscribers */
  disclose?: { caller?: boolean; publisher?: boolean };
}

export interface RoleConfig {
  name: string;
  permissions: Permission[];
}

export interface RealmConfig {
  name: string;
  roles: RoleConfig[];
}

export interface WampCraUser {
  /** the secret; for salted users the base64 key derived from the secret (crossbar's convention) */
  secret: string;
  role: string;
  salt?: string;
  iterations?: number;
  keylen?: number;
}

export interface TicketPrincipal {
  ticket: string;
  role: string;
}

/** Authentication methods a WebSocket service accepts. None given: anonymous as role "anonymous". */
export interface TransportAuth {
  anonymous?: { role: string };
  ticket?: { principals: Record<string, TicketPrincipal> };
  wampcra?: { users: Record<string, WampCraUser> };
}

export interface WebSocketOptions {
  /** largest WebSocket message accepted, bytes (0: the router's limit) */
  maxMessageSize?: number;
  /** send a WebSocket ping after this many ms of silence (0: never) */
  autoPingInterval?: number;
  /** drop the connection when a ping gets no pong in this many ms */
  autoPingTimeout?: number;
  /** bytes of random payload in each ping (crossbar's auto_ping_size) */
  autoPingSize?: number;
  /** ms a client has to complete the WAMP opening handshake (HELLO .. WELCOME) */
  openHandshakeTimeout?: number;
  /** ms to wait for the peer's GOODBYE or close frame when closing */
  closeHandshakeTimeout?: number;
  /** refuse clients that offer no WAMP subprotocol (default true; false: assume wamp.2.json) */
  requireSubprotocol?: boolean;
}

export interface WebSocketService {
  type: 'websocket';
  /** subprotocols offered, e.g. ["wamp.2.json", "wamp.2.msgpack"] (default: all we speak) */
  subprotocols?: string[];
  auth?: TransportAuth;
  options?: WebSocketOptions;
}

/** Crossbar's HTTP bridge caller: POST {procedure, args, kwargs} -> {args, kwargs}. */
export interface CallerService {
  type: 'caller';
  realm: string;
  role: string;
  options?: { postBodyLimit?: number; callTimeout?: number };
}

/** Crossbar's HTTP bridge publisher: POST {topic, args, kwargs} -> {id}. */
export interface PublisherService {
  type: 'publisher';
  realm: string;
  role: string;
  options?: { postBodyLimit?: number };
}

export type PathService = WebSocketService | CallerService | PublisherService;

export interface TlsConfig {
  /** PEM text of the private key */
  key: string;
  /** PEM text of the certificate (chain) */
  cert: string;
  /** PEM text of CA certificates: when set, clients must present a certificate issued by one of them */
  ca?: string;
}

export interface ListenerConfig {
  /** a name for logs, e.g. "tls" or "open" */
  name?: string;
  host: string;
  /** 0 picks a free port */
  port: number;
  tls?: TlsConfig;
  /**
   * Services by path, without the leading slash (e.g. "ws", "call").
   * The key "*" serves a WebSocket on every path (crossbar's bare websocket transport).
   */
  paths: Record<string, PathService>;
}

export interface RouterLimits {
  /** largest WAMP message accepted, bytes (default 64 MiB) */
  maxMessageSize: number;
  /** bytes that may wait in one session's send queue before it is disconnected as a slow consumer */
  maxQueuedBytes: number;
  /** ms a session has to answer a GOODBYE when the router closes it */
  goodbyeTimeout: number;
}

export interface RouterConfig {
  realms: RealmConfig[];
  listeners: ListenerConfig[];
  limits?: Partial<RouterLimits>;
}

export const DEFAULT_LIMITS: RouterLimits = {
  maxMessageSize: 64 * 1024 * 1024,
  maxQueuedBytes: 128 * 1024 * 1024,
  goodbyeTimeout: 2000,
};

export const DEFAULT_WEBSOCKET_OPTIONS: Required<WebSocketOptions> = {
  maxMessageSize: 0,
  autoPingInterval: 0,
  autoPingTimeout: 0,
  autoPingSize: 4,
  openHandshakeTimeout: 10_000,
  closeHandshakeTimeout: 1000,
  requireSubprotocol: true,
};
