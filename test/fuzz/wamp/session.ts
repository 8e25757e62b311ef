// Runs one fuzz session script against the router over a raw WebSocket and
// judges the router's behaviour with a model of the WAMP session written
// from the specification (spec.ts):
//
// - a frame the router cannot decode, a message of the wrong shape, or a
//   message out of place (a request before WELCOME, a message only routers
//   send, ERROR for anything but an INVOCATION) must end the session: ABORT
//   wamp.error.protocol_violation, or a WebSocket close with a status code
//   when the frame itself is refused (1007 bad UTF-8, 1009 too big);
// - every well-formed request that expects an answer (SUBSCRIBE, REGISTER,
//   UNSUBSCRIBE, UNREGISTER, PUBLISH with acknowledge, CALL) gets exactly
//   one, an ERROR when the request is certainly wrong (bad URI, forbidden to
//   an anonymous session by the default configuration); answers come only
//   for requests that were made;
// - everything the router sends is a well-formed router message;
// - the session never hangs: after each frame the runner sends a probe
//   (a SUBSCRIBE) and waits for its answer or the session's end.
//
// Handshake messages (HELLO, AUTHENTICATE, GOODBYE) travel alone and the
// runner waits for their outcome, so the model always knows the state. When
// the model cannot predict the router (a request id reused while in flight,
// a value the spec and decoders disagree on), it says so and only the
// coarse checks apply for the rest of the session.
import { isUtf8 } from 'node:buffer';
import WebSocket from 'ws';
import { MAX_PAYLOAD_NESTING } from '../../../src/wamp/index.js';
import { batchFrames, decodeFrame, encodeMessage, nesting, type Protocol } from './codec.js';
import { Ref, type GeneratorContext, type Script, type ScriptMessage } from './generator.js';
import { anonymousMay, clientShape, isPlainDict, looseUri, routerShape, ROUTER_ONLY, T, type Action } from './spec.js';
import { mutateBytes, splice } from '../bytes.js';
import type { Rng } from '../random.js';
import { describe } from '../describe.js';

export interface SessionReport {
  kind: string;
  /** ms from connecting to the end */
  ms: number;
  protocol: string;
  /** WAMP messages put on the wire */
  sent: number;
  /** of them, those the router certainly processed (answered probe, handshake answer, or up to the one that ended the session) */
  processed: number;
  /** how it ended: ABORT from the router, closed by the router, or still healthy when we left */
  end: 'abort' | 'closed' | 'alive';
  abortReason?: string;
  /** the ABORT's message */
  abortMessage?: string;
  closeCode?: number;
  /** the session sent something the model calls bad (malformed, out of place, certainly refused) */
  bad: boolean;
  /** errors the router answered with */
  errors: number;
  /** what the model found wrong; empty when the router behaved */
  failures: string[];
  /** the script's frames, shortened, for a failure report */
  transcript: string[];
  /** the last frames sent, as hex (cut to 4 kB each), to replay a case that depends on timing */
  lastFrames: string[];
}

interface Expectation {
  key: string;
  seq: number;
  /** must be answered (else the answer may or may not come: a call to a procedure a fuzz session may serve) */
  required: boolean;
  /** answered before the probe sent after it (router-side checks); false for calls a callee answers */
  sync: boolean;
  mustError: string | null;
  answered: boolean;
  note: string;
}

const PROBE_TOPIC = 'observatory.fuzz.probe';
const PROBE_BASE = 2 ** 52;

export interface RunOptions {
  url: string;
  ctx: GeneratorContext;
  /** ms to wait for any one answer before calling the session hung */
  timeoutMs: number;
}

