// The dealer: registrations and the routing of calls. A call becomes an
// INVOCATION to one callee; its YIELD (or ERROR) goes back to the caller as
// RESULT (or ERROR). Progressive results, cancellation, timeouts, pattern
// registrations and shared registrations are handled here.
import {
  MessageType,
  WampErrors,
  type Args,
  type Call,
  type Cancel,
  type Dict,
  type ErrorMessage,
  type Register,
  type Unregister,
  type Yield,
} from '../wamp/messages.js';
import type { Payload } from '../wamp/payload.js';
import { isMatchPolicy, isValidUri, type MatchPolicy } from '../wamp/uri.js';
import { describeValue } from '../wamp/validation.js';
import { WampError } from './errors.js';
import { freshId } from './ids.js';
import type { Realm } from './realm.js';
import type { RouterSession, SendOutcome } from './session.js';
import { UriIndex } from './uri-index.js';

export type InvokePolicy = 'single' | 'roundrobin' | 'random' | 'first' | 'last';
const INVOKE_POLICIES = new Set<string>(['single', 'roundrobin', 'random', 'first', 'last']);

export interface Registration {
  id: number;
  uri: string;
  match: MatchPolicy;
  invoke: InvokePolicy;
  created: string;
  /** callees in order of registration */
  callees: RouterSession[];
  /** next callee for roundrobin */
  next: number;
}

/** A call in flight: known to the callee by `invocationId`, to the caller by `callRequestId`. */
export interface PendingCall {
  invocationId: number;
  callRequestId: number;
  caller: RouterSession;
  callee: RouterSession;
  /** the caller asked for progressive results */
  progress: boolean;
  timer?: NodeJS.Timeout;
  /** set once the caller canceled with mode "kill": the callee's answer still ends the call */
  killing?: boolean;
}

type CancelMode = 'skip' | 'kill' | 'killnowait';

/** A procedure the router implements itself (the meta API). */
export type BuiltinProcedure = (caller: RouterSession, args: Args, kwargs: Dict) => unknown;

export class Dealer {
  private readonly index = new UriIndex<Registration>();
  readonly byId = new Map<number, Registration>();
  readonly builtins = new Map<string, BuiltinProcedure>();

  constructor(private readonly realm: Realm) {}

  register(session: RouterSession, msg: Register): void {
    const [, requestId, options, procedure] = msg;
    const match = options.match ?? 'exact';
    const invoke = options.invoke ?? 'single';
    if (!isMatchPolicy(match)) {
      session.sendError(MessageType.REGISTER, requestId, WampErrors.invalidArgument, `unknown match policy ${describeValue(match)}`);
      return;
    }
    if (typeof invoke !== 'string' || !INVOKE_POLICIES.has(invoke)) {
      session.sendError(MessageType.REGISTER, requestId, WampErrors.invalidArgument, `unknown invocation policy ${describeValue(invoke)}`);
      return;
    }
    if (!isValidUri(procedure, match)) {
      session.sendError(MessageType.REGISTER, requestId, WampErrors.invalidUri, `invalid procedure URI ${describeValue(procedure)}`);
      return;
    }
    if (procedure.startsWith('wamp.')) {
      session.sendError(MessageType.REGISTER, requestId, WampErrors.invalidUri, `procedure URIs under 'wamp.' are reserved for the router`);
      return;
    }
    if (!this.realm.authorizer.authorize(session.authrole, procedure, 'register').allow) {
      session.sendError(MessageType.REGISTER, requestId, WampErrors.notAuthorized, `session is not authorized to register procedure ${describeValue(procedure)}`);
      return;
    }
    let reg = this.index.get(procedure, match);
    if (reg !== undefined) {
      if (reg.callees.includes(session) || reg.invoke === 'single') {
        session.sendError(MessageType.REGISTER, requestId, WampErrors.procedureAlreadyExists, `procedure ${describeValue(procedure)} is already registered`);
        return;
      }
      if (reg.invoke !== invoke) {
        session.sendError(
          MessageType.REGISTER,
          requestId,
          WampErrors.procedureExistsInvocationPolicyConflict,
          `procedure ${describeValue(procedure)} is registered with invocation policy '${reg.invoke}', not '${invoke}'`,
        );
        return;
      }
      reg.callees.push(session);
      session.registrations.add(reg);
      session.send([MessageType.REGISTERED, requestId, reg.id]);
      this.realm.meta.registered(session, reg);
      return;
    }
    reg = {
      id: freshId(this.byId),
      uri: procedure,
      match,
      invoke: invoke as InvokePolicy,
      created: new Date().toISOString(),
      callees: [session],
      next: 0,
    };
    this.index.set(procedure, match, reg);
    this.byId.set(reg.id, reg);
    session.registrations.add(reg);
    session.send([MessageType.REGISTERED, requestId, reg.id]);
    this.realm.meta.registrationCreated(session, reg);
    this.realm.meta.registered(session, reg);
  }

