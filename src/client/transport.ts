// The WebSocket our WAMP client library dials with: the `ws` package, with
// the TLS trust of the site (its own CA) and our message size limit. wampy
// constructs sockets itself with a browser-like signature, so we hand it a
// class with the options baked in.
import { WebSocket } from 'ws';
import type { SecureContextOptions } from 'node:tls';

export interface TransportOptions {
  /** PEM certificates to trust for wss:// (the site's CA); default: the system's */
  ca?: SecureContextOptions['ca'];
  /** largest message accepted, bytes */
  maxPayload?: number;
  /** ms to wait for the WebSocket opening handshake */
  handshakeTimeout?: number;
}

export type WebSocketClass = new (url: string | URL, protocols?: string | string[]) => WebSocket;

/** A WebSocket class whose instances carry `options`; `onCreate` sees each new socket. */
export function webSocketClass(options: TransportOptions, onCreate?: (ws: WebSocket) => void): WebSocketClass {
  return class SisockWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, {
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
        handshakeTimeout: options.handshakeTimeout ?? 10_000,
      });
      onCreate?.(this);
    }
  };
}