export class FuzzSession {
  private ws!: WebSocket;
  private state: 'opening' | 'challenging' | 'established' = 'opening';
  private ended = false;
  private unpredictable: string | null = null;
  private expectEnd: { why: string; seq: number; abort: boolean; codes: number[] } | null = null;
  private awaiting: 'handshake' | 'goodbye' | null = null;
  private probeId = 0;
  private probeAnswered = false;
  private handshakeAnswered = false;
  private goodbyeAnswered = false;
  /** we sent GOODBYE and the router's has not come yet */
  private goodbyePending = false;
  private seq = 0;
  private leaving = false;
  /** we dropped the connection ourselves after a failure */
  private droppedByUs = false;
  private readonly expectations = new Map<string, Expectation>();
  /** what was sent, described only when the session fails */
  private readonly sentMessages: ScriptMessage[] = [];
  private readonly sentKeys = new Set<string>();
  private readonly subscriptions: number[] = [];
  private readonly registrations: number[] = [];
  private readonly invocations: number[] = [];
  private readonly calls = new Set<number>();
  /** procedure of each CALL sent, by request id */
  private readonly callProcedures = new Map<number, string>();
  private wake: (() => void) | null = null;
  private closed!: Promise<void>;
  readonly report: SessionReport;

  constructor(
    private readonly script: Script,
    private readonly rng: Rng,
    private readonly options: RunOptions,
    probeSalt: number,
  ) {
    this.probeId = PROBE_BASE + probeSalt * 1000;
    this.report = { kind: script.kind, ms: 0, protocol: script.protocol.name, sent: 0, processed: 0, end: 'alive', bad: false, errors: 0, failures: [], transcript: [], lastFrames: [] };
  }

  /** the router ended the session (ABORT; the close follows) or the connection is closed */
  private get over(): boolean {
    return this.ended || this.report.end === 'abort';
  }

  private get protocol(): Protocol {
    return this.script.protocol;
  }

