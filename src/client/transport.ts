// The WebSocket our WAMP client library dials with: the `ws` package, with
// the TLS trust of the site (its own CA) and our message size limit. wampy
// constructs sockets itself with a browser-like signature, so we hand it a
// class with the options baked in.
import { WebSocket, type RawData } from 'ws';
import type { SecureContextOptions } from 'node:tls';

export interface TransportOptions {
  /** PEM certificates to trust for wss:// (the site's CA); default: the system's */
  ca?: SecureContextOptions['ca'];
  /** largest message accepted, bytes */
  maxPayload?: number;
  /** ms to wait for the WebSocket opening handshake */
  handshakeTimeout?: number;
  /**
   * hand text messages to `onmessage` as the bytes that arrived (a Buffer,
   * valid UTF-8: ws checks) rather than as a string, for a serializer that
   * reads bytes
   */
  textAsBytes?: boolean;
}

export type WebSocketClass = new (url: string | URL, protocols?: string | string[]) => WebSocket;

type MessageHandler = (event: { data: unknown; type: 'message'; target: WebSocket }) => void;
/** an instance's `onmessage` handler and the listener that calls it */
const ON_MESSAGE = Symbol('onmessage');
type WithHandler = WebSocket & { [ON_MESSAGE]?: { handler: MessageHandler; listener: (data: RawData, isBinary: boolean) => void } };

/** A WebSocket class whose instances carry `options`; `onCreate` sees each new socket. */
export function webSocketClass(options: TransportOptions, onCreate?: (ws: WebSocket) => void): WebSocketClass {
  class SisockWebSocket extends WebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols, {
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
        handshakeTimeout: options.handshakeTimeout ?? 10_000,
      });
      onCreate?.(this);
    }
  }
  if (options.textAsBytes) {
    // ws's own `onmessage` turns every text message into a string first
    Object.defineProperty(SisockWebSocket.prototype, 'onmessage', {
      configurable: true,
      enumerable: true,
      get(this: WithHandler): MessageHandler | null {
        return this[ON_MESSAGE]?.handler ?? null;
      },
      set(this: WithHandler, handler: unknown) {
        const old = this[ON_MESSAGE];
        if (old) this.off('message', old.listener);
        delete this[ON_MESSAGE];
        if (typeof handler !== 'function') return;
        const listener = (data: RawData): void => (handler as MessageHandler).call(this, { data, type: 'message', target: this });
        this[ON_MESSAGE] = { handler: handler as MessageHandler, listener };
        this.on('message', listener);
      },
    });
  }
  return SisockWebSocket;
}
