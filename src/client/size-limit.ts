// The largest message a client sends. A router closes the whole connection
// when a message is over its limit (WebSocket close 1009): for a callee
// that would mean one caller asking for too much takes the callee off the
// router for every other caller. An answer over the limit is therefore
// turned into an ERROR for that one call, and the session goes on.
import { WampErrors } from '../wamp/messages.js';
import { bytesOverLimit } from '../wamp/size.js';
import type { CustomSerializer } from './client.js';

/** The WAMP URI of a payload over a transport's size limit. */
export const PAYLOAD_SIZE_EXCEEDED = WampErrors.payloadSizeExceeded;

const ERROR = 8;
const INVOCATION = 68;
const YIELD = 70;

export interface Oversized {
  /** WAMP message code of the message that was too large */
  type: number;
  requestId: unknown;
  bytes: number;
  /** whether it was replaced (an answer to a call) or sent anyway */
  replaced: boolean;
}

function sizeText(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

/**
 * A serializer that encodes as `inner` does and keeps answers to calls
 * (YIELD, and ERROR of an INVOCATION) within `limit` bytes: one over it is
 * replaced by ERROR `wamp.error.payload_size_exceeded` for that call, which
 * says how large the answer was. Other messages go out as they are (the
 * router will refuse one that is too large); `onOversized` hears of every
 * case.
 */
export function limitAnswerSize(inner: CustomSerializer, limit: number, onOversized: (o: Oversized) => void): CustomSerializer {
  return {
    protocol: inner.protocol,
    isBinary: inner.isBinary,
    decode: (data) => inner.decode(data),
    encode(message: unknown) {
      const encoded = inner.encode(message);
      const bytes = bytesOverLimit(encoded, limit);
      if (bytes === 0 || !Array.isArray(message)) return encoded;
      const [type] = message as unknown[];
      const answer = type === YIELD ? message[1] : type === ERROR && message[1] === INVOCATION ? message[2] : undefined;
      if (answer === undefined) {
        onOversized({ type: type as number, requestId: message[1], bytes, replaced: false });
        return encoded;
      }
      onOversized({ type: type as number, requestId: answer, bytes, replaced: true });
      const what = type === YIELD ? 'the result' : 'the error';
      return inner.encode([
        ERROR,
        INVOCATION,
        answer,
        {},
        PAYLOAD_SIZE_EXCEEDED,
        [`${what} of this call would be a message of ${sizeText(bytes)}, over the ${sizeText(limit)} that the callee's connection carries`],
        { bytes, limit },
      ]);
    },
  };
}
