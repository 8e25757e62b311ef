// A minimal WAMP peer for benchmarks: raw `ws` plus our serializers, so
// that the client side costs the same whichever router (or relay) is
// measured, and as little as possible.
import WebSocket from 'ws';
import { SERIALIZERS, type Serializer } from '../../src/wamp/serializers.js';

export class WireClient {
  readonly serializer: Serializer;
  /** decoded messages, unless onFrame takes the raw frames */
  onMessage: (msg: unknown[]) => void = () => undefined;
  /** when set, frames are handed over undecoded (counting events costs nothing) */
  onFrame: ((data: Buffer) => void) | undefined;
  private constructor(
    readonly ws: WebSocket,
    protocol: string,
  ) {
    this.serializer = SERIALIZERS.get(protocol)!;
    // a reset after the measurement (connections are dropped, not closed) is expected
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      if (this.onFrame) this.onFrame(data);
      else for (const m of this.serializer.decode(data)) this.onMessage(m as unknown[]);
    });
  }

  static open(url: string, protocol: string): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocol, { perMessageDeflate: false });
      ws.once('open', () => resolve(new WireClient(ws, protocol)));
      ws.on('error', reject);
    });
  }

  send(msg: unknown[]): void {
    this.ws.send(this.serializer.encode(msg), { binary: this.serializer.binary });
  }

  /** Sends and resolves with the next message (for setup steps, not measured). */
  ask(msg: unknown[]): Promise<unknown[]> {
    return new Promise((resolve) => {
      this.onMessage = (m) => resolve(m);
      this.send(msg);
    });
  }

  async hello(realm: string): Promise<void> {
    const w = await this.ask([1, realm, { roles: { caller: {}, callee: {}, publisher: {}, subscriber: {} } }]);
    if (w[0] !== 2) throw new Error(`no WELCOME: ${JSON.stringify(w)}`);
  }

  /** Closes politely (some routers fail on abrupt disconnects under load); drops the connection after 1 s. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close();
    });
  }
}

const PLACEHOLDER = 0x7a5b3c1d;

/**
 * Pre-encodes `message` (whose slot 1 is the request id) once; the returned
 * function gives the frame for a given id by patching the bytes, so sending
 * costs the client almost nothing.
 */
export function frameMaker(serializer: Serializer, message: unknown[]): (id: number) => string | Buffer {
  const withPlaceholder = [message[0], PLACEHOLDER, ...message.slice(2)];
  const encoded = serializer.encode(withPlaceholder);
  if (typeof encoded === 'string') {
    const [head, tail] = encoded.split(String(PLACEHOLDER)) as [string, string];
    return (id) => head + id + tail;
  }
  const template = Buffer.from(encoded);
  const at = template.indexOf(Buffer.from([0xce, 0x7a, 0x5b, 0x3c, 0x1d]));
  if (at < 0) throw new Error('cannot find the id in the encoded template');
  return (id) => {
    const b = Buffer.from(template);
    b.writeUInt32BE(id, at + 1);
    return b;
  };
}

/** Message type and first id of a frame, read without decoding the rest (JSON or msgpack). */
export function readHead(binary: boolean, data: Buffer): [type: number, id1: number, id2: number] {
  if (!binary) {
    const m = /^\[(\d+),(\d+)(?:,(\d+))?/.exec(data.toString('latin1', 0, 64));
    if (m === null) throw new Error(`unexpected frame ${data.toString('utf8', 0, 80)}`);
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  }
  // fixarray header, positive fixint type, then up to two unsigned integers
  let pos = 2;
  const uint = (): number => {
    const b = data[pos]!;
    if (b < 0x80) {
      pos += 1;
      return b;
    }
    if (b === 0xcc) {
      pos += 2;
      return data[pos - 1]!;
    }
    if (b === 0xcd) {
      pos += 3;
      return data.readUInt16BE(pos - 2);
    }
    if (b === 0xce) {
      pos += 5;
      return data.readUInt32BE(pos - 4);
    }
    if (b === 0xcf || b === 0xd3) {
      pos += 9;
      return Number(data.readBigUInt64BE(pos - 8));
    }
    if (b === 0xcb) {
      pos += 9;
      return data.readDoubleBE(pos - 8);
    }
    return -1; // not an integer (e.g. a details map): not needed
  };
  const id1 = uint();
  const id2 = uint();
  return [data[1]!, id1, id2];
}