  unregister(session: RouterSession, msg: Unregister): void {
    const [, requestId, registrationId] = msg;
    const reg = this.byId.get(registrationId);
    if (reg === undefined || !reg.callees.includes(session)) {
      session.sendError(MessageType.UNREGISTER, requestId, WampErrors.noSuchRegistration, `no registration ${registrationId} for this session`);
      return;
    }
    this.detach(session, reg);
    session.send([MessageType.UNREGISTERED, requestId]);
  }

  private detach(session: RouterSession, reg: Registration): void {
    const i = reg.callees.indexOf(session);
    if (i >= 0) {
      reg.callees.splice(i, 1);
      if (reg.next > i) reg.next--;
    }
    session.registrations.delete(reg);
    this.realm.meta.unregistered(session, reg);
    if (reg.callees.length === 0) {
      this.index.delete(reg.uri, reg.match);
      this.byId.delete(reg.id);
      this.realm.meta.registrationDeleted(session, reg);
    }
  }

  /** `payload`: the call's Arguments and ArgumentsKw, passed to the callee as they came when it reads the same format. */
  call(session: RouterSession, msg: Call, payload: Payload | undefined): void {
    const [, requestId, options, procedure] = msg;
    let reg = this.index.getExact(procedure);
    if (reg === undefined && !isValidUri(procedure)) {
      session.sendError(MessageType.CALL, requestId, WampErrors.invalidUri, `invalid procedure URI ${describeValue(procedure)}`);
      return;
    }
    const decision = this.realm.authorizer.authorize(session.authrole, procedure, 'call');
    if (!decision.allow) {
      session.sendError(MessageType.CALL, requestId, WampErrors.notAuthorized, `session is not authorized to call procedure ${describeValue(procedure)}`);
      return;
    }
    if (reg === undefined) {
      const builtin = this.builtins.get(procedure);
      if (builtin !== undefined) {
        this.callBuiltin(session, requestId, builtin, payload?.args ?? [], payload?.kwargs ?? {});
        return;
      }
      reg = this.index.best(procedure);
      if (reg === undefined) {
        session.sendError(MessageType.CALL, requestId, WampErrors.noSuchProcedure, `no callee registered for procedure ${describeValue(procedure)}`);
        return;
      }
    }
    if (session.calls.has(requestId)) {
      session.protocolViolation(`CALL request id ${requestId} is already in flight`);
      return;
    }
    const callee = pickCallee(reg);
    const invocationId = callee.nextRequestId();
    const details: Dict = {};
    if (reg.match !== 'exact') details.procedure = procedure;
    const progress = options.receive_progress === true;
    if (progress && callee.supportsProgressiveResults) details.receive_progress = true;
    if (decision.disclose || options.disclose_me === true) {
      details.caller = session.id;
      details.caller_authid = session.authid;
      details.caller_authrole = session.authrole;
    }
    const pending: PendingCall = { invocationId, callRequestId: requestId, caller: session, callee, progress };
    const timeout = options.timeout;
    // beyond 2^31-1 ms Node would fire at once; such a timeout means "none"
    if (typeof timeout === 'number' && timeout > 0 && timeout <= 0x7fffffff) {
      pending.timer = setTimeout(() => this.timedOut(pending), timeout);
    }
    callee.invocations.set(invocationId, pending);
    session.calls.set(requestId, pending);
    const sent = callee.send([MessageType.INVOCATION, invocationId, reg.id, details], payload);
    if (sent !== 'sent') {
      this.finish(pending);
      session.sendError(MessageType.CALL, requestId, unsentUri(sent), sent === 'too-large' ? "the call's arguments would be a message larger than the callee's transport takes" : "the call's arguments cannot be passed to the callee in its serializer");
    }
  }

  private callBuiltin(session: RouterSession, requestId: number, fn: BuiltinProcedure, args: Args, kwargs: Dict): void {
    let result: unknown;
    try {
      result = fn(session, args, kwargs);
    } catch (err) {
      if (err instanceof WampError) {
        session.send([MessageType.ERROR, MessageType.CALL, requestId, {}, err.uri, err.args, ...(err.kwargs ? [err.kwargs] : [])]);
      } else {
        this.realm.log.error({ err }, 'meta procedure failed');
        session.sendError(MessageType.CALL, requestId, 'wamp.error.runtime_error', (err as Error).message);
      }
      return;
    }
    const sent = session.send(result === undefined ? [MessageType.RESULT, requestId, {}] : [MessageType.RESULT, requestId, {}, [result]]);
    // an answer that cannot reach the caller must still end its call
    if (sent !== 'sent') session.sendError(MessageType.CALL, requestId, unsentUri(sent), sent === 'too-large' ? 'the result would be a message larger than your transport takes' : 'the result cannot be given in your serializer');
  }

  yield(session: RouterSession, msg: Yield, payload: Payload | undefined): void {
    const [, invocationId, options] = msg;
    const pending = session.invocations.get(invocationId);
    // unknown ids are answers to calls already canceled or timed out: dropped
    if (pending === undefined) return;
    const progress = options.progress === true;
    if (progress) {
      if (!pending.progress || pending.killing) return;
    } else this.finish(pending);
    const sent = pending.caller.send([MessageType.RESULT, pending.callRequestId, progress ? { progress: true } : {}], payload);
    if (sent !== 'sent') this.resultUndeliverable(pending, sent);
  }

