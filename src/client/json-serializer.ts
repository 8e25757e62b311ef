// The client's wamp.2.json serializer (wampy's shape). Like wampy's own, it
// reads messages as JSON.parse does, except the results of calls made with
// `numberLists: 'text'`, whose long lists of numbers stay as their text
// (JsonNumberList) for a caller that passes them on as JSON. Messages come
// as the socket's bytes (see transport.ts), so such a result is read from
// them without first becoming one large string.
import { parseKeepingNumberLists } from './json-number-lists.js';

/** A RESULT's head: its message code and request id. */
const RESULT_HEAD = /^\s*\[\s*50\s*,\s*(\d{1,16})\s*,/;
/** bytes enough for a RESULT's head (blanks aside) */
const HEAD_BYTES = 64;

/** Lists shorter than this are parsed anyway: their text is not worth keeping. */
const MIN_KEPT_LENGTH = 32;

const utf8 = new TextDecoder();

export class JsonSerializer {
  readonly protocol = 'json';
  readonly isBinary = false;
  /** request ids of calls whose results keep their number lists as text */
  private readonly textResults = new Set<number>();

  encode(data: unknown): string {
    return JSON.stringify(data);
  }

  decode(data: string | ArrayBuffer | Uint8Array): unknown {
    const message = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    if (this.textResults.size > 0) {
      const head = RESULT_HEAD.exec(typeof message === 'string' ? message.slice(0, HEAD_BYTES) : Buffer.from(message.buffer, message.byteOffset, Math.min(HEAD_BYTES, message.byteLength)).toString('latin1'));
      if (head && this.textResults.has(Number(head[1]))) return parseKeepingNumberLists(message, MIN_KEPT_LENGTH);
    }
    return JSON.parse(typeof message === 'string' ? message : utf8.decode(message)) as unknown;
  }

  /** The results of call `requestId` keep their number lists as text, until `forget`. */
  keepNumberListsOf(requestId: number): void {
    this.textResults.add(requestId);
  }

  forget(requestId: number): void {
    this.textResults.delete(requestId);
  }
}