  private fail(text: string): void {
    if (this.report.failures.length < 10) this.report.failures.push(text);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Waits until `done()` holds or the session ends; a failure after the timeout. */
  private async until(what: string, done: () => boolean): Promise<boolean> {
    const deadline = Date.now() + this.options.timeoutMs;
    while (!done() && !this.over) {
      const left = deadline - Date.now();
      if (left <= 0) {
        this.fail(`no answer within ${this.options.timeoutMs} ms while waiting for ${what}`);
        return false;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return true;
  }

  async run(): Promise<SessionReport> {
    const started = Date.now();
    this.ws = new WebSocket(this.options.url, this.protocol.name, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    this.closed = new Promise<void>((resolve) => {
      this.ws.on('close', (code) => {
        this.onClose(code);
        resolve();
      });
    });
    this.ws.on('error', () => undefined);
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(data, isBinary));
    const opened = await new Promise<boolean>((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('unexpected-response', () => resolve(false));
      this.ws.once('error', () => resolve(false));
    });
    if (!opened) {
      this.fail('could not open the WebSocket');
      this.ws.terminate();
      return this.report;
    }
    try {
      // frames go out in bursts; a probe after each burst shows the router handled them all
      const burst = this.rng.int(1, 9);
      let inBurst = 0;
      for (const [i, frame] of this.script.frames.entries()) {
        if (this.over || this.report.failures.length > 0) break;
        this.sendFrame(frame.messages, frame.binary);
        const last = i === this.script.frames.length - 1;
        if (++inBurst >= burst || last || this.awaiting !== null || this.expectEnd !== null || this.unpredictable !== null) {
          inBurst = 0;
          await this.settle();
        }
      }
      if (!this.over && this.report.failures.length === 0) await this.leave();
    } finally {
      if (this.ws.readyState !== WebSocket.CLOSED) {
        const closing = this.closed;
        if (this.report.failures.length > 0) {
          this.droppedByUs = true;
          this.ws.terminate();
        }
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closing, new Promise((r) => (timer = setTimeout(r, this.options.timeoutMs)))]);
        clearTimeout(timer);
        if ((this.ws.readyState as number) !== WebSocket.CLOSED) {
          this.fail('the connection did not close');
          this.ws.terminate();
        }
      }
    }
    this.verify();
    this.report.ms = Date.now() - started;
    if (this.report.failures.length > 0) {
      this.report.transcript = this.sentMessages.map((m) => `${m.note}: ${describe(m.message)}${m.spoil.kind !== 'none' ? ` [${m.spoil.kind}]` : ''}`);
    }
    return this.report;
  }

  // --- sending ---

  private resolveRefs(message: unknown): unknown {
    if (!Array.isArray(message)) return message;
    return message.map((v) => {
      if (!(v instanceof Ref)) return v;
      const pool = v.kind === 'subscription' ? this.subscriptions : v.kind === 'registration' ? this.registrations : v.kind === 'invocation' ? this.invocations : [...this.calls];
      return pool.length > 0 ? this.rng.pick(pool) : this.rng.int(1, 2 ** 53);
    });
  }

  private encode(m: ScriptMessage): Buffer {
    const message = this.resolveRefs(m.message);
    switch (m.spoil.kind) {
      case 'none':
        return encodeMessage(message, this.protocol.format);
      case 'bytes':
        return mutateBytes(this.rng, encodeMessage(message, this.protocol.format)).data;
      case 'splice':
        return splice(this.rng, encodeMessage(message, this.protocol.format), encodeMessage(this.resolveRefs(m.spoil.other), this.protocol.format)).data;
      case 'oversize': {
        const padded = Array.isArray(message) ? [...message, 'o'.repeat(m.spoil.bytes)] : ['o'.repeat(m.spoil.bytes)];
        return encodeMessage(padded, this.protocol.format);
      }
    }
  }

  private sendFrame(messages: ScriptMessage[], binaryJson: boolean): void {
    const encoded = messages.map((m) => this.encode(m));
    const data = this.protocol.batched ? batchFrames(encoded, this.protocol.format) : encoded[0]!;
    const binary = this.protocol.format !== 'json' || binaryJson;
    this.report.sent += messages.length;
    this.report.lastFrames.push(data.subarray(0, 4096).toString('hex'));
    if (this.report.lastFrames.length > 3) this.report.lastFrames.shift();
    if (this.sentMessages.length < 60) this.sentMessages.push(...messages);
    this.classify(data, binary, messages.length);
    this.ws.send(data, { binary });
  }

  /** What the router will do with this frame, by the model. */
  private classify(data: Buffer, binary: boolean, count: number): void {
    const seq0 = this.seq;
    this.seq += count;
    if (this.over) return;
    if (data.length > this.options.ctx.maxMessageSize) {
      this.endExpected(`a message of ${data.length} bytes, over the limit`, seq0 + 1, false, [1009]);
      return;
    }
    if (!binary && !isUtf8(data)) {
      this.endExpected('a text frame that is not UTF-8', seq0 + 1, false, [1007]);
      return;
    }
    if (binary && this.protocol.format === 'json' && !isUtf8(data)) {
      this.endExpected('a binary frame that is not UTF-8 on a JSON session', seq0 + 1, true, [1002]);
      return;
    }
    const decoded = decodeFrame(data, this.protocol);
    if (!decoded.ok) {
      if (/call stack/i.test(decoded.why)) this.beUnpredictable('a frame nested too deep for the fuzzer itself to decode');
      else this.endExpected(`an undecodable frame (${decoded.why})`, seq0 + 1, true, [1002]);
      return;
    }
    if (decoded.messages.length === 0) {
      // an empty batch: nothing for the router to do
      return;
    }
    const lone = decoded.messages.length === 1;
    // The router decodes a whole frame before handling any of its messages,
    // and refuses a message nested deeper than MAX_PAYLOAD_NESTING below the
    // message itself, or holding one list or map twice (CBOR shared
    // references), as a protocol violation: the whole batch is refused, even
    // the messages before it. nesting() counts the message as level 1.
    for (const m of decoded.messages) {
      const { depth, cyclic, shared, replaced, neverUsed } = nesting(m);
      if (neverUsed && this.protocol.format === 'msgpack') {
        // our decoder reads it as a placeholder; the router refuses it wherever it is
        this.endExpected('a message with the byte 0xc1, which msgpack never uses', seq0 + 1, true, [1002]);
        return;
      }
      if (cyclic || shared || depth > MAX_PAYLOAD_NESTING + 3) {
        this.endExpected(cyclic || shared ? 'a message holding a list or map twice' : `a message nested ${depth} deep`, seq0 + 1, true, [1002]);
        return;
      }
      if (depth > MAX_PAYLOAD_NESTING) {
        this.beUnpredictable(`a message nested ${depth} deep, at the router's limit`);
        return;
      }
      // Bytes that are not UTF-8 in a msgpack string: the router refuses
      // them, but our decoder took them as U+FFFD, which a sender may also
      // have sent as such: from the decoded message alone either outcome is
      // right. (CBOR's text strings are checked on their bytes when decoding.)
      if (replaced && this.protocol.format === 'msgpack') {
        this.beUnpredictable('a msgpack string that may not be UTF-8');
        return;
      }
    }
    decoded.messages.forEach((m, i) => this.model(m, seq0 + 1 + Math.min(i, count - 1), lone));
  }

  private endExpected(why: string, seq: number, abort: boolean, codes: number[], bad = true): void {
    if (bad) this.report.bad = true;
    this.expectEnd ??= { why, seq, abort, codes };
  }

  private beUnpredictable(why: string): void {
    this.unpredictable ??= why;
  }

  /** Feeds one decoded message to the session model. */
  private model(m: unknown, seq: number, lone: boolean): void {
    if (this.expectEnd !== null || this.unpredictable !== null || this.leaving) return;
    const shape = clientShape(m);
    if (!shape.ok) {
      const type = Array.isArray(m) ? m[0] : undefined;
      this.endExpected(ROUTER_ONLY.has(type as number) ? `a message only routers send (${String(type)})` : `a malformed message: ${shape.why}`, seq, true, [1002]);
      return;
    }
    if (shape.unsure) {
      this.beUnpredictable(`a message the spec and decoders disagree on: ${describe(m, 80)}`);
      return;
    }
    const msg = m as unknown[];
    const type = msg[0] as number;
    if (this.state === 'opening' || this.state === 'challenging') {
      const expected = this.state === 'opening' ? T.HELLO : T.AUTHENTICATE;
      if (type === T.ABORT) this.endExpected('ABORT from the client', seq, false, [1000], false);
      else if (type !== expected) this.endExpected(`${type} while ${this.state}`, seq, true, [1002]);
      else if (!lone) this.beUnpredictable('a handshake message inside a batch');
      else this.awaiting = 'handshake';
      return;
    }
    // established
    switch (type) {
      case T.HELLO:
      case T.AUTHENTICATE:
        this.endExpected(`${type === T.HELLO ? 'HELLO' : 'AUTHENTICATE'} in an established session`, seq, true, [1002]);
        return;
      case T.ABORT:
        this.endExpected('ABORT from the client', seq, false, [1000], false);
        return;
      case T.GOODBYE:
        if (!lone) this.beUnpredictable('GOODBYE inside a batch');
        else this.awaiting = 'goodbye';
        this.goodbyePending = true;
        // the session leaves: the router drops the calls it made, unanswered
        for (const e of this.expectations.values()) if (e.key.startsWith(`${T.CALL}:`) && !e.answered) e.required = false;
        this.calls.clear();
        return;
      case T.ERROR:
        if (msg[1] !== T.INVOCATION) this.endExpected(`ERROR for request type ${describe(msg[1])}`, seq, true, [1002]);
        return;
      case T.YIELD:
        return;
      case T.CANCEL:
        this.sentKeys.add(`${T.CANCEL}:${String(msg[1])}`);
        return;
      case T.SUBSCRIBE:
      case T.REGISTER:
        this.expect(type, msg[1], seq, true, this.refusal(type === T.SUBSCRIBE ? 'subscribe' : 'register', msg[2] as Record<string, unknown>, msg[3] as string), true);
        return;
      case T.UNSUBSCRIBE:
      case T.UNREGISTER:
        this.expect(type, msg[1], seq, true, null, true);
        return;
      case T.PUBLISH: {
        const options = msg[2] as Record<string, unknown>;
        if (options.acknowledge === true) this.expect(type, msg[1], seq, true, this.refusal('publish', {}, msg[3] as string), true);
        return;
      }
      case T.CALL: {
        const id = msg[1] as number;
        if (this.calls.has(id)) {
          this.beUnpredictable(`CALL id ${id} reused while in flight`);
          return;
        }
        this.calls.add(id);
        const procedure = msg[3] as string;
        this.callProcedures.set(id, procedure);
        // answered by a well-behaved callee (later), or by the router itself (before the next probe's answer)
        const served = procedure === this.options.ctx.echoUri || (this.options.ctx.served ?? []).includes(procedure);
        // only anonymous sessions register, and only under observatory.: calls elsewhere are answered by the router or the echo
        const required = !procedure.startsWith('observatory');
        this.expect(type, id, seq, required, this.refusal('call', {}, procedure), !served && required);
        return;
      }
    }
  }

  /** Why the router must refuse this request, or null when it may accept it. */
  private refusal(action: Action, options: Record<string, unknown>, uri: string): string | null {
    // an option given as null counts as not given (msgpack writers turn undefined into nil)
    const match = options.match ?? undefined;
    const invoke = options.invoke ?? undefined;
    if (match !== undefined && match !== 'exact' && match !== 'prefix' && match !== 'wildcard') return `unknown match policy ${describe(match)}`;
    if (action === 'register' && invoke !== undefined && !['single', 'roundrobin', 'random', 'first', 'last'].includes(invoke as string)) return `unknown invocation policy ${describe(invoke)}`;
    if ((match === undefined || match === 'exact') && !looseUri(uri)) return `invalid URI ${describe(uri, 60)}`;
    if (!anonymousMay(action, uri)) return `${action} on ${describe(uri, 60)} is not allowed to anonymous sessions`;
    return null;
  }

  private expect(type: number, id: unknown, seq: number, required: boolean, mustError: string | null, sync: boolean): void {
    const key = `${type}:${String(id)}`;
    this.sentKeys.add(key);
    const old = this.expectations.get(key);
    if (old !== undefined && !old.answered) {
      this.beUnpredictable(`request id ${String(id)} reused while in flight`);
      return;
    }
    if (mustError !== null) this.report.bad = true;
    this.expectations.set(key, { key, seq, required, sync, mustError, answered: false, note: `request ${key}` });
  }

  /** Waits for the outcome of the frame just sent. */
  private async settle(): Promise<void> {
    const waiting = this.awaiting;
    this.awaiting = null;
    if (this.over) return;
    if (this.expectEnd !== null) {
      await this.until(`the session's end after ${this.expectEnd?.why ?? '?'}`, () => false);
      return;
    }
    if (waiting === 'handshake') {
      this.handshakeAnswered = false;
      await this.until('the answer to the handshake', () => this.handshakeAnswered);
      if (this.handshakeAnswered) this.report.processed = this.report.sent;
      return;
    }
    if (waiting === 'goodbye') {
      this.goodbyeAnswered = false;
      await this.until("the router's GOODBYE", () => this.goodbyeAnswered);
      if (this.goodbyeAnswered) this.report.processed = this.report.sent;
      return;
    }
    await this.probe();
  }

  /** Sends a SUBSCRIBE and waits for its answer: everything sent before has been handled. */
  private async probe(): Promise<void> {
    if (this.state !== 'established' && this.unpredictable === null) return;
    const id = ++this.probeId;
    this.probeAnswered = false;
    const msg = encodeMessage([T.SUBSCRIBE, id, {}, PROBE_TOPIC], this.protocol.format);
    this.ws.send(this.protocol.batched ? batchFrames([msg], this.protocol.format) : msg, { binary: this.protocol.format !== 'json' });
    await this.until('the answer to a probe', () => this.probeAnswered);
    if (!this.probeAnswered) return;
    this.report.processed = this.report.sent;
    if (this.unpredictable !== null) return;
    for (const e of this.expectations.values()) {
      if (e.required && e.sync && !e.answered) this.fail(`${e.note} got no answer (later requests did)`);
    }
  }

  private async leave(): Promise<void> {
    this.leaving = true;
    // answers that come from a callee (the echo) may still be on their way
    await this.until('answers to calls', () => [...this.expectations.values()].every((e) => e.answered || !e.required) || this.unpredictable !== null);
    if (this.over) return;
    switch (this.script.ending) {
      case 'goodbye':
        if (this.state === 'established') {
          this.goodbyeAnswered = false;
          this.goodbyePending = true;
          const bye = encodeMessage([T.GOODBYE, {}, 'wamp.close.normal'], this.protocol.format);
          this.ws.send(this.protocol.batched ? batchFrames([bye], this.protocol.format) : bye, { binary: this.protocol.format !== 'json' });
          await this.until("the router's GOODBYE", () => this.goodbyeAnswered);
        }
        this.ws.close(1000);
        break;
      case 'close':
        this.ws.close(1000);
        break;
      case 'terminate':
        this.ws.terminate();
        break;
    }
  }

  // --- receiving ---

  private onFrame(data: Buffer, isBinary: boolean): void {
    if (!isBinary && this.protocol.format !== 'json') this.fail('a text frame on a binary subprotocol');
    const decoded = decodeFrame(data, this.protocol);
    if (!decoded.ok) {
      // the router passes on whatever it can encode; nesting beyond what this process's decoder takes is a limit of ours
      if (/call stack/i.test(decoded.why)) this.beUnpredictable('a frame from the router nested too deep for the fuzzer to decode');
      else this.fail(`the router sent a frame that does not decode: ${decoded.why}`);
      return;
    }
    for (const m of decoded.messages) this.onMessage(m);
    this.notify();
  }

  private onMessage(m: unknown): void {
    const shape = routerShape(m);
    if (!shape.ok) {
      this.fail(`the router sent a malformed message (${shape.why}): ${describe(m)}`);
      return;
    }
    const msg = m as unknown[];
    const id = typeof msg[1] === 'bigint' ? Number(msg[1]) : (msg[1] as number);
    switch (msg[0]) {
      case T.WELCOME:
        if (this.state === 'established') this.fail('WELCOME in an established session');
        this.state = 'established';
        this.handshakeAnswered = true;
        return;
      case T.CHALLENGE:
        if (this.state !== 'opening') this.fail('CHALLENGE out of place');
        this.state = 'challenging';
        this.handshakeAnswered = true;
        return;
      case T.ABORT:
        this.onAbort(msg[2] as string, msg[1] as Record<string, unknown>);
        return;
      case T.GOODBYE:
        if (!this.goodbyePending && this.unpredictable === null) this.fail(`GOODBYE from the router: ${describe(msg)}`);
        this.goodbyePending = false;
        this.state = 'opening';
        this.goodbyeAnswered = true;
        return;
      case T.SUBSCRIBED:
        if (id >= PROBE_BASE && id <= this.probeId) {
          this.probeAnswered = true;
          return;
        }
        this.subscriptions.push(Number(msg[2]));
        this.answer(T.SUBSCRIBE, id, false, false);
        return;
      case T.REGISTERED:
        this.registrations.push(Number(msg[2]));
        this.answer(T.REGISTER, id, false, false);
        return;
      case T.UNSUBSCRIBED:
        this.answer(T.UNSUBSCRIBE, id, false, false);
        return;
      case T.UNREGISTERED:
        this.answer(T.UNREGISTER, id, false, false);
        return;
      case T.PUBLISHED:
        this.answer(T.PUBLISH, id, false, false);
        return;
      case T.RESULT: {
        const progress = isPlainDict(msg[2]) && msg[2].progress === true;
        this.answer(T.CALL, id, false, progress);
        return;
      }
      case T.ERROR: {
        const requestType = msg[1] as number;
        const requestId = typeof msg[2] === 'bigint' ? Number(msg[2]) : (msg[2] as number);
        if (requestType === T.SUBSCRIBE && requestId >= PROBE_BASE && requestId <= this.probeId) {
          this.fail(`the probe SUBSCRIBE was refused: ${describe(msg)}`);
          this.probeAnswered = true;
          return;
        }
        this.report.errors++;
        // an internal failure of the router or of a callee we run (the echo, the data node, the hub): never right
        if (msg[4] === 'wamp.error.runtime_error' && requestType === T.CALL && this.unpredictable === null && (this.calleeIsOurs(requestId) ?? false)) {
          this.fail(`a call answered wamp.error.runtime_error: ${describe(msg.slice(5), 300)}`);
        }
        this.answer(requestType, requestId, true, false);
        return;
      }
      case T.INVOCATION:
        this.invocations.push(id);
        if (this.invocations.length > 50) this.invocations.shift();
        return;
      case T.EVENT:
      case T.INTERRUPT:
        return;
      default:
        this.fail(`unexpected message from the router: ${describe(msg)}`);
    }
  }

  /** Whether a CALL of ours went to a procedure served by a well-behaved callee or the router (not by a fuzz session). */
  private calleeIsOurs(id: number): boolean | undefined {
    return this.callProcedures.get(id)?.startsWith('org.simonsobservatory.') || this.callProcedures.get(id)?.startsWith('wamp.');
  }

  private answer(type: number, id: number, isError: boolean, progress: boolean): void {
    const key = `${type}:${id}`;
    const e = this.expectations.get(key);
    if (type === T.CALL && !progress) this.calls.delete(id);
    if (e === undefined) {
      if (!this.sentKeys.has(key) && this.unpredictable === null) this.fail(`an answer to a request never made: ${key}`);
      return;
    }
    if (progress) return;
    if (e.answered) {
      if (this.unpredictable === null) this.fail(`${e.note} answered twice`);
      return;
    }
    e.answered = true;
    if (e.mustError !== null && !isError && this.unpredictable === null) this.fail(`${e.note} succeeded, but ${e.mustError}`);
  }

  private onAbort(reason: string, details: Record<string, unknown>): void {
    this.report.end = 'abort';
    this.report.abortReason = reason;
    this.report.abortMessage = typeof details.message === 'string' ? details.message.slice(0, 300) : undefined;
    if (!reason.startsWith('wamp.')) this.fail(`ABORT with a reason that is not a wamp URI: ${describe(reason)}`);
    if (typeof details.message !== 'string' || details.message.length === 0) this.fail(`ABORT without a message: ${describe(details)}`);
    if (this.expectEnd !== null) {
      this.report.processed = Math.max(this.report.processed, this.expectEnd.seq);
      if (this.expectEnd.abort && reason !== 'wamp.error.protocol_violation') this.fail(`${this.expectEnd.why}: ABORT ${reason}, expected wamp.error.protocol_violation`);
      if (!this.expectEnd.abort) this.fail(`${this.expectEnd.why}: an ABORT (${reason}) where the router should close the connection`);
    } else if (this.state !== 'established' || this.unpredictable !== null) {
      // a refused HELLO or AUTHENTICATE: any reason the router gives
      this.handshakeAnswered = true;
      this.report.processed = this.report.sent;
      if (this.state === 'opening' || this.state === 'challenging') this.report.bad = true;
    } else {
      this.fail(`an ABORT nothing called for: ${reason}: ${describe(details.message)}`);
    }
  }

  private onClose(code: number): void {
    this.ended = true;
    if (this.report.end === 'alive') this.report.end = 'closed';
    this.report.closeCode = code;
    this.notify();
  }

  /** Checks made once the session is over. */
  private verify(): void {
    const r = this.report;
    if (this.droppedByUs) return;
    if (r.end === 'alive' || this.leaving) {
      // we left a healthy session
      if (this.expectEnd !== null) this.fail(`${this.expectEnd.why}, but the session went on`);
      if (this.unpredictable === null && this.report.failures.length === 0) {
        for (const e of this.expectations.values()) if (e.required && !e.answered) this.fail(`${e.note} got no answer`);
      }
      if (this.leaving && r.end === 'abort') this.fail(`ABORT while leaving: ${r.abortReason}`);
      return;
    }
    if (this.expectEnd !== null) {
      const e = this.expectEnd;
      if (e.abort && r.end !== 'abort' && !e.codes.includes(r.closeCode ?? 0)) this.fail(`${e.why}: closed with ${r.closeCode}, no ABORT`);
      if (!e.abort && r.end === 'closed' && !e.codes.includes(r.closeCode ?? 0)) this.fail(`${e.why}: closed with ${r.closeCode}, expected ${e.codes.join(' or ')}`);
      if (this.unpredictable === null) {
        for (const x of this.expectations.values()) {
          if (x.required && x.sync && x.seq < e.seq && !x.answered) this.fail(`${x.note}, sent before ${e.why}, got no answer (the router said: ${r.abortMessage ?? `close ${r.closeCode}`})`);
        }
      }
      return;
    }
    if (r.end === 'abort') return; // a refused handshake (checked when it came) or an unpredictable session
    // closed without ABORT, and nothing called for it
    if (this.unpredictable === null || ![1000, 1002, 1007, 1009].includes(r.closeCode ?? 0)) {
      this.fail(`the router closed the connection (${r.closeCode}) without ABORT${this.unpredictable ? ` (model unsure since: ${this.unpredictable})` : ''}`);
    }
  }
}
