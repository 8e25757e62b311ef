// Errors a data node sends back to its caller. Each is a WampError: the
// caller receives its URI with the message as the one argument.
import { WampError } from '../client/errors.js';
import { ERRORS, WAMP_ERRORS } from '../protocol/uris.js';

/** The caller's arguments are wrong (types, missing, out of range). */
export class InvalidArgumentError extends WampError {
  constructor(message: string) {
    super(WAMP_ERRORS.invalidArgument, message);
  }
}

/** The reply would be larger than this node is willing to send. */
export class TooMuchDataError extends WampError {
  constructor(message: string) {
    super(ERRORS.tooMuchData, message);
  }
}
