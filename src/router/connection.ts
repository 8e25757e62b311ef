// What a session needs from its transport: a way to send an encoded message,
// how much is still queued, and how to close. Transports (WebSocket now,
// maybe rawsocket later) implement it and know nothing of routing.
import type { Serializer } from '../wamp/serializers.js';

export interface TransportInfo {
  type: string;
  /** negotiated subprotocol, e.g. wamp.2.json */
  protocol: string;
  /** e.g. tcp4:127.0.0.1:53122 */
  peer: string;
  /** whether the connection is encrypted */
  tls: boolean;
  /** the listener's name, e.g. "open" */
  listener?: string;
}

export interface Connection {
  readonly serializer: Serializer;
  readonly info: TransportInfo;
  /** bytes accepted by send() that have not reached the network yet */
  readonly bufferedAmount: number;
  /**
   * the largest message to send: what this transport takes from its peer
   * (peers use the same limit), or undefined for none
   */
  readonly maxMessageSize?: number;
  send(payload: string | Buffer): void;
  /** closes politely (close frame), after queued messages are sent */
  close(code: number, reason: string): void;
  /** drops the connection at once */
  terminate(): void;
}
