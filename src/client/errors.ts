// Errors of WAMP calls, in one shape whichever side raised them: the error
// URI and a message. Handlers throw WampError (or a subclass) to send a
// chosen URI to the caller; callers catch WampError for errors the router or
// the callee sent back.

export class WampError extends Error {
  constructor(
    /** WAMP error URI, e.g. wamp.error.invalid_argument */
    readonly uri: string,
    message: string,
    /** the error's positional arguments as they travel (message first by convention) */
    readonly args: unknown[] = [message],
    readonly kwargs: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The client has no session with the router right now. */
export class NotConnectedError extends Error {
  override name = 'NotConnectedError';
}

/** A call got no answer in time. */
export class CallTimeoutError extends WampError {
  constructor(procedure: string, ms: number) {
    super('wamp.error.timeout', `no answer from ${procedure} within ${ms} ms`);
  }
}

/**
 * Thrown by a join hook (or chosen by `isFatal`) to stop the client instead of
 * retrying: reconnecting cannot fix it (e.g. a data node name already taken).
 */
export class FatalClientError extends Error {
  override name = 'FatalClientError';
}

/** A readable message from whatever a WAMP library rejected with. */
export function describeError(err: unknown): string {
  if (err instanceof WampError) return `${err.uri}: ${err.message}`;
  if (err && typeof err === 'object') {
    const e = err as { errorUri?: unknown; argsList?: unknown; message?: unknown; error?: unknown };
    const uri = typeof e.errorUri === 'string' ? e.errorUri : typeof e.error === 'string' ? e.error : undefined;
    const first = Array.isArray(e.argsList) && typeof e.argsList[0] === 'string' ? e.argsList[0] : undefined;
    const msg = first ?? (typeof e.message === 'string' ? e.message : undefined);
    if (uri && msg && msg !== uri) return `${uri}: ${msg}`;
    if (uri) return uri;
    if (msg) return msg;
  }
  return String(err);
}

/**
 * Converts a WAMP library's error (wampy, autobahn) into a WampError when it
 * carries a URI: an ERROR's first argument, or an ABORT's `details.message`,
 * becomes the message.
 */
export function toWampError(err: unknown): unknown {
  if (err instanceof WampError || !err || typeof err !== 'object') return err;
  const e = err as { errorUri?: unknown; argsList?: unknown; argsDict?: unknown; message?: unknown; details?: { message?: unknown } };
  if (typeof e.errorUri !== 'string') return err;
  const args = Array.isArray(e.argsList) ? (e.argsList as unknown[]) : [];
  const aborted = typeof e.details?.message === 'string' ? e.details.message : undefined;
  const message = typeof args[0] === 'string' ? args[0] : (aborted ?? (typeof e.message === 'string' ? e.message : e.errorUri));
  const kwargs = e.argsDict && typeof e.argsDict === 'object' ? (e.argsDict as Record<string, unknown>) : {};
  return new WampError(e.errorUri, message, args, kwargs);
}