  invocationError(session: RouterSession, msg: ErrorMessage, payload: Payload | undefined): void {
    const [, , invocationId, details, error] = msg;
    const pending = session.invocations.get(invocationId);
    if (pending === undefined) return;
    this.finish(pending);
    const sent = pending.caller.send([MessageType.ERROR, MessageType.CALL, pending.callRequestId, details, error], payload);
    if (sent !== 'sent') this.resultUndeliverable(pending, sent);
  }

  /**
   * The callee's answer cannot be encoded for the caller, or is larger than
   * the caller's transport takes (logged by the session): the call fails,
   * and a callee still working is told.
   */
  private resultUndeliverable(pending: PendingCall, why: Exclude<SendOutcome, 'sent'>): void {
    const open = pending.caller.calls.get(pending.callRequestId) === pending;
    if (open) {
      this.finish(pending);
      if (pending.callee.supportsCallCanceling) pending.callee.send([MessageType.INTERRUPT, pending.invocationId, { mode: 'killnowait', reason: unsentUri(why) }]);
    }
    pending.caller.sendError(MessageType.CALL, pending.callRequestId, unsentUri(why), why === 'too-large' ? "the callee's answer would be a message larger than the caller's transport takes" : "the callee's result cannot be passed to the caller in its serializer");
  }

  cancel(session: RouterSession, msg: Cancel): void {
    const [, requestId, options] = msg;
    const pending = session.calls.get(requestId);
    if (pending === undefined) return; // already answered
    let mode = (options.mode ?? 'killnowait') as CancelMode;
    if (mode !== 'skip' && mode !== 'kill' && mode !== 'killnowait') {
      session.sendError(MessageType.CANCEL, requestId, WampErrors.invalidArgument, `unknown cancel mode ${describeValue(options.mode)}`);
      return;
    }
    if (!pending.callee.supportsCallCanceling) mode = 'skip';
    if (mode === 'kill') {
      if (!pending.killing) {
        pending.killing = true;
        pending.callee.send([MessageType.INTERRUPT, pending.invocationId, { mode: 'kill' }]);
      }
      return;
    }
    this.finish(pending);
    if (mode === 'killnowait') pending.callee.send([MessageType.INTERRUPT, pending.invocationId, { mode: 'killnowait' }]);
    session.sendError(MessageType.CALL, requestId, WampErrors.canceled, 'the call was canceled');
  }

  private timedOut(pending: PendingCall): void {
    pending.timer = undefined;
    if (pending.caller.calls.get(pending.callRequestId) !== pending) return;
    this.finish(pending);
    if (pending.callee.supportsCallCanceling) {
      pending.callee.send([MessageType.INTERRUPT, pending.invocationId, { mode: 'killnowait', reason: WampErrors.timeout }]);
    }
    pending.caller.sendError(MessageType.CALL, pending.callRequestId, WampErrors.timeout, 'the call timed out');
  }

  /** Forgets a pending call on both sides. */
  private finish(pending: PendingCall): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.callee.invocations.delete(pending.invocationId);
    pending.caller.calls.delete(pending.callRequestId);
  }

  /** A session left: drop its registrations, fail calls it was serving, interrupt calls it made. */
  removeSession(session: RouterSession): void {
    for (const reg of [...session.registrations]) this.detach(session, reg);
    for (const pending of [...session.invocations.values()]) {
      this.finish(pending);
      pending.caller.sendError(MessageType.CALL, pending.callRequestId, WampErrors.canceled, 'the callee left before answering');
    }
    for (const pending of [...session.calls.values()]) {
      this.finish(pending);
      if (pending.callee.supportsCallCanceling) {
        pending.callee.send([MessageType.INTERRUPT, pending.invocationId, { mode: 'killnowait', reason: WampErrors.canceled }]);
      }
    }
  }

  // --- meta API queries ---

  list(): { exact: number[]; prefix: number[]; wildcard: number[] } {
    const ids = (m: MatchPolicy): number[] => [...this.index.entries(m)].map((r) => r.id);
    return { exact: ids('exact'), prefix: ids('prefix'), wildcard: ids('wildcard') };
  }

  lookup(procedure: string, match: MatchPolicy): Registration | undefined {
    return this.index.get(procedure, match);
  }

  match(procedure: string): Registration | undefined {
    return this.index.best(procedure);
  }
}

function pickCallee(reg: Registration): RouterSession {
  const callees = reg.callees;
  switch (reg.invoke) {
    case 'single':
    case 'first':
      return callees[0]!;
    case 'last':
      return callees[callees.length - 1]!;
    case 'random':
      return callees[Math.floor(Math.random() * callees.length)]!;
    case 'roundrobin': {
      if (reg.next >= callees.length) reg.next = 0;
      return callees[reg.next++]!;
    }
  }
}

/** The error URI for a message that could not be sent: too large for the peer's transport, or not encodable in its serializer. */
function unsentUri(why: Exclude<SendOutcome, 'sent'>): string {
  return why === 'too-large' ? WampErrors.payloadSizeExceeded : WampErrors.invalidArgument;
}
