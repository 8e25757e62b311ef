// Errors a data node sends back to its caller. Each carries the WAMP error
// URI the caller receives and a message meant for a person; the server layer
// turns them into WAMP ERROR messages with the message as the one argument.
import { ERRORS, WAMP_ERRORS } from '../protocol/uris.js';

export class SisockCallError extends Error {
  constructor(
    /** the WAMP error URI sent to the caller */
    readonly uri: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller's arguments are wrong (types, missing, out of range). */
export class InvalidArgumentError extends SisockCallError {
  constructor(message: string) {
    super(WAMP_ERRORS.invalidArgument, message);
  }
}

/** The reply would be larger than this node is willing to send. */
export class TooMuchDataError extends SisockCallError {
  constructor(message: string) {
    super(ERRORS.tooMuchData, message);
  }
}
